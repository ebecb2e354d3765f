"""Input validation and output shapes for the catalog, suppliers' products, images and categories."""
from decimal import Decimal

from django.core.files.storage import FileSystemStorage
from django.db.models import Q
from django.utils import timezone
from django.utils.encoding import filepath_to_uri
from django.utils.text import slugify
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from core.money import quantize

from .models import Category, Product, ProductImage, ProductVariation
from .selectors import (
    IMAGE_ORDERING,
    VARIATION_ORDERING,
    CatalogPageParts,
    CompactRow,
    ImageRow,
    ProductRow,
    VariationRow,
)

MAX_VARIATIONS = 100

def absolute_media_url(request, file_field) -> str | None:
    """The file's URL, absolute (local ``/media/…`` gets the request's host; S3 URLs are already absolute)."""
    if not file_field:
        return None
    return absolute_storage_url(request, file_field.storage, file_field.name)


def absolute_storage_url(request, storage, name: str) -> str | None:
    """``absolute_media_url`` from a storage and a file name (what ``FieldFile.url`` reads), for rows read
    without a model instance."""
    if not name:
        return None
    url = storage.url(name)
    if request is not None and url.startswith("/"):
        return request.build_absolute_uri(url)
    return url

def _images(product: Product) -> list[ProductImage]:
    images = getattr(product, "prefetched_images", None)
    return images if images is not None else list(product.images.order_by(*IMAGE_ORDERING))

def _variations(product: Product) -> list[ProductVariation]:
    variations = getattr(product, "prefetched_variations", None)
    return variations if variations is not None else list(product.variations.order_by(*VARIATION_ORDERING))

def primary_image(product: Product) -> ProductImage | None:
    images = _images(product)
    for image in images:
        if image.is_primary:
            return image
    return images[0] if images else None

def primary_image_url(product: Product, request) -> str | None:
    image = primary_image(product)
    return absolute_media_url(request, image.image) if image else None

class ProductImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["id", "url", "alt_text", "is_primary", "position", "created_at"]

    def get_url(self, obj) -> str | None:
        return absolute_media_url(self.context.get("request"), obj.image)

class ProductImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(help_text="JPEG, PNG or WebP; at most 10 MB and 40 megapixels.")
    is_primary = serializers.BooleanField(required=False, default=False)
    alt_text = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

class ProductImageUpdateSerializer(serializers.Serializer):
    is_primary = serializers.BooleanField(required=False)
    alt_text = serializers.CharField(required=False, allow_blank=True, max_length=200)
    position = serializers.IntegerField(required=False, min_value=0, max_value=10_000)

class ProductVariationSerializer(serializers.ModelSerializer):
    """A variation. On write, an item with ``id`` updates that variation; one without creates a new one."""

    id = serializers.IntegerField(required=False)
    stock_quantity = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False)
    price_modifier = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)

    class Meta:
        model = ProductVariation
        fields = ["id", "name", "attributes", "sku", "price_modifier", "stock_quantity", "is_active"]
        # name and sku are required for new variations only; validate_variations checks that.
        extra_kwargs = {"sku": {"validators": [], "required": False}, "name": {"required": False},
                        "attributes": {"required": False}, "is_active": {"required": False}}

    def validate_attributes(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be an object, e.g. {\"size\": \"M\"}.")
        return value

class CategoryBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]

class _RelatedList(serializers.ListSerializer):
    """A nested list declared once on the parent serializer, read through ``loader(product)``: the selector's
    prefetch (``prefetched_images`` / ``prefetched_variations``) or, for a product loaded elsewhere, one
    ordered query of its own."""

    def __init__(self, *args, loader, **kwargs):
        self.loader = loader
        super().__init__(*args, **kwargs)

    def get_attribute(self, instance):
        return self.loader(instance)


