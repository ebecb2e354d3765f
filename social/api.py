from drf_yasg.utils import swagger_auto_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Conflict
from core.permissions import IsEntrepreneur

from .models import StoreProduct
from .selectors import store_product_get_for_owner, store_products_for_owner, storefront_for_user, storefront_get
from .serializers import StorefrontSerializer, StoreProductSerializer, StoreProductUpdateSerializer
from .services import (
    store_product_add,
    store_product_remove,
    store_product_update,
    storefront_create,
    storefront_update,
)


def _storefront_required(user):
    storefront = storefront_for_user(user)
    if storefront is None:
        raise Conflict("Create your storefront first (POST /api/social/storefront/).", code="storefront_required")
    return storefront


class StorefrontView(APIView):
    """The signed-in entrepreneur's own storefront."""

    permission_classes = [IsAuthenticated, IsEntrepreneur]

    @swagger_auto_schema(responses={200: StorefrontSerializer})
    def get(self, request):
        return Response(StorefrontSerializer(storefront_get(user=request.user)).data)

    @swagger_auto_schema(request_body=StorefrontSerializer, responses={201: StorefrontSerializer})
    def post(self, request):
        serializer = StorefrontSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        storefront = storefront_create(user=request.user, data=serializer.validated_data)
        return Response(StorefrontSerializer(storefront).data, status=status.HTTP_201_CREATED)

    @swagger_auto_schema(request_body=StorefrontSerializer, responses={200: StorefrontSerializer})
    def patch(self, request):
        storefront = storefront_get(user=request.user)
        serializer = StorefrontSerializer(storefront, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        storefront = storefront_update(storefront=storefront, data=serializer.validated_data)
        return Response(StorefrontSerializer(storefront).data)


class StoreProductListView(GenericAPIView):
    """The products in the entrepreneur's store (GET, paginated) and adding one (POST)."""

    permission_classes = [IsAuthenticated, IsEntrepreneur]
    serializer_class = StoreProductSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StoreProduct.objects.none()
        storefront = storefront_for_user(self.request.user)
        if storefront is None:
            return StoreProduct.objects.none()
        return store_products_for_owner(storefront=storefront)

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(StoreProductSerializer(page, many=True).data)

    @swagger_auto_schema(request_body=StoreProductSerializer, responses={201: StoreProductSerializer})
    def post(self, request):
        storefront = _storefront_required(request.user)
        serializer = StoreProductSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        store_product = store_product_add(
            storefront=storefront, product_id=data["product_id"], selling_price=data.get("selling_price"),
            is_featured=data.get("is_featured", False), position=data.get("position", 0),
        )
        store_product = store_product_get_for_owner(user=request.user, store_product_id=store_product.pk)
        return Response(StoreProductSerializer(store_product).data, status=status.HTTP_201_CREATED)


class StoreProductDetailView(APIView):
    """One of the entrepreneur's own store products; anyone else's is a 404."""

    permission_classes = [IsAuthenticated, IsEntrepreneur]

    @swagger_auto_schema(responses={200: StoreProductSerializer})
    def get(self, request, pk: int):
        return Response(StoreProductSerializer(store_product_get_for_owner(user=request.user, store_product_id=pk)).data)

    @swagger_auto_schema(request_body=StoreProductUpdateSerializer, responses={200: StoreProductSerializer})
    def patch(self, request, pk: int):
        store_product = store_product_get_for_owner(user=request.user, store_product_id=pk)
        serializer = StoreProductUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        store_product = store_product_update(store_product=store_product, data=serializer.validated_data)
        return Response(StoreProductSerializer(store_product).data)

    @swagger_auto_schema(responses={204: "Removed"})
    def delete(self, request, pk: int):
        store_product_remove(store_product=store_product_get_for_owner(user=request.user, store_product_id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
