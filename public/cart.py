"""The shopper's cart: kept in the Django session (no account needed), one cart per store (SPEC §9).

The session holds only what the shopper chose — product, variation, quantity, and the unit price
they last saw. Everything else is read again on every render: whether the store still sells the
product, its current price (``orders.pricing``), its stock. A line whose price changed shows the new
price with a note; a sold-out line is flagged and left out of the total; a line asking for more than
is left is reduced to what is left. Lines are grouped by supplier into parcels (each supplier ships its
own, with its own ``SHIPPING_FEE_NGN``) without naming the supplier to the shopper.
"""
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch

from core.errors import NotFound, ValidationFailed
from core.money import ZERO, quantize, to_decimal
from core.validators import parse_id
from orders.pricing import unit_prices
from products.models import ProductVariation
from social.selectors import public_store_products

MAX_LINES = 30
MAX_QUANTITY = 99
_SESSION_KEY = "payjaro_cart"


@dataclass
class CartLine:
    key: str
    product_id: int
    variation_id: int | None
    name: str
    option: str
    url: str
    image: dict | None
    quantity: int
    unit_price: Decimal = ZERO
    total: Decimal = ZERO
    previous_price: Decimal | None = None
    available: int = 0
    problem: str = ""          # "unavailable" | "sold_out" | ""
    reduced_to: int | None = None

    @property
    def buyable(self) -> bool:
        return not self.problem


@dataclass
class Parcel:
    number: int
    supplier_id: int
    lines: list[CartLine] = field(default_factory=list)
    shipping_fee: Decimal = ZERO
    subtotal: Decimal = ZERO
    total: Decimal = ZERO


@dataclass
class Cart:
    parcels: list[Parcel]
    problems: list[CartLine]
    subtotal: Decimal
    shipping_fee: Decimal
    total: Decimal
    count: int

    @property
    def is_empty(self) -> bool:
        return not self.parcels and not self.problems

    @property
    def fingerprint(self) -> str:
        """What the shopper is shown and agrees to pay: every line's product, option, quantity and price, and the
        total. The checkout form carries it; a placement whose cart no longer has it is shown the new cart first."""
        shown = [(line.product_id, line.variation_id, line.quantity, str(line.unit_price))
                 for parcel in self.parcels for line in parcel.lines]
        return hashlib.sha256(repr((sorted(shown), str(self.total))).encode()).hexdigest()[:32]


def line_key(product_id: int, variation_id: int | None) -> str:
    return f"{product_id}:{variation_id or 0}"


def _stored(session, storefront_id: int) -> dict:
    return dict((session.get(_SESSION_KEY) or {}).get(str(storefront_id)) or {})


def _save(session, storefront_id: int, lines: dict) -> None:
    carts = dict(session.get(_SESSION_KEY) or {})
    if lines:
        carts[str(storefront_id)] = lines
    else:
        carts.pop(str(storefront_id), None)
    session[_SESSION_KEY] = carts


def stored_lines(session, storefront_id: int) -> dict:
    """``{key: {"product": id, "variation": id|None, "quantity": n, "seen": "price"}}`` as kept in the session."""
    return _stored(session, storefront_id)


def clear(session, storefront_id: int) -> None:
    _save(session, storefront_id, {})


def _parse_int(raw, name: str, *, minimum: int = 1, maximum: int | None = None,
               unknown: str = "This product is not sold in this store.") -> int:
    """A whole number from a form; an id (no ``maximum``) past a database key's range (``parse_id``) is ``unknown``:
    no such row (SQLite cannot even compare it)."""
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(f"{name}: a whole number is required.", details={name: ["A whole number is required."]})
    if maximum is None and value >= minimum and parse_id(value) is None:  # past a 64-bit key: no such row
        raise NotFound(unknown)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ValidationFailed(f"{name}: must be {bound}.", details={name: [f"Must be {bound}."]})
    return value


def _listing(storefront, product_id: int):
    listing = (
        public_store_products(storefront=storefront)
        .prefetch_related(Prefetch("product__variations", queryset=ProductVariation.objects.filter(is_active=True),
                                   to_attr="active_variations"))
        .filter(product_id=product_id)
        .first()
    )
    if listing is None:
        raise NotFound("This product is not sold in this store.")
    return listing


