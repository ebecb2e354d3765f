"""Catalog (public), categories (public tree, admin writes) and product images (owning supplier)."""
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core.cache import cached_api_read
from core.errors import NotFound, ValidationFailed
from core.exceptions import error_response
from core.filters import FilterBackend
from core.pagination import CachedCountPagination
from core.parsers import FormParser, JSONParser, MultiPartParser
from core.permissions import IsAdmin, is_admin

from . import services
from .caching import CATALOG
from .filters import CatalogFilter
from .models import Category, Product
from .permissions import IsVerifiedSupplier
from .search import ProductSearchFilter
from .selectors import (
    catalog_compact_list,
    catalog_compact_rows,
    catalog_default_compact_rows,
    catalog_default_page_rows,
    catalog_page_images,
    catalog_page_parts,
    catalog_page_rows,
    catalog_product_list,
    category_subtree,
    category_tree,
)
from .serializers import (
    CategoryNodeSerializer,
    CategoryWriteSerializer,
    CompactProductSerializer,
    ProductImageSerializer,
    ProductImageUpdateSerializer,
    ProductImageUploadSerializer,
    ProductSerializer,
    catalog_rows,
    compact_rows,
)

CATALOG_VIEWS = ("full", "compact")


class CatalogPagination(CachedCountPagination):
    """The catalog's total is one ``COUNT(*)`` over every visible product: counted once per catalog version
    and filter, not on every page."""

    count_name = "catalog-count"
    count_scopes = (CATALOG,)
    def paginate_queryset(self, queryset, request, view=None):
        # A deep page (from core.pagination.WINDOW_FROM_OFFSET) skips its offset on the partial index
        # product_catalog_visible_page (index-only): ≈ 7 → 1.6 ms at OFFSET 10,000 of 20,000 on PostgreSQL.
        # Not for a search: the page's own rows would be matched against the terms a second time, for a list
        # that is rarely paged deep.
        self.window_by_pk = not request.query_params.get(ProductSearchFilter.search_param)
        return super().paginate_queryset(queryset, request, view)
    count_params = (*(name for name in CatalogFilter.base_filters if name != "ordering"), ProductSearchFilter.search_param)


