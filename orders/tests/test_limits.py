"""Stock hoarding: bounded unpaid reservations per customer, and order placement throttled per user."""
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from orders import services
from orders.limits import ReservationLimitExceeded
from orders.models import Order, OrderStatus
from tests.factories import CustomerFactory

from .factories import VALID_ADDRESS, add_variation, advance_order, create_order, make_store

URL = "/api/orders/orders/"
# The production defaults (test settings raise them for the rest of the suite).
DEFAULTS = {"ORDER_MAX_UNPAID_ORDERS": 3, "ORDER_MAX_UNPAID_UNITS_PER_PRODUCT": 20, "ORDER_MAX_UNPAID_UNITS": 100}
pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _default_bounds(settings):
    for name, value in DEFAULTS.items():
        setattr(settings, name, value)


def test_the_defaults_are_3_orders_20_units_of_a_product_100_units():
    from payjaro_project.settings import base

    assert {name: getattr(base, name) for name in DEFAULTS} == DEFAULTS


@pytest.fixture
def store():
    return make_store(products=3, base_price=D("1000.00"), selling_price=D("1200.00"), stock_quantity=500)


@pytest.fixture
def customer():
    return CustomerFactory()


def place(client, store, *lines):
    """POST an order of ``(listing_index, quantity)`` lines (or ``(listing_index, quantity, variation)``)."""
    items = []
    for index, quantity, *variation in lines:
        item = {"product_id": store.listings[index].product_id, "quantity": quantity}
        if variation:
            item["variation_id"] = variation[0].pk
        items.append(item)
    body = {"entrepreneur_custom_url": store.custom_url, "items": items, "shipping_address": dict(VALID_ADDRESS)}
    return client.post(URL, body, format="json")


def stock(listing):
    listing.product.refresh_from_db()
    return listing.product.stock_quantity


def test_a_fourth_unpaid_order_is_refused_and_other_customers_still_buy(auth_client, customer, store):
    client = auth_client(customer)
    for _ in range(3):
        assert place(client, store, (0, 1)).status_code == 201
    before = stock(store.listing)

    response = place(client, store, (0, 1))

    assert response.status_code == 409
    assert response.data["error"] == (
        "You already have 3 unpaid orders holding stock (at most 3). "
        "Pay for or cancel one of them before placing another."
    )
    assert response.data["details"] == {"limit": "unpaid_orders", "maximum": 3, "unpaid_orders": 3}
    assert Order.objects.filter(customer=customer).count() == 3
    assert stock(store.listing) == before  # nothing reserved by the refused order

    other = auth_client(CustomerFactory())
    assert place(other, store, (0, 1)).status_code == 201


def test_paying_cancelling_or_expiry_frees_a_slot(auth_client, customer, store):
    client = auth_client(customer)
    first, second, third = (place(client, store, (0, 1)).data["id"] for _ in range(3))
    assert place(client, store, (0, 1)).status_code == 409

    advance_order(Order.objects.get(pk=first), OrderStatus.PAID)
    assert place(client, store, (0, 1)).status_code == 201  # paid orders hold nothing unpaid
    assert place(client, store, (0, 1)).status_code == 409

    cancel = client.post(f"{URL}{second}/update_status/", {"status": "cancelled"}, format="json")
    assert cancel.status_code == 200
    assert place(client, store, (0, 1)).status_code == 201
    assert place(client, store, (0, 1)).status_code == 409

    # An order past its reservation counts for nothing even before the periodic release runs,
    # and the release still cancels it on schedule.
    Order.objects.filter(pk=third).update(reserved_until=timezone.now() - timedelta(minutes=1))
    assert place(client, store, (0, 1)).status_code == 201
    assert services.order_release_expired() == 1
    assert Order.objects.get(pk=third).status == OrderStatus.CANCELLED


