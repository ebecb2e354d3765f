"""Placing orders: one cart of one store → one order per supplier (a *parcel*), all or nothing (SPEC §5, §5.1).

``checkout_create`` takes a cart that may mix suppliers and creates a ``Checkout`` with one order per
supplier; ``order_create`` takes a one-supplier cart and creates one order. Both run the same steps,
so every order is priced, checked, reserved, numbered and history-tracked the same way:

1. merge the typed lines, clean the address, notes and channel (no database writes);
2. attach each line to its store listing and variation (refusing anything not for sale);
3. check client prices (409), price each parcel (commission capped, ``orders.pricing``), check each
   parcel's supplier rules (400 naming the items, never the supplier);
4. in one transaction: check the customer's unpaid-reservation bounds (``orders.limits``, which locks
   the customer's row first), reserve the stock of every line (conditional decrements in the global
   lock order, 409 naming the line that is short), create the checkout, its orders, items and history.
   Any failure rolls everything back: no order, no checkout, no stock moved.
"""
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.dates import LAGOS
from core.errors import PermissionDenied, ValidationFailed
from core.models import insert_rows
from core.money import ZERO, check_storable
from core.notifications import notify
from core.permissions import has_role, is_admin

from ..limits import check_unpaid_reservation_limits
from ..models import COD, Checkout, CodPhoneCode, Order, OrderItem, OrderStatus, OrderStatusHistory, PaymentStatus
from ..pricing import OrderPricing, price_order_lines
from ..rules import RuleItem, parcel_rule_violations, raise_rule_violations
from ..selectors import CHECKOUT_ORDER_ORDERING, HISTORY_ORDERING, ITEM_ORDERING
from ..shipping import clean_shipping_address
from .cod import cod_check_before_placement, cod_consume_code
from .lines import CartLine, OrderLine, attach_catalog, check_prices, merge_lines
from .placement import (
    MAX_NOTES_LENGTH,
    clean_source_channel,
    save_with_unique_number,
    save_with_unique_order_id,
)
from .reservations import reserve_stock

CHECKOUTS_URL = "/api/orders/checkouts/"
# What a shopper may choose at checkout (recorded on the orders; the payment itself sets the provider).
# "cod" = pay on delivery (SPEC §10): no online payment; the order needs a confirmed phone (``cod_code``).
PAYMENT_METHODS = ("paystack", "flutterwave", "sandbox", COD)


@dataclass
class Parcel:
    """The lines of one supplier, priced."""

    supplier: object
    lines: list[CartLine]
    pricing: OrderPricing


@dataclass
class Cart:
    customer: object
    entrepreneur: object
    address: dict
    notes: str
    channel: str
    payment_method: str
    parcels: list[Parcel]
    cod_code: CodPhoneCode | None = None  # the verified phone code of a COD cart, consumed at placement

    @property
    def is_cod(self) -> bool:
        return self.payment_method == COD

    @property
    def total_amount(self):
        return sum((parcel.pricing.total_amount for parcel in self.parcels), ZERO)


def _clean_payment_method(value) -> str:
    value = (value or "").strip().lower() if isinstance(value, str) else value
    if not value:
        return ""
    if value not in PAYMENT_METHODS:
        raise ValidationFailed(f"payment_method: must be one of {', '.join(PAYMENT_METHODS)}.",
                               details={"payment_method": [f"Must be one of {', '.join(PAYMENT_METHODS)}."]})
    return value


def _split_by_supplier(lines: list[CartLine]) -> list[list[CartLine]]:
    """Parcels in supplier-pk order, each keeping the cart's line order."""
    groups: dict[int, list[CartLine]] = {}
    for line in lines:
        groups.setdefault(line.product.supplier_id, []).append(line)
    return [groups[key] for key in sorted(groups)]


def _item_ref(line: CartLine) -> dict:
    return {**line.ref, "name": line.display_name, "quantity": line.quantity}


def mixed_cart_error(parcels: Sequence[Sequence[CartLine]]) -> ValidationFailed:
    """The 400 of ``POST /orders/`` for a cart that mixes suppliers: the items grouped by parcel, no names."""
    groups = [{"parcel": number, "items": [_item_ref(line) for line in lines]}
              for number, lines in enumerate(parcels, start=1)]
    return ValidationFailed(
        f"These items ship as {len(groups)} separate parcels, so they cannot be one order. "
        f"Check the whole cart out at {CHECKOUTS_URL} (one payment), or order each parcel separately.",
        details={"parcels": groups, "checkout_url": CHECKOUTS_URL},
        code="mixed_suppliers",
    )


