"""Supplier registration, profiles, verification, dashboard, and suppliers' own products."""
import csv
import io

from django.db import transaction
from django_filters.rest_framework import DjangoFilterBackend
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import filters, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import PayloadTooLarge, ValidationFailed
from core.parsers import FormParser, JSONParser, MultiPartParser
from core.permissions import IsAdmin, IsSupplier, IsVerifiedSupplier, is_admin
from core.throttling import ScopedRateThrottle
from products import services as product_services
from products.filters import SupplierProductFilter
from products.models import Product
from products.selectors import supplier_product_get, supplier_product_list
from products.serializers import (
    BulkUploadJSONSerializer,
    BulkUploadResponseSerializer,
    InventoryAdjustmentSerializer,
    InventoryUpdateSerializer,
    SupplierProductSerializer,
)
from users.api import tokens_for

from . import selectors, services
from .serializers import (
    SupplierDashboardSerializer,
    SupplierOrderSerializer,
    SupplierProfileSerializer,
    SupplierRegistrationResponseSerializer,
    SupplierRegistrationSerializer,
    SupplierVerifySerializer,
)

MAX_CSV_BYTES = 2 * 1024 * 1024


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
        if self.action in ("my_products", "my_orders", "dashboard"):
            return [IsSupplier()]
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

    @swagger_auto_schema(responses={200: SupplierProductSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def my_products(self, request):
        """Your products, active and inactive (`?is_active=`, `?category=`, `?in_stock=`), paginated."""
        supplier = selectors.supplier_for_user(request.user)
        filterset = SupplierProductFilter(request.query_params, queryset=supplier_product_list(supplier=supplier))
        if not filterset.is_valid():  # ?is_active=maybe → 400, not silently unfiltered
            raise ValidationFailed("Invalid filter.", details=filterset.errors)
        queryset = filterset.qs
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(SupplierProductSerializer(page, many=True, context={"request": request}).data)

    @swagger_auto_schema(
        manual_parameters=[openapi.Parameter("status", openapi.IN_QUERY, type=openapi.TYPE_STRING)],
        responses={200: SupplierOrderSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def my_orders(self, request):
        """Orders for your products, newest first (`?status=` filters), paginated."""
        supplier = selectors.supplier_for_user(request.user)
        queryset = selectors.supplier_orders(supplier=supplier, status=request.query_params.get("status"))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(SupplierOrderSerializer(page, many=True).data)

    @swagger_auto_schema(responses={200: SupplierDashboardSerializer()})
    @action(detail=False, methods=["get"])
    def dashboard(self, request):
        """Totals, revenue (paid orders), order counts by status, recent orders, top products."""
        supplier = selectors.supplier_for_user(request.user)
        return Response(SupplierDashboardSerializer(selectors.supplier_dashboard(supplier=supplier)).data)


def _read_csv_rows(uploaded) -> tuple[list[dict], list[int]]:
    """Rows of a CSV with a header row, and their line numbers (the header is line 1)."""
    if uploaded.size > MAX_CSV_BYTES:
        raise PayloadTooLarge("The CSV file is larger than 2 MB.", details={"file": ["At most 2 MB."]})
    raw = uploaded.read(MAX_CSV_BYTES + 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = "The CSV must be UTF-8 encoded."
        raise ValidationFailed(f"file: {message}", details={"file": [message]}) from exc
    if "\x00" in text:  # Python's csv module accepts NUL; PostgreSQL would refuse it at save time
        message = "The CSV contains a NUL character."
        raise ValidationFailed(f"file: {message}", details={"file": [message]})
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        if not reader.fieldnames:
            raise ValidationFailed("file: The CSV needs a header row.", details={"file": ["The CSV needs a header row."]})
        reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames]
        rows, numbers = [], []
        for row in reader:
            if not any((value or "").strip() for key, value in row.items() if key and isinstance(value, str)):
                continue  # blank line
            rows.append(row)
            numbers.append(reader.line_num)
            if len(rows) > product_services.MAX_BULK_ROWS:
                break
    except csv.Error as exc:
        raise ValidationFailed(f"file: Unreadable CSV ({exc}).", details={"file": [f"Unreadable CSV ({exc})."]}) from exc
    if len(rows) > product_services.MAX_BULK_ROWS:
        raise ValidationFailed(
            f"file: At most {product_services.MAX_BULK_ROWS} rows per upload.",
            details={"file": [f"At most {product_services.MAX_BULK_ROWS} rows per upload."]},
        )
    return rows, numbers


class SupplierProductViewSet(viewsets.ModelViewSet):
    """A verified supplier's own products. Another supplier's product is 404; unverified suppliers get 403.

    Variations are written nested in the product body (`variations: [{id?, name, sku, attributes,
    price_modifier, stock_quantity, is_active}]`: with `id` updates, without creates). DELETE deactivates
    (the product disappears from the catalog and storefronts; order history keeps it).
    """

    serializer_class = SupplierProductSerializer
    permission_classes = [IsVerifiedSupplier]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, filters.OrderingFilter]
    filterset_class = SupplierProductFilter
    search_fields = ["name", "description", "sku"]
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
        product = product_services.product_create(supplier=self._supplier(), data=dict(serializer.validated_data),
                                                  actor=request.user)
        return self._output(product.pk, status_code=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        product_services.product_update(supplier=self._supplier(), product_id=instance.pk,
                                        data=dict(serializer.validated_data), actor=request.user)
        return self._output(instance.pk)

    @swagger_auto_schema(responses={204: "Deactivated"})
    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        product_services.product_deactivate(supplier=self._supplier(), product_id=instance.pk)
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
        adjustment = product_services.product_update_inventory(
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
            rows, numbers = _read_csv_rows(uploaded)
        else:
            # A JSON body that is a list, a string or null has no "products" key: the same 400.
            rows, numbers = (request.data.get("products") if isinstance(request.data, dict) else None), None
            if not isinstance(rows, list):
                raise ValidationFailed("products: Send a `products` list (JSON) or a CSV `file` (multipart).",
                                       details={"products": ["Send a list of products, or a CSV file as `file`."]})
        with transaction.atomic():
            result = product_services.products_bulk_create(supplier=self._supplier(), rows=rows, row_numbers=numbers,
                                                           actor=request.user)
        if not result["created_products"]:
            raise ValidationFailed("No product was created; see details.", details={"errors": result["errors"]})
        return Response(
            {"message": f"{len(result['created_products'])} product(s) created.", **result},
            status=status.HTTP_201_CREATED,
        )
