"""Every write on orders: checkout (server pricing + atomic stock reservation), the status machine,
payment confirmation and reservation expiry.

Lock order, shared by every writer so concurrent transactions never deadlock:
    order row (select_for_update)  →  product rows by pk  →  variation rows by pk.
Checkout has no order row yet: it locks the customer's user row (the unpaid-reservation limits,
``orders.limits``), then the stock rows, in the same order.
"""
import logging
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.dates import LAGOS
from core.errors import (
    ApplicationError,
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    PriceChanged,
    ValidationFailed,
)
from core.money import ZERO, quantize
from core.notifications import notify
from core.permissions import has_role, is_admin
from products.models import Product, ProductVariation
from products.stock import StockLine, stock_release
from social.models import EntrepreneurStorefront, StoreProduct

from . import hooks
from .models import Order, OrderStatus, OrderStatusHistory, PaymentStatus, SourceChannel
from .pricing import LineInput, unit_prices
from .selectors import order_ref_filter

logger = logging.getLogger(__name__)

MAX_ORDER_LINES = 50
MAX_LINE_QUANTITY = 10_000
MAX_NOTES_LENGTH = 1000
ORDER_ID_ATTEMPTS = 5

# Statuses that put the reserved units back on the shelf (once per order: see Order.stock_released_at).
RESTOCK_STATUSES = frozenset({OrderStatus.CANCELLED, OrderStatus.RETURNED})
# What the supplier of an order may do with it (SPEC §5).
SUPPLIER_MOVES = frozenset({
    (OrderStatus.PAID, OrderStatus.PROCESSING),
    (OrderStatus.PROCESSING, OrderStatus.SHIPPED),
    (OrderStatus.SHIPPED, OrderStatus.DELIVERED),
})
CUSTOMER_MOVES = frozenset({(OrderStatus.PENDING, OrderStatus.CANCELLED)})
NOTIFY_ON = {OrderStatus.SHIPPED: "order_shipped", OrderStatus.DELIVERED: "order_delivered"}


# --------------------------------------------------------------------------------------------------
# Checkout
# --------------------------------------------------------------------------------------------------

@dataclass
class _Line:
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


def _positive_int(value, *, name: str, index: int, maximum: int | None = None) -> int:
    if isinstance(value, bool):
        value = None
    try:
        number = int(value)
        if str(number) != str(value).strip():
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationFailed(f"items[{index}].{name}: must be a whole number.",
                               details={"items": {str(index): {name: ["A whole number is required."]}}}) from None
    if number < 1 or (maximum is not None and number > maximum):
        limit = f" and at most {maximum}" if maximum else ""
        raise ValidationFailed(f"items[{index}].{name}: must be at least 1{limit}.",
                               details={"items": {str(index): {name: [f"Must be at least 1{limit}."]}}})
    return number


def _parse_items(items) -> list[_Line]:
    """Shape checks, then duplicate (product, variation) lines are merged by adding their quantities."""
    if not isinstance(items, list | tuple) or not items:
        raise ValidationFailed("items: at least one item is required.", details={"items": ["At least one item is required."]})
    if len(items) > MAX_ORDER_LINES:
        raise ValidationFailed(f"items: at most {MAX_ORDER_LINES} lines per order.",
                               details={"items": [f"At most {MAX_ORDER_LINES} lines per order."]})
    merged: dict[tuple[int, int | None], _Line] = {}
    for index, raw in enumerate(items):
        if not isinstance(raw, dict):
            raise ValidationFailed(f"items[{index}]: must be an object.", details={"items": {str(index): ["Must be an object."]}})
        product_id = _positive_int(raw.get("product_id"), name="product_id", index=index)
        variation_raw = raw.get("variation_id")
        variation_id = None if variation_raw in (None, "") else _positive_int(variation_raw, name="variation_id", index=index)
        quantity = _positive_int(raw.get("quantity"), name="quantity", index=index, maximum=MAX_LINE_QUANTITY)
        client_price = raw.get("unit_price")
        line = merged.setdefault((product_id, variation_id), _Line(product_id, variation_id, 0))
        line.quantity += quantity
        if line.quantity > MAX_LINE_QUANTITY:
            raise ValidationFailed(f"items[{index}].quantity: at most {MAX_LINE_QUANTITY} of one item.",
                                   details={"items": {str(index): {"quantity": [f"At most {MAX_LINE_QUANTITY} of one item."]}}})
        if client_price not in (None, ""):
            if isinstance(client_price, float):
                client_price = repr(client_price)
            try:
                line.client_prices.append(quantize(Decimal(str(client_price))))
            except (InvalidOperation, ValueError):
                raise ValidationFailed(f"items[{index}].unit_price: not a valid amount.",
                                       details={"items": {str(index): {"unit_price": ["A valid amount is required."]}}}) from None
    return list(merged.values())


