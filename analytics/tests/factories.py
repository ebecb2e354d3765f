"""Builders for analytics tests: paid orders and events at chosen moments (rows made directly through models)."""
import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings

from analytics.models import AnalyticsEvent
from core.money import percent_of, quantize
from orders.models import Order, OrderItem, OrderStatus, PaymentStatus
from tests.factories import CustomerFactory


def make_order(*, entrepreneur, lines, created_at: datetime, channel: str = "", customer=None,
               payment_status: str = PaymentStatus.PAID, status: str | None = None) -> Order:
    """An order priced as SPEC §5 says; ``lines`` = [(product, quantity, unit_price)], one supplier."""
    supplier = lines[0][0].supplier
    shipping = Decimal(settings.SHIPPING_FEE_NGN)
    items = []
    subtotal = markup = commission = Decimal("0.00")
    for product, quantity, unit_price in lines:
        unit_price = Decimal(unit_price)
        line_markup = quantize((unit_price - product.base_price) * quantity)
        line_commission = percent_of(unit_price * quantity, entrepreneur.commission_rate)
        subtotal += product.base_price * quantity
        markup += line_markup
        commission += line_commission
        items.append(OrderItem(
            product=product, product_name=product.name, product_sku=product.sku, quantity=quantity,
            unit_price=unit_price, base_price=product.base_price, markup_amount=line_markup,
            commission_amount=line_commission, total_price=quantize(unit_price * quantity),
        ))
    if status is None:
        status = OrderStatus.PAID if payment_status == PaymentStatus.PAID else OrderStatus.PENDING
    order = Order.objects.create(
        order_id=f"PAY{created_at:%Y%m%d}{secrets.token_hex(4).upper()}",
        customer=customer or CustomerFactory(), entrepreneur=entrepreneur, supplier=supplier, status=status,
        subtotal=subtotal, markup_amount=markup, commission_amount=commission, shipping_fee=shipping,
        total_amount=subtotal + markup + shipping, payment_status=payment_status, source_channel=channel,
        supplier_commission_rate=supplier.commission_rate,
        shipping_address={"full_name": "Chidi Okafor", "phone": "+2348031234567", "address": "5 Allen Avenue",
                          "city": "Ikeja", "state": "Lagos"},
    )
    for item in items:
        item.order = order
    OrderItem.objects.bulk_create(items)
    Order.objects.filter(pk=order.pk).update(created_at=created_at)  # created_at is auto_now_add
    order.refresh_from_db()
    return order


def add_events(event_type: str, *, at: datetime, visitors, entrepreneur=None, product=None, metadata=None) -> list:
    """One event per visitor id, all at ``at`` (timestamp is auto_now_add, so it is set afterwards)."""
    events = AnalyticsEvent.objects.bulk_create([
        AnalyticsEvent(event_type=event_type, entrepreneur=entrepreneur, product=product, visitor_id=visitor,
                       metadata=metadata or {})
        for visitor in visitors
    ])
    AnalyticsEvent.objects.filter(pk__in=[event.pk for event in events]).update(timestamp=at)
    return events
