"""Reads for storefronts and store products, each with a fixed number of queries."""
from django.db.models import F, Prefetch, Q, QuerySet

from core.errors import NotFound
from core.prepared import PreparedRead
from entrepreneurs.models import RESERVED_CUSTOM_URLS
from entrepreneurs.selectors import custom_url_matches
from products.models import ProductImage, ProductVariation
from products.selectors import catalog_visible_q

from .models import EntrepreneurStorefront, StoreProduct

FEATURED_LIMIT = 12


def _images_prefetch(path: str = "product__images") -> Prefetch:
    # Primary first, so the first element is the picture to show.
    return Prefetch(path, queryset=ProductImage.objects.order_by("-is_primary", "position", "id"), to_attr="ordered_images")


def storefront_for_user(user) -> EntrepreneurStorefront | None:
    return EntrepreneurStorefront.objects.select_related("entrepreneur").filter(entrepreneur__user=user).first()


def storefront_get(*, user) -> EntrepreneurStorefront:
    storefront = storefront_for_user(user)
    if storefront is None:
        raise NotFound("You have no storefront yet.")
    return storefront


def store_products_for_owner(*, storefront: EntrepreneurStorefront) -> QuerySet[StoreProduct]:
    """Every item of the owner's store, whatever its visibility, with its product summary."""
    return (
        StoreProduct.objects.filter(storefront=storefront)
        .select_related("product", "product__supplier")
        .prefetch_related(_images_prefetch())
        .order_by("position", "id")
    )


def store_product_get_for_owner(*, user, store_product_id: int) -> StoreProduct:
    """One of the user's own store products; someone else's is a 404."""
    store_product = (
        StoreProduct.objects.select_related("storefront__entrepreneur", "product", "product__supplier")
        .prefetch_related(_images_prefetch())
        .filter(pk=store_product_id, storefront__entrepreneur__user=user)
        .first()
    )
    if store_product is None:
        raise NotFound("Store product not found.")
    return store_product


# --- Public (shopper-facing) reads ---

def store_matches(custom_url: str, prefix: str = "") -> Q:
    """A filter: the published store of an active entrepreneur at ``custom_url`` (any case); ``prefix`` reaches
    the store from a related model (``"storefront__"``)."""
    return (Q(custom_url_matches(custom_url, f"{prefix}entrepreneur__"))
            & Q(**{f"{prefix}entrepreneur__is_active": True, f"{prefix}is_published": True}))


def published_storefront(custom_url: str) -> EntrepreneurStorefront | None:
    """The published store of an active entrepreneur at ``custom_url`` (any case), with its entrepreneur; None."""
    found = _PUBLISHED_STOREFRONT(custom_url=custom_url)
    return found[0] if found else None


# Every storefront, product, cart and checkout page a shopper opens reads it first, and a placement whose store
# lists none of its products: compiled once per connection (core.prepared). ``.first()`` of the one match (the
# address is unique whatever its case).
_PUBLISHED_STOREFRONT = PreparedRead(
    lambda custom_url: EntrepreneurStorefront.objects.select_related("entrepreneur").filter(store_matches(custom_url))
    .order_by("pk")[:1],
    custom_url=str,
)


def public_storefront_get(*, custom_url: str) -> EntrepreneurStorefront:
    """A published storefront of an active entrepreneur, by case-insensitive address; otherwise 404."""
    normalized = (custom_url or "").lower()
    storefront = None if normalized in RESERVED_CUSTOM_URLS else published_storefront(normalized)
    if storefront is None:
        raise NotFound("Storefront not found.")
    return storefront


def public_store_products(*, storefront: EntrepreneurStorefront) -> QuerySet[StoreProduct]:
    """What a shopper can buy here: active listings of catalog-visible products still priced ≥ base."""
    return (
        StoreProduct.objects.filter(storefront=storefront, is_active=True)
        .filter(catalog_visible_q("product__"))
        .filter(selling_price__gte=F("product__base_price"))
        .select_related("product", "product__category")
        .prefetch_related(_images_prefetch())
        .order_by("position", "id")
    )


def public_featured_store_products(*, storefront: EntrepreneurStorefront) -> list[StoreProduct]:
    return list(public_store_products(storefront=storefront).filter(is_featured=True)[:FEATURED_LIMIT])


def public_store_product_get(*, storefront: EntrepreneurStorefront, product_slug: str) -> StoreProduct:
    """A product in this store (by slug) with its images and active variations; otherwise 404."""
    store_product = (
        public_store_products(storefront=storefront)
        .prefetch_related(
            Prefetch(
                "product__variations",
                queryset=ProductVariation.objects.filter(is_active=True).order_by("id"),
                to_attr="active_variations",
            )
        )
        .filter(product__slug=product_slug)
        .first()
    )
    if store_product is None:
        raise NotFound("Product not found in this store.")
    return store_product


def public_store_product_by_product_id(*, storefront: EntrepreneurStorefront, product_id: int) -> StoreProduct:
    store_product = public_store_products(storefront=storefront).filter(product_id=product_id).first()
    if store_product is None:
        raise NotFound("Product not found in this store.")
    return store_product
