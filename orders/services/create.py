"""Checkout of one order: server pricing, the supplier's single parcel, stock reserved atomically."""
import secrets
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.dates import LAGOS
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.notifications import notify
from core.permissions import has_role, is_admin
from social.models import EntrepreneurStorefront

from ..limits import check_unpaid_reservation_limits
from ..models import Order, OrderItem, OrderStatus, OrderStatusHistory, PaymentStatus, SourceChannel
from ..pricing import price_order_lines
from ..shipping import clean_shipping_address
from .lines import OrderLine, attach_catalog, check_prices, merge_lines
from .reservations import reserve_stock

MAX_NOTES_LENGTH = 1000
ORDER_ID_ATTEMPTS = 5


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


def order_create(*, customer, entrepreneur_custom_url: str, items: Sequence[OrderLine], shipping_address: dict,
                 notes: str = "", source_channel: str = "") -> Order:
    """Place an order in an entrepreneur's store, priced by the server, with its stock reserved.

    ``items``: typed ``OrderLine``s (the serializer builds them). Lines for the same (product,
    variation) are merged into one line with the summed quantity. A line's ``unit_price`` is only
    a check of what the client showed: a different price is a ``PriceChanged`` (409).
    """
    if not has_role(customer, "customer") or is_admin(customer):
        raise PermissionDenied("Only customer accounts can place orders. Please use a customer account to buy.")
    lines = merge_lines(items)
    address = clean_shipping_address(shipping_address)
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES_LENGTH:
        raise ValidationFailed(f"notes: at most {MAX_NOTES_LENGTH} characters.",
                               details={"notes": [f"Ensure this field has no more than {MAX_NOTES_LENGTH} characters."]})
    channel = _clean_source_channel(source_channel)

    storefront = _load_storefront(entrepreneur_custom_url)
    entrepreneur = storefront.entrepreneur
    attach_catalog(lines, storefront)
    check_prices(lines)
    pricing = price_order_lines([line.pricing_input() for line in lines], commission_rate=entrepreneur.commission_rate,
                                shipping_fee=settings.SHIPPING_FEE_NGN)

    with transaction.atomic():
        check_unpaid_reservation_limits(customer, lines)
        reserve_stock(lines)
        now = timezone.now()
        order = Order(
            customer=customer,
            entrepreneur=entrepreneur,
            supplier=lines[0].product.supplier,
            status=OrderStatus.PENDING,
            payment_status=PaymentStatus.PENDING,
            subtotal=pricing.subtotal,
            markup_amount=pricing.markup_amount,
            commission_amount=pricing.commission_amount,
            shipping_fee=pricing.shipping_fee,
            total_amount=pricing.total_amount,
            shipping_address=address,
            notes=notes,
            source_channel=channel,
            reserved_until=now + timedelta(minutes=settings.ORDER_RESERVATION_MINUTES),
        )
        _save_with_unique_order_id(order)
        OrderItem.objects.bulk_create([
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
            for line, priced in zip(lines, pricing.lines, strict=True)
        ])
        OrderStatusHistory.objects.create(order=order, status=OrderStatus.PENDING, notes="Order placed",
                                          created_by=customer)
        notify("order_placed", order_id=order.pk)
    return order