def _prepare(*, customer, entrepreneur_custom_url, items, shipping_address, notes, source_channel,
             payment_method, cod_code, single_supplier: bool) -> Cart:
    if not has_role(customer, "customer") or is_admin(customer):
        raise PermissionDenied("Only customer accounts can place orders. Please use a customer account to buy.")
    lines = merge_lines(items)
    address = clean_shipping_address(shipping_address)
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES_LENGTH:
        raise ValidationFailed(f"notes: at most {MAX_NOTES_LENGTH} characters.",
                               details={"notes": [f"Ensure this field has no more than {MAX_NOTES_LENGTH} characters."]})
    channel = clean_source_channel(source_channel)
    method = _clean_payment_method(payment_method)

    storefront = attach_catalog(lines, entrepreneur_custom_url)
    entrepreneur = storefront.entrepreneur
    groups = _split_by_supplier(lines)
    if single_supplier and len(groups) > 1:
        raise mixed_cart_error(groups)
    check_prices(lines)

    parcels = []
    problems: list[dict] = []
    for group in groups:
        supplier = group[0].product.supplier
        pricing = price_order_lines([line.pricing_input() for line in group], commission_rate=entrepreneur.commission_rate,
                                    platform_rate=supplier.commission_rate, shipping_fee=settings.SHIPPING_FEE_NGN)
        problems += parcel_rule_violations(
            supplier=supplier, base_subtotal=pricing.subtotal, state=address["state"],
            items=[RuleItem(line.product_id, line.variation_id, line.display_name) for line in group],
        )
        parcels.append(Parcel(supplier=supplier, lines=group, pricing=pricing))
    raise_rule_violations(problems)
    # Each parcel fits the money columns (orders.pricing); the checkout's sum of them must too.
    check_storable(total_amount=sum((parcel.pricing.total_amount for parcel in parcels), ZERO))
    cart = Cart(customer=customer, entrepreneur=entrepreneur, address=address, notes=notes, channel=channel,
                payment_method=method, parcels=parcels)
    if cart.is_cod:
        # Checked before the placement's transaction, so a wrong guess stays counted (orders.services.cod).
        cart.cod_code = cod_check_before_placement(
            storefront=storefront, suppliers=[parcel.supplier for parcel in parcels], total=cart.total_amount,
            phone=address["phone"], code=cod_code)
    return cart


def _reserve(cart: Cart, lines: list[CartLine], *, new_reservations: int = 1):
    """Inside the placement's transaction: hold the stock; returns ``reserved_until``.

    A COD cart consumes its phone code first (its row lock serialises one phone's placements) and does not
    expire, so it is outside the unpaid-reservation bounds (``orders.limits``) and has no ``reserved_until``."""
    if cart.is_cod:
        cod_consume_code(code_row=cart.cod_code, new_orders=len(cart.parcels))
        reserve_stock(lines)
        return None
    check_unpaid_reservation_limits(cart.customer, lines, new_reservations=new_reservations)
    reserve_stock(lines)
    return timezone.now() + timedelta(minutes=settings.ORDER_RESERVATION_MINUTES)


def _attach_written_rows(order: Order, *, items: list[OrderItem], history: list[OrderStatusHistory]) -> None:
    """``order.items.all()`` / ``order.status_history.all()`` answer the rows just written, as
    ``selectors.order_queryset``'s prefetch would (the same ordered querysets, their results filled in), so the
    response needs no read-back; any other query on them (``.last()``, ``.filter()``) still goes to the
    database."""
    _attach_prefetched(order, "items", items, ITEM_ORDERING)
    _attach_prefetched(order, "status_history", history, HISTORY_ORDERING)


# (related model, ordering) → ``<model>.objects.order_by(*ordering)``, the names resolved once (0.07 ms a call).
_ORDERED: dict[tuple, object] = {}


def _attach_prefetched(instance, name: str, rows: list, ordering: Sequence[str]) -> None:
    """``instance.<name>.all()`` answers ``rows`` (already in ``ordering``) as a prefetch would have filled it: the
    queryset is ``instance.<name>.order_by(*ordering)`` (the related manager's own filters, applied to an ordered
    queryset built once per model and ordering), its results filled in."""
    manager = getattr(instance, name)
    key = (manager.model, tuple(ordering))
    ordered = _ORDERED.get(key)
    if ordered is None:
        ordered = _ORDERED[key] = manager.model._default_manager.order_by(*ordering)
    queryset = manager._apply_rel_filters(ordered._chain())
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = queryset


