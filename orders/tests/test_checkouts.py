"""POST/GET /api/orders/checkouts/ — one cart across several suppliers (SPEC §5.1), through the real URLs."""
import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError
from django.utils import timezone

from orders.models import Checkout, Order, OrderItem, OrderStatus, OrderStatusHistory
from orders.services import OrderLine, checkout_create, order_release_expired, order_transition
from products.models import Product
from tests.factories import AdminFactory, CustomerFactory, EntrepreneurUserFactory

from .factories import VALID_ADDRESS, advance_order, make_store

URL = "/api/orders/checkouts/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def cart():
    """One store selling 2 products of supplier A and 1 of supplier B (both take 10%; the store earns 5%)."""
    a = make_store(base_price=D("1000.00"), selling_price=D("1200.00"), stock_quantity=10)
    a2 = make_store(supplier=a.supplier, entrepreneur=a.entrepreneur, base_price=D("500.00"),
                    selling_price=D("650.00"), stock_quantity=10)
    b = make_store(entrepreneur=a.entrepreneur, base_price=D("2000.00"), selling_price=D("2500.00"),
                   stock_quantity=5)
    return {"store": a, "p1": a.product, "p2": a2.product, "p3": b.product, "supplier_a": a.supplier,
            "supplier_b": b.supplier}


@pytest.fixture
def customer():
    return CustomerFactory()


@pytest.fixture
def client(auth_client, customer):
    return auth_client(customer)


def body(cart, items=None, **extra):
    data = {
        "entrepreneur_custom_url": cart["store"].custom_url,
        "items": items if items is not None else [
            {"product_id": cart["p1"].pk, "quantity": 2},
            {"product_id": cart["p3"].pk, "quantity": 1},
            {"product_id": cart["p2"].pk, "quantity": 1},
        ],
        "shipping_address": dict(VALID_ADDRESS),
    }
    data.update(extra)
    return data


def stock(*products):
    return [Product.objects.get(pk=p.pk).stock_quantity for p in products]


# --- the happy path --------------------------------------------------------------------------------