class CatalogProductViewSet(viewsets.ReadOnlyModelViewSet):
    """The public catalog: active products of verified, active suppliers.

    Filters: `category` (id or slug, sub-categories included), `min_price`, `max_price` (base price),
    `in_stock`, `supplier`; `search`: words that must all occur in the name, description or SKU (at most
    8 words and 100 characters, else 400); `ordering` = price, created_at,
    name (prefix `-` for descending). Paginated (`page`, `page_size`). `view=compact` lists only `id`,
    `name`, `price` (the base price) and `thumbnail` (the primary image's URL) per product.
    """

    serializer_class = ProductSerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = CatalogPagination
    filter_backends = [FilterBackend, ProductSearchFilter]
    filterset_class = CatalogFilter

    def _compact(self) -> bool:
        if self.action != "list":
            return False
        view = self.request.query_params.get("view") or "full"
        if view not in CATALOG_VIEWS:
            message = f"Must be one of: {', '.join(CATALOG_VIEWS)}."
            raise ValidationFailed(f"view: {message}", details={"view": [message]})
        return view == "compact"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return catalog_product_list()
        return catalog_compact_list() if self._compact() else catalog_product_list()

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return ProductSerializer
        return CompactProductSerializer if self._compact() else ProductSerializer

    @swagger_auto_schema(manual_parameters=[openapi.Parameter(
        "view", openapi.IN_QUERY, type=openapi.TYPE_STRING, enum=list(CATALOG_VIEWS),
        description="compact: only id, name, price (base price) and thumbnail per product.")])
    @cached_api_read(name="catalog-products", scopes=[CATALOG])  # same for everyone; stale on any catalog change
    def list(self, request, *args, **kwargs):
        # The page of products as rows (the full view: with their supplier's name and category, one query), then
        # their images (and for the full view variations) as rows, one IN query each — the queries the detail's
        # prefetch runs — shaped as ProductSerializer / CompactProductSerializer shape them. The catalog as it
        # opens (no filter, search or ordering asked for) reads its page through a read compiled once per
        # connection and slice: the same rows as the ORM's page of get_queryset().
        as_opened = not any(name in request.query_params for name in (*CatalogPagination.count_params, "ordering"))
        if self._compact():
            self.paginator.page_rows = ((lambda object_list, bottom, top, by_key: catalog_default_compact_rows(
                bottom, top, by_key=by_key)) if as_opened else catalog_compact_rows)
            page = list(self.paginate_queryset(self.filter_queryset(self.get_queryset())))
            return self.get_paginated_response(compact_rows(page, catalog_page_images(page), request))
        self.paginator.page_rows = ((lambda object_list, bottom, top, by_key: catalog_default_page_rows(bottom, top))
                                    if as_opened else catalog_page_rows)
        page = list(self.paginate_queryset(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(catalog_rows(page, catalog_page_parts(page), request))

    @cached_api_read(name="catalog-product", scopes=[CATALOG])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


class CategoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Categories as a tree (`children` nested). Admins create, rename, move (`parent`) and delete them;
    a category that still has products or sub-categories cannot be deleted (409)."""

    queryset = Category.objects.all()
    serializer_class = CategoryWriteSerializer
    pagination_class = None
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [permissions.AllowAny()]
        return [IsAdmin()]

    def _include_inactive(self) -> bool:
        return is_admin(self.request.user)

    @swagger_auto_schema(responses={200: CategoryNodeSerializer(many=True)})
    @cached_api_read(name="categories", scopes=[CATALOG], skip=lambda view, request: view._include_inactive())  # admins see more
    def list(self, request, *args, **kwargs):
        return Response(category_tree(include_inactive=self._include_inactive()))

    @swagger_auto_schema(responses={200: CategoryNodeSerializer()})
    @cached_api_read(name="category", scopes=[CATALOG], skip=lambda view, request: view._include_inactive())
    def retrieve(self, request, *args, **kwargs):
        category = self.get_object()
        if not category.is_active and not self._include_inactive():
            raise NotFound("Category not found.")
        return Response(category_subtree(category=category, include_inactive=self._include_inactive()))

    @swagger_auto_schema(request_body=CategoryWriteSerializer, responses={201: CategoryWriteSerializer()})
    def create(self, request, *args, **kwargs):
        serializer = CategoryWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = services.category_create(data=dict(serializer.validated_data))
        return Response(CategoryWriteSerializer(category).data, status=status.HTTP_201_CREATED)

    @swagger_auto_schema(request_body=CategoryWriteSerializer, responses={200: CategoryWriteSerializer()})
    def partial_update(self, request, *args, **kwargs):
        category = self.get_object()
        serializer = CategoryWriteSerializer(category, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        category = services.category_update(category=category, data=dict(serializer.validated_data))
        return Response(CategoryWriteSerializer(category).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.category_delete(category=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _own_product(request, product_id) -> Product:
    """The requesting supplier's product (active or not); anyone else's is not found."""
    try:
        return Product.objects.get(pk=product_id, supplier__user=request.user)
    except Product.DoesNotExist as exc:
        raise NotFound("Product not found.") from exc


class ProductImagesView(APIView):
    permission_classes = [IsVerifiedSupplier]
    parser_classes = [MultiPartParser, FormParser]

    @swagger_auto_schema(
        operation_description="Upload one image of your product (multipart). It is decoded, converted to an "
                              "optimised JPEG ≤ 1200×1200 and stored under `products/<id>/`. `is_primary` makes it "
                              "the product's only primary image (the first image is primary anyway).",
        request_body=ProductImageUploadSerializer,
        responses={201: ProductImageSerializer(), 413: "Image larger than 10 MB"},
    )
    def post(self, request, product_id):
        product = _own_product(request, product_id)
        serializer = ProductImageUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        image = services.product_image_add(product=product, uploaded_file=data["image"],
                                           is_primary=data["is_primary"], alt_text=data["alt_text"])
        return Response(ProductImageSerializer(image, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class ProductImagesBulkView(APIView):
    permission_classes = [IsVerifiedSupplier]
    parser_classes = [MultiPartParser, FormParser]

    @swagger_auto_schema(
        operation_description="Upload up to 10 images (multipart `images`, repeated). Each is accepted or refused on "
                              "its own; 201 when at least one was stored, otherwise 400.",
        manual_parameters=[openapi.Parameter("images", openapi.IN_FORM, type=openapi.TYPE_FILE, required=True,
                                             description="An image file; repeat the field for up to 10 images.")],
        responses={201: openapi.Response("Stored images and per-file failures", schema=openapi.Schema(
            type=openapi.TYPE_OBJECT, properties={
                "message": openapi.Schema(type=openapi.TYPE_STRING),
                "successful_uploads": openapi.Schema(type=openapi.TYPE_ARRAY, items=openapi.Schema(type=openapi.TYPE_OBJECT)),
                "failed_uploads": openapi.Schema(type=openapi.TYPE_ARRAY, items=openapi.Schema(type=openapi.TYPE_OBJECT)),
            }))},
    )
    def post(self, request, product_id):
        product = _own_product(request, product_id)
        files = request.FILES.getlist("images")
        created, failed = services.product_images_add_bulk(product=product, files=files)
        body = {
            "message": f"{len(created)} image(s) uploaded.",
            "successful_uploads": ProductImageSerializer(created, many=True, context={"request": request}).data,
            "failed_uploads": failed,
        }
        if not created:
            return error_response("No image was stored.", status.HTTP_400_BAD_REQUEST,
                                  {"failed_uploads": failed}, code="no_image_stored")
        return Response(body, status=status.HTTP_201_CREATED)


class ProductImageDetailView(APIView):
    permission_classes = [IsVerifiedSupplier]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @swagger_auto_schema(request_body=ProductImageUpdateSerializer, responses={200: ProductImageSerializer()})
    def patch(self, request, product_id, image_id):
        """Change alt text or position, or make this the primary image (the old primary is unset)."""
        product = _own_product(request, product_id)
        serializer = ProductImageUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = services.product_image_update(product=product, image_id=image_id, **serializer.validated_data)
        return Response(ProductImageSerializer(image, context={"request": request}).data)

    @swagger_auto_schema(responses={204: "Deleted (the file too)"})
    def delete(self, request, product_id, image_id):
        """Delete the image and its stored file. If it was primary, the next image becomes primary."""
        product = _own_product(request, product_id)
        services.product_image_delete(product=product, image_id=image_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