def _create_order(cart: Cart, parcel: Parcel, *, checkout: Checkout | None, reserved_until) -> Order:
    """The rows of one order (stock already reserved by the caller, inside its transaction). Earnings are
    not created here: payments records them when the payment is confirmed (SPEC §6.3)."""
    pricing = parcel.pricing
    order = Order(
        customer=cart.customer,
        entrepreneur=cart.entrepreneur,
        supplier=parcel.supplier,
        checkout=checkout,
        status=OrderStatus.PENDING,
        payment_status=PaymentStatus.PENDING,
        payment_method=cart.payment_method,
        subtotal=pricing.subtotal,
        markup_amount=pricing.markup_amount,
        commission_amount=pricing.commission_amount,
        supplier_commission_rate=parcel.supplier.commission_rate,  # the rate this parcel was priced with
        shipping_fee=pricing.shipping_fee,
        total_amount=pricing.total_amount,
        shipping_address=cart.address,
        notes=cart.notes,
        source_channel=cart.channel,
        reserved_until=reserved_until,
        cod_phone=cart.address["phone"] if cart.is_cod else "",
    )
    save_with_unique_order_id(order)
    items = insert_rows([
        OrderItem(
            order=order,
            product=line.product,
            variation=line.variation,
            product_name=line.display_name[:300],
            product_sku=(line.variation.sku if line.variation else line.product.sku)[:64],
            quantity=priced.quantity,
            unit_price=priced.unit_price,
            base_price=priced.base_price,
            markup_amount=priced.markup_amount,
            commission_amount=priced.commission_amount,
            total_price=priced.total_price,
        )
        for line, priced in zip(parcel.lines, pricing.lines, strict=True)
    ])
    (history,) = insert_rows([OrderStatusHistory(
        order=order, status=OrderStatus.PENDING, created_by=cart.customer,
        notes=f"Order placed (checkout {checkout.checkout_id})" if checkout else "Order placed",
    )])
    # The 201 body equals the detail route's fresh read: orders/tests/test_write_queries.py.
    _attach_written_rows(order, items=items, history=[history])
    notify("cod_order_placed" if cart.is_cod else "order_placed", order_id=order.pk)
    return order


def order_create(*, customer, entrepreneur_custom_url: str, items: Sequence[OrderLine], shipping_address: dict,
                 notes: str = "", source_channel: str = "", payment_method: str = "", cod_code: str = "") -> Order:
    """One order from a one-supplier cart (``POST /api/orders/orders/``); a mixed cart is a 400 that
    groups the items by parcel and points at the checkout endpoint.

    ``items``: typed ``OrderLine``s (the serializer builds them). Lines for the same (product,
    variation) are merged into one line with the summed quantity. A line's ``unit_price`` is only a
    check of what the client showed: a different price is a ``PriceChanged`` (409)."""
    cart = _prepare(customer=customer, entrepreneur_custom_url=entrepreneur_custom_url, items=items,
                    shipping_address=shipping_address, notes=notes, source_channel=source_channel,
                    payment_method=payment_method, cod_code=cod_code, single_supplier=True)
    (parcel,) = cart.parcels
    with transaction.atomic():
        reserved_until = _reserve(cart, parcel.lines)
        return _create_order(cart, parcel, checkout=None, reserved_until=reserved_until)


def generate_checkout_id() -> str:
    """``CHK`` + yyyymmdd (Lagos date) + 8 upper-case hex digits."""
    return f"CHK{timezone.now().astimezone(LAGOS):%Y%m%d}{secrets.token_hex(4).upper()}"


def checkout_create(*, customer, entrepreneur_custom_url: str, items: Sequence[OrderLine], shipping_address: dict,
                    notes: str = "", source_channel: str = "", payment_method: str = "",
                    cod_code: str = "") -> Checkout:
    """A cart of one store, any number of suppliers → one ``Checkout`` with one order per supplier.

    ``items``: typed ``OrderLine``s (≤ 50 lines; same product and variation merged). Raises
    ``ValidationFailed`` (400: bad input, product not in the store, a supplier rule),
    ``PriceChanged``/``InsufficientStock`` (409, naming the line), ``NotFound`` (store),
    ``PermissionDenied`` (not a customer). On any error nothing is created and no stock moves.
    """
    cart = _prepare(customer=customer, entrepreneur_custom_url=entrepreneur_custom_url, items=items,
                    shipping_address=shipping_address, notes=notes, source_channel=source_channel,
                    payment_method=payment_method, cod_code=cod_code, single_supplier=False)
    lines = [line for parcel in cart.parcels for line in parcel.lines]
    with transaction.atomic():
        # A checkout is one reservation however many parcels it splits into (orders.limits).
        reserved_until = _reserve(cart, lines, new_reservations=1)
        checkout = Checkout(
            customer=customer,
            entrepreneur=cart.entrepreneur,
            subtotal=sum((p.pricing.total_amount - p.pricing.shipping_fee for p in cart.parcels), ZERO),
            shipping_fee=sum((p.pricing.shipping_fee for p in cart.parcels), ZERO),
            total_amount=cart.total_amount,
            payment_method=cart.payment_method,
            reserved_until=reserved_until,
        )
        save_with_unique_number(checkout, field="checkout_id", generate=generate_checkout_id)
        orders = [_create_order(cart, parcel, checkout=checkout, reserved_until=reserved_until)
                  for parcel in cart.parcels]
    # ``checkout.orders.all()`` answers the orders just written (parcels in supplier-pk order, as
    # ``selectors.checkout_queryset`` orders them), each with its items and history: no read-back.
    _attach_prefetched(checkout, "orders", orders, CHECKOUT_ORDER_ORDERING)
    return checkout
