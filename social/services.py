"""Writes for storefronts and the products in them. The server decides prices, never the client."""
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction

from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.money import percent_of, quantize, to_decimal
from entrepreneurs.selectors import entrepreneur_profile_required
from products.models import Product

from .models import EntrepreneurStorefront, StoreProduct

STOREFRONT_FIELDS = ("theme", "about_section", "contact_info", "social_links", "seo_title", "seo_description",
                     "is_published", "cod_enabled", "cod_max_order_value")


def _ensure_entrepreneur(user) -> None:
    if getattr(user, "user_type", None) != "entrepreneur":
        raise PermissionDenied("Only entrepreneur accounts can do this.")


def default_selling_price(product: Product) -> Decimal:
    """base × (1 + suggested_markup / 100), half-up to the kobo (never above the upper bound)."""
    return min(quantize(product.base_price + percent_of(product.base_price, product.suggested_markup)),
               max_selling_price(product))


def storefront_create(*, user, data: dict) -> EntrepreneurStorefront:
    """One storefront per entrepreneur; the profile must exist first (409 otherwise)."""
    _ensure_entrepreneur(user)
    profile = entrepreneur_profile_required(user=user)
    if EntrepreneurStorefront.objects.filter(entrepreneur=profile).exists():
        raise Conflict("You already have a storefront.", code="storefront_exists")
    storefront = EntrepreneurStorefront(entrepreneur=profile, **{k: v for k, v in data.items() if k in STOREFRONT_FIELDS})
    try:
        with transaction.atomic():
            storefront.save()
    except IntegrityError as exc:
        raise Conflict("You already have a storefront.", code="storefront_exists") from exc
    return storefront


def storefront_update(*, storefront: EntrepreneurStorefront, data: dict) -> EntrepreneurStorefront:
    changed = [field for field in STOREFRONT_FIELDS if field in data and getattr(storefront, field) != data[field]]
    for field in changed:
        setattr(storefront, field, data[field])
    if changed:
        storefront.save(update_fields=[*changed, "updated_at"])
    return storefront


def _check_selling_price(product: Product, selling_price: Decimal) -> Decimal:
    selling_price = quantize(selling_price)
    if selling_price < product.base_price:
        message = f"The selling price must be at least the base price (₦{product.base_price})."
        raise ValidationFailed(f"selling_price: {message}", details={"selling_price": [message]})
    maximum = max_selling_price(product)
    if selling_price > maximum:
        message = (f"The selling price can be at most {settings.STORE_PRICE_MAX_FACTOR}× the base price "
                   f"(₦{maximum}).")
        raise ValidationFailed(f"selling_price: {message}", details={"selling_price": [message],
                                                                    "max_selling_price": str(maximum)})
    return selling_price


def max_selling_price(product: Product) -> Decimal:
    """The upper bound of a store price: ``STORE_PRICE_MAX_FACTOR`` × base, to the kobo."""
    return quantize(product.base_price * to_decimal(settings.STORE_PRICE_MAX_FACTOR))


def store_product_add(*, storefront: EntrepreneurStorefront, product_id: int, selling_price: Decimal | None = None,
                      is_featured: bool = False, position: int = 0) -> StoreProduct:
    """Put a catalog-visible product in the store, at a price ≥ its base price (default: the suggested markup)."""
    product = Product.objects.select_related("supplier").filter(pk=product_id).first()
    if product is None or not product.is_catalog_visible:
        message = "This product does not exist or is not available in the catalog."
        raise ValidationFailed(f"product: {message}", details={"product": [message]})
    price = default_selling_price(product) if selling_price is None else _check_selling_price(product, selling_price)
    duplicate = Conflict(
        "This product is already in your store.", details={"product": ["This product is already in your store."]},
        code="duplicate_store_product",
    )
    if StoreProduct.objects.filter(storefront=storefront, product=product).exists():
        raise duplicate
    store_product = StoreProduct(
        storefront=storefront, product=product, selling_price=price, is_featured=is_featured, position=position,
    )
    try:
        with transaction.atomic():
            store_product.save()
    except IntegrityError as exc:
        raise duplicate from exc
    return store_product


def store_product_update(*, store_product: StoreProduct, data: dict) -> StoreProduct:
    """Change price, featured flag, position or active flag of one's own store product."""
    changed = []
    if "selling_price" in data:
        price = _check_selling_price(store_product.product, data["selling_price"])
        if price != store_product.selling_price:
            store_product.selling_price = price
            changed.append("selling_price")
    for field in ("is_featured", "position", "is_active"):
        if field in data and getattr(store_product, field) != data[field]:
            setattr(store_product, field, data[field])
            changed.append(field)
    if changed:
        store_product.save(update_fields=[*changed, "updated_at"])
    return store_product


def store_product_remove(*, store_product: StoreProduct) -> None:
    """Orders keep their own price snapshot, so the listing itself can go."""
    store_product.delete()
