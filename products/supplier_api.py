"""A supplier's own products: CRUD, stock counts, bulk upload (JSON or CSV), and the `my_products` list.

Mounted under `/api/suppliers/` by the project's URLconf (SPEC §4 paths); the suppliers app knows
nothing about products.
"""
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from core.errors import ValidationFailed
from core.filters import FilterBackend, StrictOrderingFilter
from core.parsers import FormParser, JSONParser, MultiPartParser
from core.permissions import IsSupplier
from suppliers.selectors import supplier_for_user

from . import services
from .filters import SupplierProductFilter
from .models import Product
from .permissions import IsVerifiedSupplier
from .search import ProductSearchFilter
from .selectors import supplier_product_get, supplier_product_list
from .serializers import (
    BulkUploadJSONSerializer,
    BulkUploadResponseSerializer,
    InventoryAdjustmentSerializer,
    InventoryUpdateSerializer,
    SupplierProductSerializer,
)


class SupplierProductViewSet(viewsets.ModelViewSet):
    """A verified supplier's own products. Another supplier's product is 404; unverified suppliers get 403.

    Variations are written nested in the product body (`variations: [{id?, name, sku, attributes,
    price_modifier, stock_quantity, is_active}]`: with `id` updates, without creates). DELETE deactivates
    (the product disappears from the catalog and storefronts; order history keeps it).
    """

    serializer_class = SupplierProductSerializer
    permission_classes = [IsVerifiedSupplier]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends = [FilterBackend, ProductSearchFilter, StrictOrderingFilter]
    filterset_class = SupplierProductFilter
    ordering_fields = ["base_price", "created_at", "name", "stock_quantity"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Product.objects.none()
        return supplier_product_list(supplier=self.request.user.supplier_profile)

    def _supplier(self):
        return self.request.user.supplier_profile

    def _output(self, product_id, *, status_code=status.HTTP_200_OK):
        product = supplier_product_get(supplier=self._supplier(), product_id=product_id)
        return Response(self.get_serializer(product).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = services.product_create(supplier=self._supplier(), data=dict(serializer.validated_data),
                                          actor=request.user)
        return self._output(product.pk, status_code=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.product_update(supplier=self._supplier(), product_id=instance.pk,
                                data=dict(serializer.validated_data), actor=request.user)
        return self._output(instance.pk)

    @swagger_auto_schema(responses={204: "Deactivated"})
    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        services.product_deactivate(supplier=self._supplier(), product_id=instance.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @swagger_auto_schema(request_body=InventoryUpdateSerializer,
                         responses={200: openapi.Response("The recorded change and the product", schema=openapi.Schema(
                             type=openapi.TYPE_OBJECT, properties={
                                 "message": openapi.Schema(type=openapi.TYPE_STRING),
                                 "old_quantity": openapi.Schema(type=openapi.TYPE_INTEGER),
                                 "new_quantity": openapi.Schema(type=openapi.TYPE_INTEGER),
                                 "adjustment": openapi.Schema(type=openapi.TYPE_OBJECT),
                                 "product": openapi.Schema(type=openapi.TYPE_OBJECT),
                             }))})
    @action(detail=True, methods=["post"])
    def update_inventory(self, request, pk=None):
        """Set the absolute stock (≥ 0) of the product, or of one variation with `variation_id`. Recorded."""
        instance = self.get_object()
        serializer = InventoryUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        adjustment = services.product_update_inventory(
            supplier=self._supplier(), product_id=instance.pk, stock_quantity=data["stock_quantity"],
            variation_id=data.get("variation_id"), reason=data["reason"], actor=request.user,
        )
        product = supplier_product_get(supplier=self._supplier(), product_id=instance.pk)
        return Response({
            "message": "Inventory updated.",
            "old_quantity": adjustment.previous_quantity,
            "new_quantity": adjustment.new_quantity,
            "adjustment": InventoryAdjustmentSerializer(adjustment).data,
            "product": self.get_serializer(product).data,
        })

    @swagger_auto_schema(
        operation_description=(
            "Create many products at once: JSON `{\"products\": [{name, sku, base_price, description?, category? "
            "(id or slug), suggested_markup?, stock_quantity?, weight?, is_active?}, …]}`, or a multipart `file` "
            "holding a UTF-8 CSV whose header row names those fields. At most 1,000 rows. Valid rows are created, "
            "invalid ones reported as `errors: [{row, errors}]` (JSON rows count from 1; CSV rows are file line "
            "numbers, the header being line 1). 201 when at least one product was created, otherwise 400."
        ),
        request_body=BulkUploadJSONSerializer,
        responses={201: BulkUploadResponseSerializer()},
    )
    @action(detail=False, methods=["post"])
    def bulk_upload(self, request):
        uploaded = request.FILES.get("file")
        if uploaded is not None:
            rows, numbers = services.bulk_rows_from_csv(uploaded)
        else:
            # A JSON body that is a list, a string or null has no "products" key: the same 400.
            rows, numbers = (request.data.get("products") if isinstance(request.data, dict) else None), None
            if not isinstance(rows, list):
                raise ValidationFailed("products: Send a `products` list (JSON) or a CSV `file` (multipart).",
                                       details={"products": ["Send a list of products, or a CSV file as `file`."]})
        result = services.products_bulk_create(supplier=self._supplier(), rows=rows, row_numbers=numbers,
                                               actor=request.user)
        if not result["created_products"]:
            raise ValidationFailed("No product was created; see details.", details={"errors": result["errors"]})
        return Response(
            {"message": f"{len(result['created_products'])} product(s) created.", **result},
            status=status.HTTP_201_CREATED,
        )


class MyProductsView(ListAPIView):
    """Your products, active and inactive (`?is_active=`, `?category=`, `?in_stock=`), paginated.

    Served at `/api/suppliers/profiles/my_products/` (SPEC §4); unlike the CRUD routes it is open to
    every supplier account, so a pending or rejected supplier still sees what it has listed.
    """

    serializer_class = SupplierProductSerializer
    permission_classes = [IsSupplier]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Product.objects.none()
        supplier = supplier_for_user(self.request.user)
        filterset = SupplierProductFilter(self.request.query_params, queryset=supplier_product_list(supplier=supplier))
        if not filterset.is_valid():  # ?is_active=maybe → 400, not silently unfiltered
            raise ValidationFailed("Invalid filter.", details=filterset.errors)
        return filterset.qs
