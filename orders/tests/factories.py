"""Order factories that go through the real checkout (``order_create``), so every order is consistent:
server prices, items, history and reserved stock.

    order = create_order()                                  # a pending order of 1 unit
    order = create_order(status="paid")                     # walked through order_mark_paid
    order = OrderFactory(quantity=3, status="shipped")      # factory-boy flavour of the same
    store = make_store(products=2)                          # a published store with listings
"""
from dataclasses import dataclass, field
from decimal import Decimal

import factory

from orders.models import Order, OrderStatus
from orders.services import OrderLine, order_create, order_mark_paid, order_transition
from social.models import EntrepreneurStorefront
from tests.factories import (
    CustomerFactory,
    EntrepreneurFactory,
    ProductFactory,
    StorefrontFactory,
    StoreProductFactory,
    SupplierFactory,
    VariationFactory,
)

VALID_ADDRESS = {
    "full_name": "Chinedu Okafor",
    "phone": "08031234567",
    "address": "14 Allen Avenue, Ikeja",
    "city": "Ikeja",
    "state": "Lagos",
}

# The path from pending to each status (cancelled/returned by the shortest legal route).
STATUS_PATHS = {
    OrderStatus.PENDING: [],
    OrderStatus.PAID: [OrderStatus.PAID],
    OrderStatus.PROCESSING: [OrderStatus.PAID, OrderStatus.PROCESSING],
    OrderStatus.SHIPPED: [OrderStatus.PAID, OrderStatus.PROCESSING, OrderStatus.SHIPPED],
    OrderStatus.DELIVERED: [OrderStatus.PAID, OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.DELIVERED],
    OrderStatus.RETURNED: [OrderStatus.PAID, OrderStatus.PROCESSING, OrderStatus.SHIPPED, OrderStatus.RETURNED],
    OrderStatus.CANCELLED: [OrderStatus.CANCELLED],
}


@dataclass
class Store:
    entrepreneur: object
    storefront: object
    supplier: object
    listings: list = field(default_factory=list)

    @property
    def custom_url(self) -> str:
        return self.entrepreneur.custom_url

    @property
    def listing(self):
        return self.listings[0]

    @property
    def product(self):
        return self.listings[0].product


def make_store(*, products: int = 1, supplier=None, entrepreneur=None, base_price=Decimal("1000.00"),
               selling_price=Decimal("1200.00"), stock_quantity: int = 100, commission_rate=None) -> Store:
    """A published storefront selling ``products`` products of one verified supplier."""
    supplier = supplier or SupplierFactory()
    entrepreneur = entrepreneur or EntrepreneurFactory(
        **({"commission_rate": commission_rate} if commission_rate is not None else {})
    )
    storefront = (EntrepreneurStorefront.objects.filter(entrepreneur=entrepreneur).first()
                  or StorefrontFactory(entrepreneur=entrepreneur))
    listings = [
        StoreProductFactory(
            storefront=storefront,
            product=ProductFactory(supplier=supplier, base_price=base_price, stock_quantity=stock_quantity),
            selling_price=selling_price,
        )
        for _ in range(products)
    ]
    return Store(entrepreneur=entrepreneur, storefront=storefront, supplier=supplier, listings=listings)


def add_variation(store_or_product, **kwargs):
    product = getattr(store_or_product, "product", store_or_product)
    return VariationFactory(product=product, **kwargs)


def advance_order(order: Order, status: str, *, tracking_number: str = "TRK-0001") -> Order:
    """Walk a pending order to ``status`` through the real services (system moves, mark_paid for paid)."""
    for step in STATUS_PATHS[status]:
        if step == OrderStatus.PAID:
            order = order_mark_paid(order_id=order.pk)
        else:
            order = order_transition(order_id=order.pk, to_status=step, actor=None, system=True,
                                     tracking_number=tracking_number if step == OrderStatus.SHIPPED else "")
    order.refresh_from_db()
    return order


def create_order(*, customer=None, store: Store | None = None, listing=None, variation=None, quantity: int = 1,
                 items: list[dict] | None = None, status: str = OrderStatus.PENDING, shipping_address=None,
                 notes: str = "", source_channel: str = "") -> Order:
    """A real order placed through ``order_create`` (then advanced to ``status`` if asked)."""
    customer = customer or CustomerFactory()
    if store is None:
        store = make_store()
    listing = listing or store.listing
    if items is None:
        items = [{"product_id": listing.product_id, "variation_id": variation.pk if variation else None,
                  "quantity": quantity}]
    order = order_create(
        customer=customer, entrepreneur_custom_url=store.custom_url, items=[OrderLine(**item) for item in items],
        shipping_address=shipping_address or dict(VALID_ADDRESS), notes=notes, source_channel=source_channel,
    )
    return advance_order(order, status) if status != OrderStatus.PENDING else order


class OrderFactory(factory.Factory):
    """factory-boy front for ``create_order``: ``OrderFactory(status="paid", quantity=2)``."""

    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    store = factory.LazyFunction(make_store)
    quantity = 1
    status = OrderStatus.PENDING

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("OrderFactory only creates (orders exist only through checkout)")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return create_order(**kwargs)