def test_at_most_20_units_of_one_product_across_unpaid_orders(auth_client, customer, store):
    client = auth_client(customer)
    variation = add_variation(store, stock_quantity=100)
    assert place(client, store, (0, 12)).status_code == 201

    # A variation counts towards its product; two lines of one product add up.
    response = place(client, store, (0, 5), (0, 2, variation), (1, 1))
    assert response.status_code == 201, response.data
    before = stock(store.listings[1])

    response = place(client, store, (1, 1), (0, 2))
    assert response.status_code == 409
    assert response.data["error"] == (
        "At most 20 units of one product can be reserved in unpaid orders: you hold 19 and asked for 2 more. "
        "Pay for your unpaid orders or lower the quantity."
    )
    assert response.data["details"] == {
        "limit": "units_per_product", "maximum": 20, "product_id": store.listings[0].product_id,
        "reserved": 19, "requested": 2,
    }
    assert stock(store.listings[1]) == before

    assert place(client, store, (0, 1)).status_code == 201  # exactly 20 is allowed


def test_a_single_order_over_20_units_of_one_product_is_refused(auth_client, customer, store):
    response = place(auth_client(customer), store, (0, 21))
    assert response.status_code == 409
    assert response.data["details"]["limit"] == "units_per_product"
    assert stock(store.listing) == 500


@override_settings(ORDER_MAX_UNPAID_ORDERS=10)
def test_at_most_100_units_in_all(auth_client, customer):
    store = make_store(products=6, stock_quantity=500)
    client = auth_client(customer)
    for index in range(4):
        assert place(client, store, (index, 20)).status_code == 201
    assert place(client, store, (4, 15)).status_code == 201  # 95 held

    response = place(client, store, (5, 6))
    assert response.status_code == 409
    assert response.data["error"] == (
        "At most 100 units in all can be reserved in unpaid orders: you hold 95 and asked for 6 more. "
        "Pay for your unpaid orders or lower the quantities."
    )
    assert response.data["details"] == {"limit": "units_total", "maximum": 100, "reserved": 95, "requested": 6}
    assert place(client, store, (5, 5)).status_code == 201


@override_settings(ORDER_MAX_UNPAID_ORDERS=1, ORDER_MAX_UNPAID_UNITS_PER_PRODUCT=2, ORDER_MAX_UNPAID_UNITS=3)
def test_the_bounds_are_settings(customer, store):
    create_order(customer=customer, store=store, quantity=2)
    with pytest.raises(ReservationLimitExceeded) as refused:
        create_order(customer=customer, store=store, quantity=1)
    assert refused.value.status_code == 409 and refused.value.details["limit"] == "unpaid_orders"


def test_placing_orders_is_throttled_per_user(auth_client, customer, store, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "orders", "2/hour")
    client = auth_client(customer)
    assert place(client, store, (0, 1)).status_code == 201
    assert place(client, store, (0, 1)).status_code == 201
    throttled = place(client, store, (0, 1))
    assert throttled.status_code == 429
    assert "error" in throttled.data and int(throttled["Retry-After"]) > 0
    # Reads are not counted, and another customer has its own budget.
    assert client.get(URL).status_code == 200
    assert place(auth_client(CustomerFactory()), store, (0, 1)).status_code == 201


def test_an_unpaid_order_without_lines_still_holds_a_reservation(auth_client, customer, store):
    """The holdings are one read of the unpaid orders joined to their lines: an order with no line left (an
    admin's repair, a partial data fix) is still one reservation, and holds no units."""
    from orders.models import OrderItem

    client = auth_client(customer)
    for _ in range(2):
        assert place(client, store, (0, 5)).status_code == 201
    OrderItem.objects.filter(order=Order.objects.filter(customer=customer).first()).delete()
    assert place(client, store, (0, 15)).status_code == 201  # 5 + 15 units of the product: at the bound of 20
    refused = place(client, store, (1, 1))
    assert refused.status_code == 409
    assert refused.json()["details"] == {"limit": "unpaid_orders", "maximum": 3, "unpaid_orders": 3}


@pytest.mark.parametrize("field", ["product_id", "variation_id"])
def test_an_id_beyond_a_64_bit_key_is_a_400(auth_client, customer, store, field):
    item = {"product_id": store.listings[0].product_id, "quantity": 1, field: 10**30}
    body = {"entrepreneur_custom_url": store.custom_url, "items": [item], "shipping_address": dict(VALID_ADDRESS)}
    response = auth_client(customer).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_failed"