def _load_storefront(custom_url: str) -> EntrepreneurStorefront:
    custom_url = (custom_url or "").strip()
    storefront = (
        EntrepreneurStorefront.objects.select_related("entrepreneur")
        .filter(entrepreneur__custom_url__iexact=custom_url, entrepreneur__is_active=True, is_published=True)
        .first()
        if custom_url else None
    )
    if storefront is None:
        raise NotFound("Store not found.", details={"entrepreneur_custom_url": custom_url})
    return storefront


def _attach_catalog(lines: list[_Line], storefront: EntrepreneurStorefront) -> None:
    """Fill each line's store listing and variation; refuse anything not for sale in this store."""
    listings = {
        listing.product_id: listing
        for listing in StoreProduct.objects.select_related("product__supplier").filter(
            storefront=storefront, product_id__in={line.product_id for line in lines}
        )
    }
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


def _line_input(line: _Line) -> LineInput:
    return LineInput(
        product_base_price=line.product.base_price,
        selling_price=line.listing.selling_price,
        quantity=line.quantity,
        price_modifier=line.variation.price_modifier if line.variation else ZERO,
    )


def _check_prices(lines: list[_Line]) -> None:
    """The server's price is the price. A client that showed a different one gets a 409 to re-confirm."""
    for line in lines:
        base, unit = unit_prices(product_base_price=line.product.base_price, selling_price=line.listing.selling_price,
                                 price_modifier=line.variation.price_modifier if line.variation else ZERO)
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


def _stock_lines(lines: list[_Line]) -> list[StockLine]:
    return [StockLine(line.product_id, line.variation_id, line.quantity, line.display_name) for line in lines]


def _order_stock_lines(order: Order) -> list[StockLine]:
    return [StockLine(item.product_id, item.variation_id, item.quantity) for item in order.items.all()]


def generate_order_id() -> str:
    """``PAY`` + yyyymmdd (Lagos date) + 8 upper-case hex digits."""
    return f"PAY{timezone.now().astimezone(LAGOS):%Y%m%d}{secrets.token_hex(4).upper()}"


def _save_with_unique_order_id(order: Order) -> None:
    for attempt in range(ORDER_ID_ATTEMPTS):
        order.order_id = generate_order_id()
        try:
            with transaction.atomic():
                order.save(force_insert=True)
            return
        except IntegrityError:
            # 32 random bits per day make a collision rare; anything else is a real error.
            if attempt == ORDER_ID_ATTEMPTS - 1 or not Order.objects.filter(order_id=order.order_id).exists():
                raise
            order.pk = None


def _clean_source_channel(value) -> str:
    value = (value or "").strip().lower() if isinstance(value, str) else value
    if not value:
        return ""
    if value not in SourceChannel.values:
        raise ValidationFailed(
            f"source_channel: must be one of {', '.join(SourceChannel.values)}.",
            details={"source_channel": [f"Must be one of {', '.join(SourceChannel.values)}."]},
        )
    return value


def order_create(*, customer, entrepreneur_custom_url: str, items: list[dict], shipping_address: dict,
                 notes: str = "", source_channel: str = "", payment_method: str = "") -> Order:
    """Place an order in an entrepreneur's store, priced by the server, with its stock reserved.

    ``items``: ``[{product_id, variation_id?, quantity, unit_price?}]`` of one supplier (a mixed cart
    is a 400 pointing at the checkout, ``orders.checkout``). Lines for the same (product, variation)
    are merged into one line with the summed quantity. A ``unit_price`` is only a check of what the
    client showed: a different price is a ``PriceChanged`` (409).
    """
    from .checkout import order_place

    return order_place(customer=customer, entrepreneur_custom_url=entrepreneur_custom_url, items=items,
                       shipping_address=shipping_address, notes=notes, source_channel=source_channel,
                       payment_method=payment_method)