def cart_add(session, *, storefront, product, variation=None, quantity=1) -> tuple[object, object | None, int]:
    """Add a product (and its chosen option) to the store's cart; returns ``(listing, variation, quantity)``.

    Refused (``ValidationFailed``/``NotFound``, nothing stored): a product this store does not sell, a
    missing or foreign option, a sold-out choice, a quantity outside 1..99 or above the stock left.
    """
    product_id = _parse_int(product, "product")
    quantity = _parse_int(quantity or 1, "quantity", maximum=MAX_QUANTITY)
    listing = _listing(storefront, product_id)
    options = {v.id: v for v in listing.product.active_variations}
    chosen = None
    if options:
        if variation in (None, ""):
            raise ValidationFailed("Please choose an option.", details={"variation": ["Please choose an option."]})
        chosen = options.get(_parse_int(variation, "variation", unknown="That option is not available."))
        if chosen is None:
            raise ValidationFailed("That option is not available.", details={"variation": ["Not available."]})
    stock = chosen.stock_quantity if chosen else listing.product.stock_quantity
    lines = _stored(session, storefront.pk)
    key = line_key(product_id, chosen.id if chosen else None)
    wanted = quantity + int((lines.get(key) or {}).get("quantity", 0))
    if stock <= 0:
        raise ValidationFailed("Sorry, this is sold out.", details={"quantity": ["Sold out."]})
    if wanted > stock:
        raise ValidationFailed(f"Sorry, only {stock} left.", details={"quantity": [f"Only {stock} left."]})
    if key not in lines and len(lines) >= MAX_LINES:
        raise ValidationFailed("Your cart is full.", details={"cart": [f"At most {MAX_LINES} lines."]})
    _, price = unit_prices(product_base_price=listing.product.base_price, selling_price=listing.selling_price,
                           price_modifier=chosen.price_modifier if chosen else ZERO)
    lines[key] = {"product": product_id, "variation": chosen.id if chosen else None,
                  "quantity": min(wanted, MAX_QUANTITY), "seen": str(price)}
    _save(session, storefront.pk, lines)
    return listing, chosen, quantity


def cart_set_quantity(session, *, storefront, key: str, quantity) -> None:
    """Change a line's quantity (0 removes it). Stock is checked when the cart is shown."""
    lines = _stored(session, storefront.pk)
    if key not in lines:
        raise NotFound("That line is not in your cart.")
    quantity = _parse_int(quantity, "quantity", minimum=0, maximum=MAX_QUANTITY)
    if quantity == 0:
        lines.pop(key)
    else:
        lines[key] = {**lines[key], "quantity": quantity}
    _save(session, storefront.pk, lines)


def cart_remove(session, *, storefront, key: str) -> None:
    lines = _stored(session, storefront.pk)
    lines.pop(key, None)
    _save(session, storefront.pk, lines)


def cart_view(session, *, storefront, describe) -> Cart:
    """The cart as it stands now: current prices and stock, parcels by supplier, totals.

    ``describe(listing)`` → ``(url, image)`` of a product for the page. Writes back to the session what
    the shopper has now been shown (new prices, reduced quantities, vanished lines). Two queries
    (listings with their images, variations) whatever the number of lines.
    """
    lines = _stored(session, storefront.pk)
    if not lines:
        return Cart(parcels=[], problems=[], subtotal=ZERO, shipping_fee=ZERO, total=ZERO, count=0)
    product_ids = {int(line["product"]) for line in lines.values()}
    listings = {
        listing.product_id: listing
        for listing in public_store_products(storefront=storefront)
        .select_related("product")
        .prefetch_related(Prefetch("product__variations", queryset=ProductVariation.objects.filter(is_active=True),
                                   to_attr="active_variations"))
        .filter(product_id__in=product_ids)
    }
    parcels: dict[int, Parcel] = {}
    problems: list[CartLine] = []
    changed = False
    fee = quantize(to_decimal(settings.SHIPPING_FEE_NGN))
    for key, stored in list(lines.items()):
        listing = listings.get(int(stored["product"]))
        variation = None
        if listing is not None and stored.get("variation"):
            variation = next((v for v in listing.product.active_variations if v.id == stored["variation"]), None)
        if listing is None or (stored.get("variation") and variation is None) or (
                listing is not None and not stored.get("variation") and listing.product.active_variations):
            problems.append(CartLine(key=key, product_id=int(stored["product"]), variation_id=stored.get("variation"),
                                     name=listing.product.name if listing else "A product", option="", url="",
                                     image=None, quantity=int(stored["quantity"]), problem="unavailable"))
            continue
        product = listing.product
        url, image = describe(listing)
        _, price = unit_prices(product_base_price=product.base_price, selling_price=listing.selling_price,
                               price_modifier=variation.price_modifier if variation else ZERO)
        available = variation.stock_quantity if variation else product.stock_quantity
        line = CartLine(key=key, product_id=product.id, variation_id=variation.id if variation else None,
                        name=product.name, option=variation.name if variation else "", url=url, image=image,
                        quantity=int(stored["quantity"]), unit_price=price, available=max(available, 0))
        seen = to_decimal(stored.get("seen") or price)
        if seen != price:
            line.previous_price = seen
            lines[key] = {**stored, "seen": str(price)}
            changed = True
        if available <= 0:
            line.problem = "sold_out"
            problems.append(line)
            continue
        if line.quantity > available:
            line.reduced_to = line.quantity = available
            lines[key] = {**lines[key], "quantity": available}
            changed = True
        line.total = quantize(price * line.quantity)
        parcel = parcels.setdefault(product.supplier_id, Parcel(number=len(parcels) + 1, supplier_id=product.supplier_id))
        parcel.lines.append(line)
    for parcel in parcels.values():
        parcel.subtotal = sum((line.total for line in parcel.lines), ZERO)
        parcel.shipping_fee = fee
        parcel.total = parcel.subtotal + fee
    if changed:
        _save(session, storefront.pk, lines)
    ordered = list(parcels.values())
    subtotal = sum((p.subtotal for p in ordered), ZERO)
    shipping = sum((p.shipping_fee for p in ordered), ZERO)
    return Cart(parcels=ordered, problems=problems, subtotal=subtotal, shipping_fee=shipping,
                total=subtotal + shipping, count=sum(line.quantity for p in ordered for line in p.lines))
