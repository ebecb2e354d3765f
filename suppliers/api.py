"""Supplier registration, profiles and verification.

A supplier's products (`/api/suppliers/products/…`, `profiles/my_products/`), orders (`profiles/my_orders/`)
and dashboard (`profiles/dashboard/`) are served by the apps that own that data (products, orders,
analytics), mounted at the same paths by the project's URLconf.
"""
from drf_yasg.utils import swagger_auto_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsAdmin, IsSupplier, is_admin
from core.throttling import ScopedRateThrottle
from users.api import tokens_for

from . import selectors, services
from .serializers import (
    SupplierProfileSerializer,
    SupplierRegistrationResponseSerializer,
    SupplierRegistrationSerializer,
    SupplierVerifySerializer,
)


class SupplierRegisterView(APIView):
    """Register a supplier company: the user (``user_type='supplier'``) and the profile in one transaction.

    Verification starts ``pending``; an admin verifies it before the supplier can list products.
    """

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @swagger_auto_schema(request_body=SupplierRegistrationSerializer,
                         responses={201: SupplierRegistrationResponseSerializer})
    def post(self, request):
        serializer = SupplierRegistrationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        supplier = services.supplier_register(user_data=serializer.user_data(), profile_data=serializer.profile_data())
        body = {
            "message": "Supplier registration successful. Verification pending.",
            "supplier": SupplierProfileSerializer(supplier, context={"request": request}).data,
            **tokens_for(supplier.user),
        }
        return Response(body, status=status.HTTP_201_CREATED)


class IsSupplierOrAdmin(permissions.BasePermission):
    message = "Only supplier and admin accounts can do this."

    def has_permission(self, request, view):
        return IsSupplier().has_permission(request, view) or is_admin(request.user)


class SupplierProfileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A supplier sees and edits its own profile; admins see every supplier and verify them.

    `verification_status` changes only through `verify/`; `commission_rate`, `performance_rating`,
    `is_active` and `business_registration` are writable by admins only.
    """

    serializer_class = SupplierProfileSerializer
    http_method_names = ["get", "patch", "post", "head", "options"]
    filter_backends: list = []

    def get_permissions(self):
        if self.action == "verify":
            return [IsAdmin()]
        return [IsSupplierOrAdmin()]

    def get_queryset(self):
        return selectors.suppliers_for_user(self.request.user)

    @swagger_auto_schema(request_body=SupplierProfileSerializer, responses={200: SupplierProfileSerializer()})
    def partial_update(self, request, *args, **kwargs):
        supplier = self.get_object()
        serializer = self.get_serializer(supplier, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        supplier = services.supplier_update(supplier=supplier, data=dict(serializer.validated_data))
        return Response(self.get_serializer(supplier).data)

    @swagger_auto_schema(request_body=SupplierVerifySerializer, responses={200: SupplierProfileSerializer()})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """Admin decision: `{"status": "verified"|"rejected", "notes": "..."}`. Recorded; the supplier is notified."""
        supplier = self.get_object()
        serializer = SupplierVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        supplier = services.supplier_verify(supplier_id=supplier.pk, status=serializer.validated_data["status"],
                                            notes=serializer.validated_data["notes"], actor=request.user)
        return Response({
            "message": f"Supplier {supplier.verification_status}.",
            "supplier": self.get_serializer(supplier).data,
        })