def test_three_lines_of_two_suppliers_make_one_checkout_of_two_orders(client, customer, cart):
    response = client.post(URL, body(cart, payment_method="paystack", source_channel="WhatsApp"), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert re.fullmatch(r"CHK\d{8}[0-9A-F]{8}", data["checkout_id"])
    assert data["checkout_id"][3:11] == timezone.now().astimezone(timezone.get_fixed_timezone(60)).strftime("%Y%m%d")
    assert data["status"] == "pending"
    # supplier A: 2×1200 + 650 = 3050 + 500 shipping; supplier B: 2500 + 500 shipping
    assert (data["subtotal"], data["shipping_fee"], data["total_amount"]) == ("5550.00", "1000.00", "6550.00")
    assert data["payment_method"] == "paystack"
    assert len(data["orders"]) == 2
    first, second = data["orders"]
    assert [(i["product_id"], i["quantity"], i["unit_price"], i["total_price"]) for i in first["items"]] == [
        (cart["p1"].pk, 2, "1200.00", "2400.00"), (cart["p2"].pk, 1, "650.00", "650.00")]
    assert [(i["product_id"], i["quantity"]) for i in second["items"]] == [(cart["p3"].pk, 1)]
    assert (first["shipping_fee"], first["items_total"], first["total_amount"]) == ("500.00", "3050.00", "3550.00")
    assert (second["shipping_fee"], second["items_total"], second["total_amount"]) == ("500.00", "2500.00", "3000.00")
    assert {o["checkout_id"] for o in data["orders"]} == {data["checkout_id"]}
    assert all(re.fullmatch(r"PAY\d{8}[0-9A-F]{8}", o["order_id"]) for o in data["orders"])

    checkout = Checkout.objects.get(pk=data["id"])
    a, b = checkout.orders.order_by("supplier_id")
    assert (a.supplier, b.supplier) == (cart["supplier_a"], cart["supplier_b"])
    # each order priced exactly as a single order: base subtotal, markup, capped commission, shipping
    assert (a.subtotal, a.markup_amount, a.commission_amount, a.shipping_fee, a.total_amount) == (
        D("2500.00"), D("550.00"), D("152.50"), D("500.00"), D("3550.00"))
    assert (b.subtotal, b.markup_amount, b.commission_amount, b.shipping_fee, b.total_amount) == (
        D("2000.00"), D("500.00"), D("125.00"), D("500.00"), D("3000.00"))
    for order in (a, b):
        assert order.customer == customer and order.status == OrderStatus.PENDING
        assert order.source_channel == "whatsapp" and order.payment_method == "paystack"
        assert order.reserved_until == checkout.reserved_until
        assert list(order.status_history.values_list("status", flat=True)) == ["pending"]
    assert checkout.total_amount == a.total_amount + b.total_amount
    assert stock(cart["p1"], cart["p2"], cart["p3"]) == [8, 9, 4]


def test_one_supplier_cart_is_a_checkout_of_one_order(client, cart):
    response = client.post(URL, body(cart, [{"product_id": cart["p1"].pk, "quantity": 1}]), format="json")
    assert response.status_code == 201, response.content
    assert len(response.json()["orders"]) == 1
    assert response.json()["total_amount"] == "1700.00"


def test_checkout_and_order_number_collisions_are_retried_with_new_numbers(client, cart, monkeypatch):
    from orders import services

    first = client.post(URL, body(cart), format="json").json()
    taken_orders = iter([first["orders"][0]["order_id"], "PAY20250101AAAAAAA1", first["orders"][1]["order_id"],
                         "PAY20250101AAAAAAA2"])
    taken_checkouts = iter([first["checkout_id"], first["checkout_id"], "CHK20250101BBBBBBB1"])
    monkeypatch.setattr(services.placement, "generate_order_id", lambda: next(taken_orders))
    monkeypatch.setattr(services.checkout, "generate_checkout_id", lambda: next(taken_checkouts))
    response = client.post(URL, body(cart), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["checkout_id"] == "CHK20250101BBBBBBB1"
    assert [o["order_id"] for o in response.json()["orders"]] == ["PAY20250101AAAAAAA1", "PAY20250101AAAAAAA2"]
    assert Checkout.objects.count() == 2 and Order.objects.count() == 4


def test_a_number_that_keeps_colliding_fails_the_whole_placement(client, cart, monkeypatch):
    from orders import services

    first = client.post(URL, body(cart), format="json").json()
    before = stock(cart["p1"], cart["p2"], cart["p3"])
    monkeypatch.setattr(services.placement, "generate_order_id", lambda: first["orders"][0]["order_id"])
    with pytest.raises(IntegrityError, match="No unused Order number after 5 attempts"):
        client.post(URL, body(cart), format="json")
    assert Checkout.objects.count() == 1 and Order.objects.count() == 2
    assert stock(cart["p1"], cart["p2"], cart["p3"]) == before


def test_duplicate_lines_are_merged(client, cart):
    items = [{"product_id": cart["p1"].pk, "quantity": 1}, {"product_id": cart["p3"].pk, "quantity": 1},
             {"product_id": cart["p1"].pk, "quantity": 2}]
    response = client.post(URL, body(cart, items), format="json")
    assert response.status_code == 201, response.content
    assert [i["quantity"] for o in response.json()["orders"] for i in o["items"]] == [3, 1]


# --- all or nothing --------------------------------------------------------------------------------

def test_one_line_out_of_stock_is_409_naming_it_and_nothing_is_created(client, cart):
    items = [{"product_id": cart["p1"].pk, "quantity": 2}, {"product_id": cart["p3"].pk, "quantity": 6}]
    response = client.post(URL, body(cart, items), format="json")
    assert response.status_code == 409
    assert response.json()["details"] == {"product_id": cart["p3"].pk, "variation_id": None, "requested": 6,
                                          "available": 5}
    assert cart["p3"].name in response.json()["error"]
    assert not Checkout.objects.exists() and not Order.objects.exists() and not OrderItem.objects.exists()
    assert stock(cart["p1"], cart["p2"], cart["p3"]) == [10, 10, 5]  # the first supplier's decrement rolled back


def test_price_changed_is_409_and_nothing_is_created(client, cart):
    items = [{"product_id": cart["p1"].pk, "quantity": 1, "unit_price": "1200.00"},
             {"product_id": cart["p3"].pk, "quantity": 1, "unit_price": "2400.00"}]
    response = client.post(URL, body(cart, items), format="json")
    assert response.status_code == 409
    assert response.json()["details"]["current_price"] == "2500.00"
    assert not Checkout.objects.exists() and stock(cart["p1"], cart["p3"]) == [10, 5]


def test_product_not_in_store_is_400(client, cart):
    other = make_store()
    items = [{"product_id": cart["p1"].pk, "quantity": 1}, {"product_id": other.product.pk, "quantity": 1}]
    response = client.post(URL, body(cart, items), format="json")
    assert response.status_code == 400
    assert not Checkout.objects.exists() and stock(cart["p1"]) == [10]


@pytest.mark.parametrize("bad", [
    {"items": []},
    {"items": [{"product_id": 1, "quantity": 0}]},
    {"shipping_address": {"full_name": "A"}},
    {"payment_method": "bitcoin"},
    {"entrepreneur_custom_url": ""},
])
def test_bad_input_is_400(client, cart, bad):
    response = client.post(URL, body(cart, **bad), format="json")
    assert response.status_code == 400
    assert set(response.json()) <= {"error", "code", "details"}
    assert not Checkout.objects.exists()


def test_at_most_50_lines(client, cart):
    items = [{"product_id": cart["p1"].pk, "quantity": 1}] * 51
    response = client.post(URL, body(cart, items), format="json")
    assert response.status_code == 400


def test_unknown_store_is_404(client, cart):
    response = client.post(URL, body(cart, entrepreneur_custom_url="nobody-here"), format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["entrepreneur", "admin", "anonymous"])
def test_only_customers_check_out(auth_client, api_client, cart, who):
    client = {"entrepreneur": lambda: auth_client(EntrepreneurUserFactory()),
              "admin": lambda: auth_client(AdminFactory()), "anonymous": lambda: api_client}[who]()
    response = client.post(URL, body(cart), format="json")
    assert response.status_code == (401 if who == "anonymous" else 403)
    assert not Checkout.objects.exists()


# --- supplier rules (SPEC §5) --------------------------------------------------------------------

def test_minimum_order_value_refusal_names_the_items_not_the_supplier(client, cart):
    supplier = cart["supplier_b"]
    supplier.minimum_order_value = D("5000.00")
    supplier.company_name = "Secret Supplies Ltd"
    supplier.save()
    response = client.post(URL, body(cart), format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["details"]["rules"] == [{
        "rule": "minimum_order_value", "minimum_order_value": "5000.00",
        "items": [{"product_id": cart["p3"].pk, "variation_id": None, "name": cart["p3"].name}],
    }]
    assert cart["p3"].name in data["error"] and "₦5000.00" in data["error"]
    assert "Secret" not in str(data) and "supplier" not in str(data["details"]).replace("'rule'", "")
    assert not Checkout.objects.exists() and stock(cart["p3"]) == [5]


def test_minimum_order_value_is_met_by_the_base_subtotal(client, cart):
    supplier = cart["supplier_a"]
    supplier.minimum_order_value = D("2500.00")  # p1×2 + p2 at base = 2500 exactly
    supplier.save()
    assert client.post(URL, body(cart), format="json").status_code == 201


def test_delivery_area_refusal_names_the_items_and_the_areas(client, cart):
    supplier = cart["supplier_a"]
    supplier.delivery_areas = ["Kano", "FCT"]
    supplier.save()
    response = client.post(URL, body(cart), format="json")
    assert response.status_code == 400
    rule = response.json()["details"]["rules"][0]
    assert rule["rule"] == "delivery_areas" and rule["state"] == "Lagos" and rule["delivery_areas"] == ["Kano", "FCT"]
    assert [i["product_id"] for i in rule["items"]] == [cart["p1"].pk, cart["p2"].pk]
    assert "cannot be delivered to Lagos" in response.json()["error"]
    # a state in the list is fine
    address = {**VALID_ADDRESS, "state": "abuja"}
    assert client.post(URL, body(cart, shipping_address=address), format="json").status_code == 201


def test_both_rules_broken_by_different_parcels_are_reported_together(client, cart):
    cart["supplier_a"].delivery_areas = ["Kano"]
    cart["supplier_a"].save()
    cart["supplier_b"].minimum_order_value = D("99999.00")
    cart["supplier_b"].save()
    response = client.post(URL, body(cart), format="json")
    assert response.status_code == 400
    assert [r["rule"] for r in response.json()["details"]["rules"]] == ["delivery_areas", "minimum_order_value"]


def test_supplier_rules_apply_to_single_orders_too(client, cart):
    cart["supplier_a"].minimum_order_value = D("3000.00")
    cart["supplier_a"].save()
    response = client.post("/api/orders/orders/", body(cart, [{"product_id": cart["p1"].pk, "quantity": 2}]),
                           format="json")
    assert response.status_code == 400
    assert response.json()["details"]["rules"][0]["rule"] == "minimum_order_value"
    assert not Order.objects.exists()


# --- reads -----------------------------------------------------------------------------------------

def _checkout(customer, cart, n=1):
    Product.objects.filter(pk__in=[cart["p1"].pk, cart["p3"].pk]).update(stock_quantity=100)
    return [checkout_create(customer=customer, entrepreneur_custom_url=cart["store"].custom_url,
                            items=[OrderLine(**item) for item in body(cart)["items"][:2]],
                            shipping_address=dict(VALID_ADDRESS)) for _ in range(n)]


def test_list_and_detail_are_the_customers_own(client, auth_client, customer, cart):
    mine = _checkout(customer, cart)[0]
    theirs = _checkout(CustomerFactory(), cart)[0]
    listed = client.get(URL).json()
    assert [c["checkout_id"] for c in listed["results"]] == [mine.checkout_id]
    assert client.get(f"{URL}{mine.pk}/").json()["total_amount"] == "5900.00"
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.get(f"{URL}abc/").status_code == 404
    admin = auth_client(AdminFactory())
    assert {c["checkout_id"] for c in admin.get(URL).json()["results"]} == {mine.checkout_id, theirs.checkout_id}
    detail = admin.get(f"{URL}{theirs.pk}/").json()
    assert detail["customer"]["id"] == theirs.customer_id
    assert {o["supplier"]["id"] for o in detail["orders"]} == {cart["supplier_a"].pk, cart["supplier_b"].pk}
    assert auth_client(EntrepreneurUserFactory()).get(URL).status_code == 403


@pytest.fixture
def roomy(settings):
    """No unpaid-reservation bounds (orders.limits) for tests that pile up checkouts of one customer."""
    settings.ORDER_MAX_UNPAID_ORDERS = settings.ORDER_MAX_UNPAID_UNITS_PER_PRODUCT = 1000
    settings.ORDER_MAX_UNPAID_UNITS = 10_000


@pytest.mark.parametrize("n", [2, 20])
def test_list_query_count_is_flat(client, customer, cart, django_assert_num_queries, n, roomy):
    _checkout(customer, cart, n)
    # auth user + count + checkouts + orders + items + history
    with django_assert_num_queries(6):
        response = client.get(URL, {"page_size": 20})
    assert response.status_code == 200
    assert len(response.json()["results"]) == n


@pytest.mark.parametrize("n", [2, 20])
def test_detail_query_count_is_flat(client, customer, cart, django_assert_num_queries, n, roomy):
    checkout = _checkout(customer, cart, n)[-1]
    with django_assert_num_queries(5):
        assert client.get(f"{URL}{checkout.pk}/").status_code == 200


def test_status_is_derived_from_the_orders(customer, cart):
    checkout = _checkout(customer, cart)[0]
    a, b = checkout.orders.order_by("supplier_id")
    assert Checkout.objects.get(pk=checkout.pk).status == "pending"
    advance_order(a, OrderStatus.PAID)
    assert Checkout.objects.get(pk=checkout.pk).status == "pending"
    advance_order(b, OrderStatus.PAID)
    assert Checkout.objects.get(pk=checkout.pk).status == "paid"
    order_transition(order_id=a.pk, to_status=OrderStatus.CANCELLED, actor=None, system=True)
    assert Checkout.objects.get(pk=checkout.pk).status == "partially_cancelled"
    order_transition(order_id=b.pk, to_status=OrderStatus.CANCELLED, actor=None, system=True)
    assert Checkout.objects.get(pk=checkout.pk).status == "cancelled"


# --- expiry ----------------------------------------------------------------------------------------

def test_expiry_releases_the_checkouts_orders_together(customer, cart):
    checkout = _checkout(customer, cart)[0]
    assert stock(cart["p1"], cart["p3"]) == [98, 99]
    released = order_release_expired(now=timezone.now() + timedelta(minutes=31))
    assert released == 2
    assert set(checkout.orders.values_list("status", flat=True)) == {"cancelled"}
    assert Checkout.objects.get(pk=checkout.pk).status == "cancelled"
    assert stock(cart["p1"], cart["p3"]) == [100, 100]
    notes = OrderStatusHistory.objects.filter(order__checkout=checkout, status="cancelled").values_list("notes", flat=True)
    assert all("Reservation expired" in n for n in notes)


def test_a_checkout_at_the_edge_of_an_expiry_run_expires_whole(customer, cart):
    """A run reads at most ``limit`` expired orders; a checkout cut by that edge still expires together (its other
    orders are locked with it), never one parcel now and the rest on the next run."""
    checkout = _checkout(customer, cart)[0]
    assert order_release_expired(now=timezone.now() + timedelta(minutes=31), limit=1) == 2
    assert set(checkout.orders.values_list("status", flat=True)) == {"cancelled"}
    assert stock(cart["p1"], cart["p3"]) == [100, 100]


def test_expiry_skips_paid_orders_of_a_checkout(customer, cart):
    checkout = _checkout(customer, cart)[0]
    a, b = checkout.orders.order_by("supplier_id")
    advance_order(a, OrderStatus.PAID)
    assert order_release_expired(now=timezone.now() + timedelta(minutes=31)) == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == ("paid", "cancelled")


def test_not_yet_expired_checkouts_are_kept(customer, cart):
    _checkout(customer, cart)
    assert order_release_expired(now=timezone.now() + timedelta(minutes=29)) == 0
    assert not Order.objects.filter(status="cancelled").exists()



def test_a_checkout_counts_as_one_unpaid_reservation(client, customer, cart, settings):
    settings.ORDER_MAX_UNPAID_ORDERS = 2
    items = [{"product_id": cart["p1"].pk, "quantity": 1}, {"product_id": cart["p3"].pk, "quantity": 1}]
    assert client.post(URL, body(cart, items), format="json").status_code == 201  # 2 orders, 1 reservation
    assert client.post(URL, body(cart, items), format="json").status_code == 201
    response = client.post(URL, body(cart, items), format="json")
    assert response.status_code == 409
    assert response.json()["details"]["limit"] == "unpaid_orders"
    assert Checkout.objects.count() == 2 and stock(cart["p1"], cart["p3"]) == [8, 3]


def test_checkout_is_throttled_with_orders(client, cart, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "orders", "1/hour")
    items = [{"product_id": cart["p1"].pk, "quantity": 1}]
    assert client.post(URL, body(cart, items), format="json").status_code == 201
    assert client.post(URL, body(cart, items), format="json").status_code == 429


def test_a_checkout_whose_parcels_fit_but_whose_sum_does_not_is_a_400_before_anything_is_saved(client, customer):
    """Each parcel is under the money columns' limit (₦999,999,999,999.99); the checkout's total is not."""
    big = D("9000000000.00")  # ₦9 billion a unit (the price columns hold up to ₦9,999,999,999.99)
    a = make_store(base_price=big, selling_price=big, stock_quantity=200)
    b = make_store(entrepreneur=a.entrepreneur, base_price=big, selling_price=big, stock_quantity=200)
    items = [{"product_id": a.product.pk, "quantity": 100}, {"product_id": b.product.pk, "quantity": 100}]
    response = client.post(URL, {"entrepreneur_custom_url": a.custom_url, "items": items,
                                 "shipping_address": dict(VALID_ADDRESS)}, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) == {"error", "code", "details"} and "total_amount" in response.json()["details"]
    assert not Checkout.objects.exists() and not Order.objects.exists()
    assert stock(a.product, b.product) == [200, 200]
