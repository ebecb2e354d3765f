"""Checkout lines: the typed input a serializer hands to ``order_create`` and the catalog checks on it.

``OrderLine`` is already validated for shape (the serializer does that: whole numbers ≥ 1, a valid
amount). What is checked here needs the catalog: is the product for sale in this store, does the
variation belong to it, is the store's price still the one the client showed.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from core.errors import Conflict, PriceChanged, ValidationFailed
from core.money import ZERO
from core.prepared import PreparedRead
from products.models import Product, ProductVariation
from social.models import EntrepreneurStorefront, StoreProduct
from social.selectors import store_matches

from ..pricing import LineInput, unit_prices
from .placement import load_storefront

MAX_ORDER_LINES = 50
MAX_LINE_QUANTITY = 10_000


@dataclass(frozen=True)
class OrderLine:
    """One requested line. ``unit_price`` is only what the client showed: a check, never trusted."""

    product_id: int
    quantity: int
    variation_id: int | None = None
    unit_price: Decimal | None = None


@dataclass
class CartLine:
    """An ``OrderLine`` merged with its duplicates and, once checked, with its listing and variation."""

    product_id: int
    variation_id: int | None
    quantity: int
    client_prices: list[Decimal] = field(default_factory=list)
    listing: StoreProduct | None = None
    variation: ProductVariation | None = None

    @property
    def product(self) -> Product:
        return self.listing.product

    @property
    def ref(self) -> dict:
        return {"product_id": self.product_id, "variation_id": self.variation_id}

    @property
    def display_name(self) -> str:
        name = self.product.name
        return f"{name} — {self.variation.name}" if self.variation else name

    @property
    def base_and_unit_price(self) -> tuple[Decimal, Decimal]:
        return unit_prices(product_base_price=self.product.base_price, selling_price=self.listing.selling_price,
                           price_modifier=self.variation.price_modifier if self.variation else ZERO)

    def pricing_input(self) -> LineInput:
        return LineInput(
            product_base_price=self.product.base_price,
            selling_price=self.listing.selling_price,
            quantity=self.quantity,
            price_modifier=self.variation.price_modifier if self.variation else ZERO,
        )


def merge_lines(lines) -> list[CartLine]:
    """1…MAX_ORDER_LINES lines; lines for the same (product, variation) become one with the summed quantity."""
    lines = list(lines or ())
    if not lines:
        raise ValidationFailed("items: at least one item is required.", details={"items": ["At least one item is required."]})
    if len(lines) > MAX_ORDER_LINES:
        raise ValidationFailed(f"items: at most {MAX_ORDER_LINES} lines per order.",
                               details={"items": [f"At most {MAX_ORDER_LINES} lines per order."]})
    merged: dict[tuple[int, int | None], CartLine] = {}
    for index, line in enumerate(lines):
        cart_line = merged.setdefault((line.product_id, line.variation_id),
                                      CartLine(line.product_id, line.variation_id, 0))
        cart_line.quantity += line.quantity
        if cart_line.quantity > MAX_LINE_QUANTITY:
            raise ValidationFailed(f"items[{index}].quantity: at most {MAX_LINE_QUANTITY} of one item.",
                                   details={"items": {str(index): {"quantity": [f"At most {MAX_LINE_QUANTITY} of one item."]}}})
        if line.unit_price is not None:
            cart_line.client_prices.append(line.unit_price)
    return list(merged.values())


# The one read of every placement (compiled once per connection: core.prepared).
_STORE_LISTINGS = PreparedRead(
    lambda custom_url, product_ids: StoreProduct.objects.select_related("storefront__entrepreneur", "product__supplier")
    .filter(store_matches(custom_url, "storefront__"), product_id__in=product_ids),
    custom_url=str, product_ids=list,
)


def attach_catalog(lines: list[CartLine], custom_url: str) -> EntrepreneurStorefront:
    """Find the store at ``custom_url`` and fill each line's listing and variation; refuse anything not for sale
    there. Returns the store.

    The store comes with the listings, in one query (the listings joined to their store, its entrepreneur, the
    product and its supplier); only where the store lists none of the products is it read alone, to tell an
    unknown store (404) from products it does not sell (400)."""
    custom_url = (custom_url or "").strip()
    found = _STORE_LISTINGS(custom_url=custom_url, product_ids=[line.product_id for line in lines]) if custom_url else []
    storefront = found[0].storefront if found else load_storefront(custom_url)
    listings = {}
    for listing in found:
        listing.storefront = storefront  # one store object for every line
        listings[listing.product_id] = listing
    unavailable = []
    for line in lines:
        listing = listings.get(line.product_id)
        product = listing.product if listing else None
        if listing is None or not listing.is_active or not product.is_catalog_visible:
            unavailable.append({**line.ref, "error": "This product is not available in this store."})
        line.listing = listing
    if unavailable:
        raise ValidationFailed(
            f"Product {unavailable[0]['product_id']} is not available in this store.", details={"items": unavailable}
        )

    wanted = {line.variation_id for line in lines if line.variation_id}
    variations = {v.pk: v for v in ProductVariation.objects.filter(pk__in=wanted)} if wanted else {}
    bad = []
    for line in lines:
        if not line.variation_id:
            continue
        variation = variations.get(line.variation_id)
        if variation is None or variation.product_id != line.product_id or not variation.is_active:
            bad.append({**line.ref, "error": "This variation does not exist for this product or is not available."})
        line.variation = variation
    if bad:
        raise ValidationFailed(
            f"Variation {bad[0]['variation_id']} is not available for product {bad[0]['product_id']}.",
            details={"items": bad},
        )
    return storefront


def check_prices(lines: list[CartLine]) -> None:
    """The server's price is the price. A client that showed a different one gets a 409 to re-confirm."""
    for line in lines:
        base, unit = line.base_and_unit_price
        if base <= ZERO or unit < base:
            # Catalog inconsistency (e.g. the supplier raised the base price above the store's price).
            raise Conflict(f"{line.display_name} cannot be sold at this store's current price.",
                           details={**line.ref}, code="unavailable")
        for client_price in line.client_prices:
            if client_price != unit:
                raise PriceChanged(
                    f"The price of {line.display_name} has changed to ₦{unit}.",
                    details={**line.ref, "current_price": str(unit)},
                )