# --------------------------------------------------------------------------------------------------
# The status machine
# --------------------------------------------------------------------------------------------------

def _lock_order(order_id) -> Order:
    """Services take the numeric pk; the public ``PAY…`` order_id (or an Order) is accepted too."""
    try:
        return Order.objects.select_for_update(of=("self",)).select_related("supplier").get(order_ref_filter(order_id))
    except Order.DoesNotExist:
        raise NotFound("Order not found.") from None


def _check_role(order: Order, actor, to_status: str) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("You must be signed in to change an order.")
    if is_admin(actor):
        return
    move = (order.status, to_status)
    if has_role(actor, "customer") and actor.pk == order.customer_id:
        if move in CUSTOMER_MOVES:
            return
        raise PermissionDenied("Customers can only cancel their own orders while they are pending (unpaid).")
    if has_role(actor, "supplier") and actor.pk == order.supplier.user_id:
        if move in SUPPLIER_MOVES:
            return
        raise PermissionDenied("Suppliers can only move their paid orders to processing, shipped and delivered.")
    raise PermissionDenied("You are not allowed to change the status of this order.")


def order_transition(*, order_id, to_status: str, actor, notes: str = "", tracking_number: str = "",
                     system: bool = False) -> Order:
    """The one way an order changes status (API, admin, tasks). ``paid`` comes only from ``order_mark_paid``.

    Under the order's row lock: check the move is in ORDER_TRANSITIONS (409 naming the allowed
    ones), check who may make it (unless ``system``), save, write history, restore stock once on
    cancel/return, then run the registered transition hooks (``orders.hooks``) in the same transaction.
    """
    to_status = str(to_status or "").strip().lower()
    if to_status not in OrderStatus.values:
        raise ValidationFailed(f"status: {to_status!r} is not a valid order status.",
                               details={"status": [f"Must be one of {', '.join(OrderStatus.values)}."]})
    if to_status == OrderStatus.PAID:
        raise PermissionDenied("An order becomes paid only through a confirmed payment.", code="paid_by_payment_only")
    notes = (notes or "").strip()
    tracking_number = (tracking_number or "").strip()
    if len(tracking_number) > 100:
        raise ValidationFailed("tracking_number: at most 100 characters.",
                               details={"tracking_number": ["Ensure this field has no more than 100 characters."]})

    with transaction.atomic():
        order = _lock_order(order_id)
        previous = order.status
        if not order.can_transition_to(to_status):
            allowed = list(order.allowed_transitions())
            raise InvalidTransition(
                f"Cannot move an order from {previous} to {to_status}."
                + (f" Allowed: {', '.join(allowed)}." if allowed else " It is final."),
                details={"current_status": previous, "allowed": allowed},
            )
        if not system:
            _check_role(order, actor, to_status)
        if to_status == OrderStatus.SHIPPED and not tracking_number:
            raise ValidationFailed("A tracking number is required to mark an order as shipped.",
                                   details={"tracking_number": ["This field is required when the status is shipped."]})

        now = timezone.now()
        order.status = to_status
        fields = ["status", "updated_at"]
        if tracking_number:
            order.tracking_number = tracking_number
            fields.append("tracking_number")
        timestamp_field = {OrderStatus.SHIPPED: "shipped_at", OrderStatus.DELIVERED: "delivered_at",
                           OrderStatus.CANCELLED: "cancelled_at"}.get(to_status)
        if timestamp_field:
            setattr(order, timestamp_field, now)
            fields.append(timestamp_field)
        if to_status in RESTOCK_STATUSES and order.stock_released_at is None:
            stock_release(_order_stock_lines(order))
            order.stock_released_at = now
            fields.append("stock_released_at")
        order.save(update_fields=fields)

        human = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
        OrderStatusHistory.objects.create(order=order, status=to_status, previous_status=previous, notes=notes,
                                          created_by=human)
        hooks.run_transition_hooks(order=order, previous_status=previous, new_status=to_status, actor=human)
        if to_status in NOTIFY_ON:
            notify(NOTIFY_ON[to_status], order_id=order.pk)
    return order


