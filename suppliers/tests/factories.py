"""Helpers for suppliers tests: orders are written directly (the dashboard reads them, it does not make them)."""
import itertools
from decimal import Decimal

from orders.models import Order, OrderItem
from tests.factories import CustomerFactory, EntrepreneurFactory, ProductFactory, SupplierFactory  # noqa: F401

_order_numbers = itertools.count(1)


def make_order(*, supplier, items, status="pending", payment_status="pending", shipping_fee=Decimal("500.00"),
               customer=None, entrepreneur=None) -> Order:
    """An order of ``items`` = [(product, quantity, unit_price)] for ``supplier`` with consistent amounts."""
    subtotal = sum((product.base_price * quantity for product, quantity, _ in items), Decimal("0.00"))
    markup = sum(((unit_price - product.base_price) * quantity for product, quantity, unit_price in items),
                 Decimal("0.00"))
    order = Order.objects.create(
        order_id=f"PAY20250101{next(_order_numbers):08X}",
        customer=customer or CustomerFactory(), entrepreneur=entrepreneur or EntrepreneurFactory(), supplier=supplier,
        status=status, payment_status=payment_status, subtotal=subtotal, markup_amount=markup,
        commission_amount=Decimal("0.00"), shipping_fee=shipping_fee, total_amount=subtotal + markup + shipping_fee,
        supplier_commission_rate=supplier.commission_rate,
        shipping_address={"full_name": "Chinedu Okafor", "phone": "08031234567", "address": "14 Allen Avenue",
                          "city": "Ikeja", "state": "Lagos"},
    )
    OrderItem.objects.bulk_create([
        OrderItem(order=order, product=product, product_name=product.name, product_sku=product.sku,
                  quantity=quantity, unit_price=unit_price, base_price=product.base_price,
                  markup_amount=(unit_price - product.base_price) * quantity, commission_amount=Decimal("0.00"),
                  total_price=unit_price * quantity)
        for product, quantity, unit_price in items
    ])
    return order
