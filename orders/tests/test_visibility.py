"""What each role sees of an order and a checkout (SPEC §5), walked through the real JSON."""
from decimal import Decimal as D

import pytest

from orders.serializers import (
    AdminOrderSerializer,
    CustomerOrderSerializer,
    EntrepreneurOrderSerializer,
    SupplierOrderSerializer,
    order_serializer_for,
)
from orders.services import OrderLine, checkout_create
from tests.factories import AdminFactory, CustomerFactory

from .factories import VALID_ADDRESS, advance_order, make_store

pytestmark = pytest.mark.django_db

CUSTOMER_NEVER = {"supplier", "base_price", "markup_amount", "commission_amount", "supplier_share", "base_total",
                  "company_name", "created_by"}
SUPPLIER_NEVER = {"markup_amount", "commission_amount", "unit_price", "total_price", "total_amount", "items_total"}


def keys_of(value) -> set[str]:
    """Every key anywhere in a JSON document."""
    if isinstance(value, dict):
        return set(value) | set().union(*(keys_of(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_of(v) for v in value)) if value else set()
    return set()


@pytest.fixture
def world():
    a = make_store(base_price=D("1000.00"), selling_price=D("1500.00"))
    b = make_store(entrepreneur=a.entrepreneur, base_price=D("2000.00"), selling_price=D("2200.00"))
    customer = CustomerFactory()
    checkout = checkout_create(
        customer=customer, entrepreneur_custom_url=a.custom_url, shipping_address=dict(VALID_ADDRESS),
        items=[OrderLine(product_id=a.product.pk, quantity=1), OrderLine(product_id=b.product.pk, quantity=2)],
    )
    order_a, order_b = checkout.orders.order_by("supplier_id")
    advance_order(order_a, "shipped")  # a supplier moved it: history carries the supplier's account
    return {"a": a, "b": b, "customer": customer, "checkout": checkout, "order_a": order_a, "order_b": order_b}


def test_customer_json_has_no_supplier_identity_base_price_markup_or_commission(auth_client, world):
    client = auth_client(world["customer"])
    documents = [
        client.get("/api/orders/orders/").json(),
        client.get(f"/api/orders/orders/{world['order_a'].pk}/").json(),
        client.get("/api/orders/checkouts/").json(),
        client.get(f"/api/orders/checkouts/{world['checkout'].pk}/").json(),
    ]
    for document in documents:
        assert keys_of(document), document
        assert not keys_of(document) & CUSTOMER_NEVER, keys_of(document) & CUSTOMER_NEVER
        text = str(document)
        for supplier in (world["a"].supplier, world["b"].supplier):
            assert supplier.company_name not in text and supplier.user.username not in text
    assert documents[0]["count"] == 2 and documents[2]["count"] == 1
    # an order's `subtotal` is at base prices: the customer's orders carry `items_total` instead; the
    # checkout's `subtotal` (SPEC §5.1) is what the items cost at the store's prices
    assert all("subtotal" not in order for order in documents[0]["results"])
    assert documents[3]["subtotal"] == "5900.00" and documents[3]["total_amount"] == "6900.00"
    # what it does see: its items at the prices it pays, shipping, total, the store
    order = documents[1]
    assert order["items"][0]["unit_price"] == "1500.00" and order["total_amount"] == "2000.00"
    assert order["store"]["custom_url"] == world["a"].custom_url
    assert order["tracking_number"] == "TRK-0001"


def test_supplier_json_has_no_markup_or_commission(auth_client, world):
    client = auth_client(world["a"].supplier.user)
    documents = [client.get("/api/orders/orders/").json(), client.get("/api/orders/orders/supplier_orders/").json(),
                 client.get(f"/api/orders/orders/{world['order_a'].pk}/").json()]
    for document in documents:
        assert not keys_of(document) & SUPPLIER_NEVER, keys_of(document) & SUPPLIER_NEVER
    order = documents[2]
    assert order["subtotal"] == "1000.00" and order["items"][0]["base_price"] == "1000.00"
    assert order["supplier_share"] == "900.00"  # 1000 − 10% platform commission
    assert documents[0]["count"] == 1  # only its own parcel of the checkout
    assert client.get(f"/api/orders/orders/{world['order_b'].pk}/").status_code == 404
    assert client.get("/api/orders/checkouts/").status_code == 403


def test_entrepreneur_json_carries_its_markup_and_commission(auth_client, world):
    client = auth_client(world["a"].entrepreneur.user)
    order = client.get(f"/api/orders/orders/{world['order_a'].pk}/").json()
    assert order["markup_amount"] == "500.00"
    assert order["commission_amount"] == "75.00"  # 1500 × 5%, under the cap of 1000 × 10%
    assert order["items"][0]["markup_amount"] == "500.00"
    listed = client.get("/api/orders/orders/entrepreneur_orders/").json()
    assert {o["order_id"] for o in listed["results"]} == {world["order_a"].order_id, world["order_b"].order_id}


def test_admin_json_has_everything(auth_client, world):
    order = auth_client(AdminFactory()).get(f"/api/orders/orders/{world['order_b'].pk}/").json()
    assert {"supplier", "subtotal", "markup_amount", "commission_amount", "customer"} <= set(order)
    assert order["checkout_id"] == world["checkout"].checkout_id


def test_the_audience_is_chosen_in_one_place(world):
    assert order_serializer_for(world["customer"]) is CustomerOrderSerializer
    assert order_serializer_for(world["a"].supplier.user) is SupplierOrderSerializer
    assert order_serializer_for(world["a"].entrepreneur.user) is EntrepreneurOrderSerializer
    assert order_serializer_for(AdminFactory()) is AdminOrderSerializer


def test_schema_shows_each_audience(api_client):
    definitions = api_client.get("/api/schema.json").json()["definitions"]
    # The role lists (entrepreneur_orders, supplier_orders) answer the list shapes, without items/history.
    assert {"CustomerOrder", "SupplierOrderList", "OrderList", "Order", "Checkout"} <= set(definitions)
    assert "markup_amount" not in definitions["CustomerOrder"]["properties"]
    assert "markup_amount" not in definitions["SupplierOrderList"]["properties"]
    assert "items" not in definitions["SupplierOrderList"]["properties"]