def order_mark_paid(*, order_id, notes: str = "", payment_method: str = "") -> Order:
    """pending → paid after a confirmed payment. Called by payments inside its own transaction.

    Locks the order row itself; anything but an unpaid pending order is a ``Conflict`` (the caller
    decides what to do with money that arrived for a cancelled order). Runs no transition hooks:
    the caller is the app that took the money.
    """
    with transaction.atomic():
        order = _lock_order(order_id)
        if order.status != OrderStatus.PENDING or order.payment_status == PaymentStatus.PAID:
            raise Conflict(
                f"Order {order.order_id} is not awaiting payment (status {order.status}).",
                details={"status": order.status, "payment_status": order.payment_status},
                code="not_payable",
            )
        previous = order.status
        order.status = OrderStatus.PAID
        order.payment_status = PaymentStatus.PAID
        order.paid_at = timezone.now()
        fields = ["status", "payment_status", "paid_at", "updated_at"]
        if payment_method:
            order.payment_method = payment_method[:30]
            fields.append("payment_method")
        order.save(update_fields=fields)
        OrderStatusHistory.objects.create(order=order, status=OrderStatus.PAID, previous_status=previous,
                                          notes=(notes or "Payment confirmed").strip(), created_by=None)
        notify("order_paid", order_id=order.pk)
    return order


def order_mark_refunded(*, order_id, notes: str = "") -> Order:
    """The gateway confirmed the refund of a paid order: ``payment_status`` becomes refunded, with history.

    Called by payments inside its own transaction; the order's status (cancelled/returned) is unchanged.
    Idempotent: an order already refunded is returned as it is.
    """
    with transaction.atomic():
        order = _lock_order(order_id)
        if order.payment_status == PaymentStatus.REFUNDED:
            return order
        order.payment_status = PaymentStatus.REFUNDED
        order.save(update_fields=["payment_status", "updated_at"])
        OrderStatusHistory.objects.create(order=order, status=order.status, previous_status=order.status,
                                          notes=(notes or "Payment refunded").strip(), created_by=None)
    return order


# --------------------------------------------------------------------------------------------------
# Reservation expiry
# --------------------------------------------------------------------------------------------------

def _expired_order_groups(*, now, limit: int) -> list[list[int]]:
    """Candidates only (read without locks), grouped so a checkout's orders expire together; each is
    re-checked under its row lock before cancelling."""
    rows = (Order.objects.filter(status=OrderStatus.PENDING, reserved_until__lt=now)
            .order_by("reserved_until", "pk").values_list("pk", "checkout_id")[:limit])
    groups: dict[object, list[int]] = {}
    for pk, checkout_id in rows:
        groups.setdefault(("checkout", checkout_id) if checkout_id else ("order", pk), []).append(pk)
    return list(groups.values())


def order_release_expired(*, now=None, limit: int = 500) -> int:
    """Cancel unpaid pending orders whose reservation ran out; returns how many were cancelled.

    The orders of one checkout are cancelled together, in one transaction. Each order is re-checked
    under its row lock, so two overlapping runs, a customer cancelling or a payment confirming at the
    same moment are all safe: whoever locks second sees the new status and skips (and stock is
    released once, guarded by ``stock_released_at``).
    """
    now = now or timezone.now()
    released = 0
    for group in _expired_order_groups(now=now, limit=limit):
        try:
            with transaction.atomic():
                still_expired = list(
                    Order.objects.select_for_update()
                    .filter(pk__in=group, status=OrderStatus.PENDING, reserved_until__lt=now)
                    .order_by("pk").values_list("pk", flat=True)
                )
                for pk in still_expired:
                    order_transition(
                        order_id=pk, to_status=OrderStatus.CANCELLED, actor=None, system=True,
                        notes=f"Reservation expired: not paid within {settings.ORDER_RESERVATION_MINUTES} minutes.",
                    )
            released += len(still_expired)
        except ApplicationError:
            logger.exception("Could not release expired order(s) %s", group)
    if released:
        logger.info("Released %d expired order(s)", released)
    return released