# Formatting of the catalog list's values, exactly as ``ProductSerializer``'s fields format them (one instance
# each, used only for ``to_representation``).
_PRICE = serializers.DecimalField(max_digits=12, decimal_places=2)
_MARKUP = serializers.DecimalField(max_digits=6, decimal_places=2)
_WEIGHT = serializers.DecimalField(max_digits=8, decimal_places=3)
_WHEN = serializers.DateTimeField()


def _when(value) -> str | None:
    """``_WHEN.to_representation(value)`` (see ``_RowFormat.when``: the same, with the settings read per call)."""
    return _RowFormat(None).when(value)


_IMAGE_STORAGE = ProductImage._meta.get_field("image").storage


class _RowFormat:
    """How one catalog page formats its values, exactly as ``ProductSerializer``'s fields do, with what does not
    change within a request looked up once per page instead of per value (the time zone, the date format, the
    media URLs' absolute prefix)."""

    def __init__(self, request):
        self.request = request
        self.zone = timezone.get_current_timezone()
        self.iso = api_settings.DATETIME_FORMAT == ISO_8601
        self.urls: dict[str, str | None] = {}  # the primary image is also in the images list
        self.media_prefix = None
        storage = _IMAGE_STORAGE
        if isinstance(storage, FileSystemStorage) and storage.base_url.startswith("/") and request is not None:
            # FileSystemStorage.url(name) = base_url + filepath_to_uri(name); the request makes it absolute.
            self.media_prefix = request.build_absolute_uri(storage.base_url)

    def when(self, value) -> str | None:
        """ISO 8601 in the current time zone, ``Z`` for UTC, for aware datetimes; anything else through the
        field."""
        if value is None or not self.iso or timezone.is_naive(value):
            return _WHEN.to_representation(value)
        text = value.astimezone(self.zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def image_url(self, name: str) -> str | None:
        """One image's absolute URL (``absolute_storage_url``), built once per page."""
        url = self.urls.get(name, _UNSET)
        if url is _UNSET:
            if name and self.media_prefix is not None and _plain_file_name(name):
                url = self.media_prefix + filepath_to_uri(name)
            else:
                url = absolute_storage_url(self.request, _IMAGE_STORAGE, name)
            self.urls[name] = url
        return url


_UNSET = object()


def _plain_file_name(name: str) -> bool:
    """A stored file name that ``FileSystemStorage.url``'s ``urljoin`` and ``build_absolute_uri`` leave as it is
    once quoted: no leading or doubled slash, no backslash, no dot segment. Anything else takes the storage's own
    path (``products/tests/test_catalog_list.py`` holds the two equal)."""
    return not (name.startswith("/") or "//" in name or "\\" in name
                or any(segment in (".", "..") for segment in name.split("/")))


def _image_representation(image: ImageRow, fmt: _RowFormat) -> dict:
    return {"id": image.id, "url": fmt.image_url(image.name), "alt_text": image.alt_text,
            "is_primary": image.is_primary, "position": image.position,
            "created_at": fmt.when(image.created_at)}


def _primary_row(images) -> ImageRow | None:
    """``primary_image`` for image rows: the one marked primary, else the first."""
    return next((image for image in images if image.is_primary), images[0] if images else None)


def _variation_representation(variation: VariationRow) -> dict:
    return {"id": variation.id, "name": variation.name, "attributes": variation.attributes, "sku": variation.sku,
            "price_modifier": _PRICE.to_representation(variation.price_modifier),
            "stock_quantity": variation.stock_quantity, "is_active": variation.is_active}


def suggested_price(product: Product) -> str:
    return str(quantize(product.base_price * (1 + product.suggested_markup / Decimal("100"))))


def _product_row(product: Product | ProductRow, fmt: _RowFormat, *, supplier_name: str, category: tuple | None,
                 images: list[ImageRow], variations: list[VariationRow]) -> dict:
    """``ProductSerializer(product).data`` without DRF's per-field machinery (the catalog list's hot path;
    ``products/tests/test_catalog_list.py`` proves the two equal, field by field)."""
    primary = _primary_row(images)
    return {
        "id": product.id, "name": product.name, "slug": product.slug, "description": product.description,
        "sku": product.sku, "category": product.category_id,
        "category_detail": None if category is None else {"id": category[0], "name": category[1],
                                                          "slug": category[2]},
        "supplier": {"id": product.supplier_id, "company_name": supplier_name},
        "base_price": _PRICE.to_representation(product.base_price),
        "suggested_markup": _MARKUP.to_representation(product.suggested_markup),
        "suggested_price": suggested_price(product),
        "stock_quantity": product.stock_quantity, "in_stock": product.stock_quantity > 0,
        "weight": None if product.weight is None else _WEIGHT.to_representation(product.weight),
        "primary_image": None if primary is None else fmt.image_url(primary.name),
        "images": [_image_representation(image, fmt) for image in images],
        "variations": [_variation_representation(variation) for variation in variations],
        "created_at": fmt.when(product.created_at),
        "updated_at": fmt.when(product.updated_at),
    }


def _product_representation(product: Product, request) -> dict:
    """The hand-built row of a product instance (its relations from the selector's prefetch, or read)."""
    category = product.category
    return _product_row(
        product, _RowFormat(request), supplier_name=product.supplier.company_name,
        category=None if category is None else (category.id, category.name, category.slug),
        images=[ImageRow(i.product_id, i.id, i.image.name or "", i.alt_text, i.is_primary, i.position, i.created_at)
                for i in _images(product)],
        variations=[VariationRow(v.product_id, v.id, v.name, v.attributes, v.sku, v.price_modifier, v.stock_quantity,
                                 v.is_active) for v in _variations(product)],
    )


def catalog_rows(page: list[ProductRow], parts: CatalogPageParts, request) -> list[dict]:
    """A catalog page from ``selectors.catalog_page_rows`` (the products' columns, supplier name and category in
    one query) and ``selectors.catalog_page_parts`` (images, variations): no model instance at all."""
    fmt = _RowFormat(request)
    return [
        _product_row(product, fmt, supplier_name=product.supplier_name,
                     category=None if product.category_id is None else (product.category_id, product.category_name,
                                                                         product.category_slug),
                     images=parts.images.get(product.id, []), variations=parts.variations.get(product.id, []))
        for product in page
    ]


class _HandBuiltList(serializers.ListSerializer):
    """``many=True`` of a serializer that declares ``row_representation(instance, request)`` itself: each row built
    by it, without DRF's per-field machinery. A subclass that adds fields does not inherit the declaration (it is
    looked up on the exact class) and goes through DRF's own path."""

    def to_representation(self, data):
        represent = vars(type(self.child)).get("row_representation")
        if represent is None:
            return super().to_representation(data)
        request = self.context.get("request")
        return [represent(row, request) for row in (data.all() if hasattr(data, "all") else data)]


class ProductSerializer(serializers.ModelSerializer):
    """A product as the catalog shows it: supplier, category, primary image, images, variations."""

    category_detail = CategoryBriefSerializer(source="category", read_only=True, allow_null=True)
    supplier = serializers.SerializerMethodField()
    suggested_price = serializers.SerializerMethodField()
    in_stock = serializers.SerializerMethodField()
    primary_image = serializers.SerializerMethodField()
    images = _RelatedList(child=ProductImageSerializer(), loader=_images, read_only=True)
    variations = _RelatedList(child=ProductVariationSerializer(), loader=_variations, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id", "name", "slug", "description", "sku", "category", "category_detail", "supplier", "base_price",
            "suggested_markup", "suggested_price", "stock_quantity", "in_stock", "weight", "primary_image",
            "images", "variations", "created_at", "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = _HandBuiltList

    row_representation = staticmethod(_product_representation)

    def get_supplier(self, obj) -> dict:
        return {"id": obj.supplier_id, "company_name": obj.supplier.company_name}

    def get_suggested_price(self, obj) -> str:
        return suggested_price(obj)

    def get_in_stock(self, obj) -> bool:
        return obj.stock_quantity > 0

    def get_primary_image(self, obj) -> str | None:
        return primary_image_url(obj, self.context.get("request"))


def compact_rows(page: list[CompactRow], images: dict[int, list[ImageRow]], request) -> list[dict]:
    """A compact catalog page from ``selectors.catalog_compact_rows`` and ``selectors.catalog_page_images``, as
    ``CompactProductSerializer`` shapes it (``products/tests/test_catalog_list.py`` holds the two equal)."""
    fmt = _RowFormat(request)
    result = []
    for product in page:
        primary = _primary_row(images.get(product.id, ()))
        result.append({"id": product.id, "name": product.name, "price": _PRICE.to_representation(product.base_price),
                       "thumbnail": None if primary is None else fmt.image_url(primary.name)})
    return result


def _compact_representation(product: Product, request) -> dict:
    return {"id": product.id, "name": product.name, "price": _PRICE.to_representation(product.base_price),
            "thumbnail": primary_image_url(product, request)}


class CompactProductSerializer(serializers.ModelSerializer):
    """``?view=compact`` of the catalog list: what a list screen shows. ``price`` is the base price,
    ``thumbnail`` the primary image's URL (null without images)."""

    price = serializers.DecimalField(source="base_price", max_digits=12, decimal_places=2, read_only=True)
    thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["id", "name", "price", "thumbnail"]
        read_only_fields = fields
        list_serializer_class = _HandBuiltList

    row_representation = staticmethod(_compact_representation)

    def get_thumbnail(self, obj) -> str | None:
        return primary_image_url(obj, self.context.get("request"))


class SupplierProductSerializer(ProductSerializer):
    """A supplier's own product, writable. ``slug`` is generated from the name at creation and then kept,
    so shared links keep working after a rename. ``variations`` are created/updated with the product
    (an item with ``id`` updates, one without creates; to retire a variation set ``is_active`` false).
    Changing ``stock_quantity`` here is recorded like ``update_inventory``."""

    variations = ProductVariationSerializer(many=True, required=False, write_only=True)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    base_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    suggested_markup = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0"),
                                                max_value=Decimal("1000"), required=False)
    stock_quantity = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False)
    weight = serializers.DecimalField(max_digits=8, decimal_places=3, min_value=Decimal("0"), required=False,
                                      allow_null=True)

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "is_active"]
        read_only_fields = ["id", "slug", "category_detail", "supplier", "suggested_price", "in_stock",
                            "primary_image", "images", "created_at", "updated_at"]
        extra_kwargs = {"sku": {"validators": []}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["variations"] = ProductVariationSerializer(_variations(instance), many=True).data
        return data

    def validate_sku(self, value):
        # CharField has already trimmed the value and refused a blank one.
        taken = Product.objects.filter(sku__iexact=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise serializers.ValidationError("A product with this SKU already exists.")
        return value

    def validate_variations(self, value):
        if len(value) > MAX_VARIATIONS:
            raise serializers.ValidationError(f"At most {MAX_VARIATIONS} variations.")
        product_id = self.instance.pk if self.instance is not None else None
        own_ids = set()
        if product_id is not None:
            own_ids = set(ProductVariation.objects.filter(product_id=product_id).values_list("id", flat=True))
        errors: list[dict] = [{} for _ in value]
        skus: dict[str, int] = {}
        for index, item in enumerate(value):
            if "id" in item and item["id"] not in own_ids:
                errors[index]["id"] = ["Not a variation of this product."]
            if "id" not in item and "name" not in item:
                errors[index]["name"] = ["This field is required."]
            if "id" not in item and "sku" not in item:
                errors[index]["sku"] = ["This field is required."]
            sku = item.get("sku")
            if sku:
                if sku.lower() in skus:
                    errors[index]["sku"] = ["Duplicate SKU in this request."]
                skus[sku.lower()] = index
        if skus:
            query = Q()
            for sku in skus:
                query |= Q(sku__iexact=sku)
            taken = ProductVariation.objects.filter(query).values_list("sku", "id")
            for sku, variation_id in taken:
                index = skus[sku.lower()]
                if value[index].get("id") != variation_id:
                    errors[index]["sku"] = ["A variation with this SKU already exists."]
        if any(errors):
            raise serializers.ValidationError(errors)
        return value

    def validate(self, attrs):
        if self.instance is None:
            missing = {name: ["This field is required."] for name in ("name", "sku", "base_price") if name not in attrs}
            if missing:
                raise serializers.ValidationError(missing)
        return attrs

class InventoryUpdateSerializer(serializers.Serializer):
    stock_quantity = serializers.IntegerField(min_value=0, max_value=10_000_000,
                                              help_text="The new absolute quantity (not a delta).")
    variation_id = serializers.IntegerField(required=False, allow_null=True,
                                            help_text="Set this variation's stock instead of the product's.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    def to_internal_value(self, data):
        # The guide's client sends ``quantity``; accept it as an alias.
        if hasattr(data, "get") and "stock_quantity" not in data and "quantity" in data:
            data = {"stock_quantity": data.get("quantity"), "variation_id": data.get("variation_id"),
                    "reason": data.get("reason", "")}
            if data["variation_id"] is None:
                data.pop("variation_id")
        return super().to_internal_value(data)

class InventoryAdjustmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.IntegerField(source="product_id")
    variation = serializers.IntegerField(source="variation_id", allow_null=True)
    previous_quantity = serializers.IntegerField()
    new_quantity = serializers.IntegerField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()

class BulkRowSerializer(serializers.Serializer):
    """One row of a bulk upload. Database checks (SKU taken, category exists) are done for all rows
    at once by the service, so validating a row costs no query."""

    name = serializers.CharField(max_length=200)
    sku = serializers.CharField(max_length=64)
    base_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.CharField(required=False, allow_blank=True, allow_null=True, default="",
                                     help_text="Category id or slug.")
    suggested_markup = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=Decimal("0"),
                                                max_value=Decimal("1000"), required=False, default=Decimal("20.00"))
    stock_quantity = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False, default=0)
    weight = serializers.DecimalField(max_digits=8, decimal_places=3, min_value=Decimal("0"), required=False,
                                      allow_null=True, default=None)
    is_active = serializers.BooleanField(required=False, default=True)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            # CSV cells are strings; an empty optional cell means "not given".
            data = {key: value for key, value in data.items()
                    if key and not (isinstance(value, str) and value.strip() == "" and key not in ("name", "sku"))}
        return super().to_internal_value(data)

class BulkUploadJSONSerializer(serializers.Serializer):
    products = serializers.ListField(child=serializers.DictField(), help_text="At most 1,000 product rows.")

class BulkUploadResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    created_products = serializers.ListField(child=serializers.DictField())
    errors = serializers.ListField(child=serializers.DictField())

class CategoryNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True)
    is_active = serializers.BooleanField()
    children = serializers.ListField(child=serializers.JSONField())

class CategoryWriteSerializer(serializers.ModelSerializer):
    slug = serializers.SlugField(max_length=120, required=False, allow_blank=True)
    parent = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent", "description", "is_active"]
        read_only_fields = ["id"]

    def validate(self, attrs):
        slug = attrs.get("slug")
        if not slug and self.instance is None:
            slug = slugify(attrs.get("name", ""))[:120]
            if not slug:
                raise serializers.ValidationError({"slug": ["Could not make a slug from the name; give one."]})
            attrs["slug"] = slug
        if slug:
            taken = Category.objects.filter(slug=slug)
            if self.instance is not None:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                raise serializers.ValidationError({"slug": ["A category with this slug already exists."]})
        return attrs
