"""Output shapes of the public JSON pages (SPEC §4): storefront, product page, share links.

Views pass the storefront (or store product) and, in the serializer context, what comes from the
request: the ``source`` channel (``?src=``) and, for the storefront, the page of products already
paginated. Prices come from ``orders.pricing.shopper_unit_price``, the one rule for what a shopper pays.
"""
from rest_framework import serializers

from core.links import media_url, product_url, storefront_url
from core.money import CURRENCY
from entrepreneurs.serializers import PublicEntrepreneurSerializer
from orders.pricing import shopper_unit_price
from social.links import purchase_link
from social.serializers import (
    PublicProductCardSerializer,
    PublicStorefrontSerializer,
    ShopperProductFieldsMixin,
    first_image_url,
)

SHARE_DESCRIPTION_LENGTH = 150


def short_text(text: str, length: int = SHARE_DESCRIPTION_LENGTH) -> str:
    text = (text or "").strip()
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# --- the storefront --------------------------------------------------------------------------------

class StorefrontPageStoreSerializer(PublicStorefrontSerializer):
    url = serializers.SerializerMethodField()

    class Meta(PublicStorefrontSerializer.Meta):
        fields = [*PublicStorefrontSerializer.Meta.fields, "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return storefront_url(obj.entrepreneur.custom_url)


class StorefrontSeoSerializer(serializers.Serializer):
    title = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    canonical_url = serializers.SerializerMethodField()
    og_image = serializers.SerializerMethodField()
    og_type = serializers.SerializerMethodField()

    def get_title(self, storefront) -> str:
        return storefront.seo_title or f"{storefront.entrepreneur.business_name} - Payjaro Store"

    def get_description(self, storefront) -> str:
        entrepreneur = storefront.entrepreneur
        return storefront.seo_description or short_text(
            entrepreneur.bio or f"Shop from {entrepreneur.business_name} on Payjaro"
        )

    def get_canonical_url(self, storefront) -> str:
        return storefront_url(storefront.entrepreneur.custom_url)

    def get_og_image(self, storefront) -> str | None:
        entrepreneur = storefront.entrepreneur
        return media_url(entrepreneur.banner_image) or media_url(entrepreneur.profile_image)

    def get_og_type(self, storefront) -> str:
        return "website"


class StorefrontPageSerializer(serializers.Serializer):
    """``GET /<custom_url>/``. Context: ``featured`` (store products) and ``all_products`` (the paginated body)."""

    entrepreneur = PublicEntrepreneurSerializer()
    storefront = serializers.SerializerMethodField()
    featured_products = serializers.SerializerMethodField()
    all_products = serializers.SerializerMethodField()
    seo = serializers.SerializerMethodField()

    def get_storefront(self, storefront) -> dict:
        return StorefrontPageStoreSerializer(storefront).data

    def get_featured_products(self, storefront) -> list:
        context = {"custom_url": storefront.entrepreneur.custom_url}
        return PublicProductCardSerializer(self.context["featured"], many=True, context=context).data

    def get_all_products(self, storefront) -> dict:
        return self.context["all_products"]

    def get_seo(self, storefront) -> dict:
        return StorefrontSeoSerializer(storefront).data


# --- one product of the store ----------------------------------------------------------------------

class ProductPageVariationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    attributes = serializers.JSONField()
    price = serializers.SerializerMethodField()
    stock_quantity = serializers.IntegerField()
    in_stock = serializers.SerializerMethodField()

    def get_price(self, variation) -> str:
        return str(shopper_unit_price(selling_price=self.context["store_product"].selling_price,
                                  price_modifier=variation.price_modifier))

    def get_in_stock(self, variation) -> bool:
        return variation.stock_quantity > 0


class ProductPageImageSerializer(serializers.Serializer):
    url = serializers.SerializerMethodField()
    alt_text = serializers.CharField()
    is_primary = serializers.BooleanField()

    def get_url(self, image) -> str | None:
        return media_url(image.image)


class ProductPageProductSerializer(ShopperProductFieldsMixin, serializers.Serializer):
    """A store product as the page shows it. Context: ``custom_url`` of the store."""

    id = serializers.IntegerField(source="product.id")
    name = serializers.CharField(source="product.name")
    slug = serializers.CharField(source="product.slug")
    description = serializers.CharField(source="product.description")
    category = serializers.SerializerMethodField()
    price = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()
    stock_quantity = serializers.IntegerField(source="product.stock_quantity")
    in_stock = serializers.SerializerMethodField()
    images = ProductPageImageSerializer(source="product.ordered_images", many=True)
    variations = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_price(self, store_product) -> str:
        return str(shopper_unit_price(selling_price=store_product.selling_price))

    def get_variations(self, store_product) -> list:
        return _variations(store_product)

    def get_url(self, store_product) -> str:
        return product_url(self.context["custom_url"], store_product.product.slug)


def _variations(store_product) -> list:
    return ProductPageVariationSerializer(store_product.product.active_variations, many=True,
                                          context={"store_product": store_product}).data


class ProductPageSerializer(serializers.Serializer):
    """``GET /<custom_url>/product/<slug>/``: one store product. Context: ``entrepreneur`` (the store's) and
    ``source``, the share channel the visitor came from."""

    product = serializers.SerializerMethodField()
    entrepreneur = serializers.SerializerMethodField()
    purchase_link = serializers.SerializerMethodField()
    checkout = serializers.SerializerMethodField()
    share_data = serializers.SerializerMethodField()
    pricing = serializers.SerializerMethodField()

    @property
    def _custom_url(self) -> str:
        return self.context["entrepreneur"].custom_url

    def get_product(self, store_product) -> dict:
        return ProductPageProductSerializer(store_product, context={"custom_url": self._custom_url}).data

    def get_entrepreneur(self, store_product) -> dict:
        return PublicEntrepreneurSerializer(self.context["entrepreneur"]).data

    def get_purchase_link(self, store_product) -> str:
        return purchase_link(self._custom_url, store_product.product.slug, self.context["source"])

    def get_checkout(self, store_product) -> dict:
        # What the order API needs (POST /api/orders/orders/); the server prices it, not the client.
        return {
            "endpoint": "/api/orders/orders/",
            "entrepreneur_custom_url": self._custom_url,
            "product_id": store_product.product.id,
            "source_channel": self.context["source"],
        }

    def get_share_data(self, store_product) -> dict:
        product = store_product.product
        return {
            "title": f"{product.name} - {self.context['entrepreneur'].business_name}",
            "description": short_text(product.description),
            "image": first_image_url(product),
            "url": product_url(self._custom_url, product.slug),
            "share_links": f"{storefront_url(self._custom_url)}share/?product_id={product.id}",
        }

    def get_pricing(self, store_product) -> dict:
        return {
            "currency": CURRENCY,
            "selling_price": str(shopper_unit_price(selling_price=store_product.selling_price)),
            "variations": [{"id": v["id"], "name": v["name"], "price": v["price"]} for v in _variations(store_product)],
        }


# --- share links (documentation of ``social.links.share_links``; the view returns that dict) ------------------

class InstagramShareSerializer(serializers.Serializer):
    link = serializers.CharField()
    caption = serializers.CharField()
    handle = serializers.CharField(allow_blank=True)
    instructions = serializers.CharField()


class ShareLinksResponseSerializer(serializers.Serializer):
    """``GET /<custom_url>/share/?product_id=``: a link per channel, each tagged with its ``src``."""

    whatsapp = serializers.CharField()
    facebook = serializers.CharField()
    twitter = serializers.CharField()
    instagram = InstagramShareSerializer()
    copy_link = serializers.CharField()
    qr_code = serializers.CharField()
    url = serializers.CharField()
    text = serializers.CharField()
