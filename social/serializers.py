from decimal import Decimal

from rest_framework import serializers

from core.links import media_url, product_url, storefront_url
from core.money import CURRENCY

from .models import EntrepreneurStorefront, StoreProduct


def first_image_url(product) -> str | None:
    """The primary image (or the first one) from the ``ordered_images`` prefetch."""
    images = getattr(product, "ordered_images", None)
    if images is None:  # not prefetched: never silently issue a query per row
        return None
    return media_url(images[0].image) if images else None


def _validate_json_object(value, name: str):
    if not isinstance(value, dict):
        raise serializers.ValidationError(f"{name} must be a JSON object.")
    if len(value) > 30:
        raise serializers.ValidationError(f"{name} may have at most 30 entries.")
    for key, item in value.items():
        if not isinstance(item, str | int | float | bool | type(None)) or len(str(key)) > 50 or len(str(item)) > 500:
            raise serializers.ValidationError(f"{name} values must be short text.")
    return value


class StorefrontSerializer(serializers.ModelSerializer):
    custom_url = serializers.CharField(source="entrepreneur.custom_url", read_only=True)
    public_url = serializers.SerializerMethodField()
    contact_info = serializers.JSONField(required=False, help_text='e.g. {"email": "...", "phone": "..."}')
    social_links = serializers.JSONField(required=False, help_text='e.g. {"instagram": "myshop"}')

    class Meta:
        model = EntrepreneurStorefront
        fields = [
            "id", "custom_url", "public_url", "theme", "about_section", "contact_info", "social_links", "seo_title",
            "seo_description", "is_published", "cod_enabled", "cod_max_order_value", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"cod_max_order_value": {"min_value": 0}}

    def get_public_url(self, obj) -> str:
        return storefront_url(obj.entrepreneur.custom_url)

    def validate_contact_info(self, value):
        return _validate_json_object(value, "contact_info")

    def validate_social_links(self, value):
        return _validate_json_object(value, "social_links")


class PublicStorefrontSerializer(serializers.ModelSerializer):
    class Meta:
        model = EntrepreneurStorefront
        fields = ["theme", "about_section", "contact_info", "social_links"]
        read_only_fields = fields


class ProductSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    base_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    suggested_markup = serializers.DecimalField(max_digits=6, decimal_places=2)
    stock_quantity = serializers.IntegerField()
    primary_image = serializers.SerializerMethodField()
    is_available = serializers.SerializerMethodField(help_text="Still in the catalog (active, verified supplier).")

    def get_primary_image(self, obj) -> str | None:
        return first_image_url(obj)

    def get_is_available(self, obj) -> bool:
        return obj.is_catalog_visible


class StoreProductSerializer(serializers.ModelSerializer):
    """The entrepreneur's view of an item in their store. The price defaults server-side."""

    product = serializers.IntegerField(source="product_id", help_text="Catalog product id.")
    selling_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False,
        help_text="≥ the product's base price. Default: base × (1 + suggested_markup/100).",
    )
    product_summary = ProductSummarySerializer(source="product", read_only=True)
    markup_per_unit = serializers.SerializerMethodField()

    class Meta:
        model = StoreProduct
        fields = [
            "id", "product", "product_summary", "selling_price", "markup_per_unit", "is_featured", "position",
            "is_active", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def get_markup_per_unit(self, obj) -> str:
        return str(obj.selling_price - obj.product.base_price)


class StoreProductUpdateSerializer(serializers.Serializer):
    selling_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False)
    is_featured = serializers.BooleanField(required=False)
    position = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)
    is_active = serializers.BooleanField(required=False)


class ShopperProductFieldsMixin:
    """What every shopper-facing view of a store product says the same way: category, currency, stock."""

    def get_category(self, obj) -> str | None:
        category = obj.product.category
        return category.name if category else None

    def get_currency(self, obj) -> str:
        return CURRENCY

    def get_in_stock(self, obj) -> bool:
        return obj.product.stock_quantity > 0


class PublicProductCardSerializer(ShopperProductFieldsMixin, serializers.Serializer):
    """A store item as a shopper sees it: the entrepreneur's selling price, never the base price."""

    id = serializers.IntegerField(source="product.id")
    store_product_id = serializers.IntegerField(source="id")
    name = serializers.CharField(source="product.name")
    slug = serializers.CharField(source="product.slug")
    category = serializers.SerializerMethodField()
    price = serializers.DecimalField(source="selling_price", max_digits=12, decimal_places=2)
    currency = serializers.SerializerMethodField()
    in_stock = serializers.SerializerMethodField()
    stock_quantity = serializers.IntegerField(source="product.stock_quantity")
    image = serializers.SerializerMethodField()
    is_featured = serializers.BooleanField()
    url = serializers.SerializerMethodField()

    def get_image(self, obj) -> str | None:
        return first_image_url(obj.product)

    def get_url(self, obj) -> str:
        # The store's address comes from the context: one storefront per response, no query per row.
        return product_url(self.context["custom_url"], obj.product.slug)
