"""Role-scoped order lists and detail, filters, ordering, pagination and the query budget."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Order
from tests.factories import AdminFactory, CustomerFactory, EntrepreneurFactory, SupplierFactory

from .factories import create_order, make_store

LIST = "/api/orders/orders/"
pytestmark = pytest.mark.django_db


def detail(order):
    return f"/api/orders/orders/{order.pk}/"


def ids(response):
    return [row["id"] for row in response.data["results"]]


@pytest.fixture
def world():
    """Two stores of two suppliers, two customers, four orders."""
    store_a = make_store()
    store_b = make_store()
    alice, bob = CustomerFactory(), CustomerFactory()
    orders = {
        "alice_a": create_order(customer=alice, store=store_a),
        "bob_a": create_order(customer=bob, store=store_a, status="paid"),
        "alice_b": create_order(customer=alice, store=store_b, status="shipped"),
        "bob_b": create_order(customer=bob, store=store_b, status="cancelled"),
    }
    return {"a": store_a, "b": store_b, "alice": alice, "bob": bob, **orders}


def newest_first(*orders):
    return [o.pk for o in sorted(orders, key=lambda o: (o.created_at, o.pk), reverse=True)]


def test_customer_sees_own_orders(auth_client, world):
    response = auth_client(world["alice"]).get(LIST)
    assert response.status_code == 200
    assert ids(response) == newest_first(world["alice_a"], world["alice_b"])
    assert response.data["count"] == 2


def test_entrepreneur_sees_their_stores_orders(auth_client, world):
    client = auth_client(world["a"].entrepreneur.user)
    assert ids(client.get(LIST)) == newest_first(world["alice_a"], world["bob_a"])
    assert ids(client.get(LIST + "entrepreneur_orders/")) == newest_first(world["alice_a"], world["bob_a"])


def test_supplier_sees_orders_of_their_products(auth_client, world):
    client = auth_client(world["b"].supplier.user)
    assert ids(client.get(LIST)) == newest_first(world["alice_b"], world["bob_b"])
    assert ids(client.get(LIST + "supplier_orders/")) == newest_first(world["alice_b"], world["bob_b"])


def test_admin_sees_all(auth_client, world):
    response = auth_client(AdminFactory()).get(LIST)
    assert response.data["count"] == 4


def test_users_without_orders_see_none(auth_client, world):
    assert auth_client(CustomerFactory()).get(LIST).data["count"] == 0
    assert auth_client(EntrepreneurFactory().user).get(LIST + "entrepreneur_orders/").data["count"] == 0
    assert auth_client(SupplierFactory().user).get(LIST + "supplier_orders/").data["count"] == 0


@pytest.mark.parametrize(("who", "visible", "hidden"), [
    ("alice", "alice_a", "bob_a"),
    ("entrepreneur_a", "bob_a", "alice_b"),
    ("supplier_b", "bob_b", "alice_a"),
])
def test_detail_is_scoped_and_foreign_is_404(auth_client, world, who, visible, hidden):
    user = {"alice": world["alice"], "entrepreneur_a": world["a"].entrepreneur.user,
            "supplier_b": world["b"].supplier.user}[who]
    client = auth_client(user)
    response = client.get(detail(world[visible]))
    assert response.status_code == 200
    assert response.data["order_id"] == world[visible].order_id
    response = client.get(detail(world[hidden]))
    assert response.status_code == 404
    assert response.data == {"code": "not_found", "error": "Order not found."}


def test_unknown_and_non_numeric_ids_are_404(auth_client, world):
    client = auth_client(AdminFactory())
    assert client.get("/api/orders/orders/999999/").status_code == 404
    assert client.get("/api/orders/orders/abc/").status_code == 404


def test_detail_has_items_history_and_money_strings(auth_client, world):
    response = auth_client(AdminFactory()).get(detail(world["alice_b"]))
    data = response.data
    assert data["status"] == "shipped"
    assert [h["status"] for h in data["status_history"]] == ["pending", "paid", "processing", "shipped"]
    assert isinstance(data["total_amount"], str) and data["total_amount"] == "1700.00"
    assert data["items"][0]["unit_price"] == "1200.00"


def test_anonymous_is_401(api_client, world):
    assert api_client.get(LIST).status_code == 401
    assert api_client.get(detail(world["alice_a"])).status_code == 401


@pytest.mark.parametrize("make_user", [CustomerFactory, lambda: SupplierFactory().user, AdminFactory])
def test_entrepreneur_orders_is_for_entrepreneurs(auth_client, make_user):
    response = auth_client(make_user()).get(LIST + "entrepreneur_orders/")
    assert response.status_code == 403
    assert response.data == {"code": "permission_denied", "error": "Only entrepreneur accounts can list their store's orders."}


@pytest.mark.parametrize("make_user", [CustomerFactory, lambda: EntrepreneurFactory().user, AdminFactory])
def test_supplier_orders_is_for_suppliers(auth_client, make_user):
    response = auth_client(make_user()).get(LIST + "supplier_orders/")
    assert response.status_code == 403
    assert response.data == {"code": "permission_denied", "error": "Only supplier accounts can list their orders."}


# --- filters -------------------------------------------------------------------------------------------


def test_filter_by_status(auth_client, world):
    client = auth_client(AdminFactory())
    assert ids(client.get(LIST, {"status": "paid"})) == [world["bob_a"].pk]
    assert ids(client.get(LIST + "?status=cancelled")) == [world["bob_b"].pk]
    assert ids(auth_client(world["bob"]).get(LIST, {"status": "shipped"})) == []


def test_filter_by_dates(auth_client, world):
    old = world["bob_b"]
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    today = timezone.localdate()
    client = auth_client(AdminFactory())
    recent = ids(client.get(LIST, {"date_from": today.isoformat()}))
    assert old.pk not in recent and len(recent) == 3
    older = ids(client.get(LIST, {"date_to": (today - timedelta(days=5)).isoformat()}))
    assert older == [old.pk]
    day = (today - timedelta(days=10)).isoformat()
    assert ids(client.get(LIST, {"date_from": day, "date_to": day})) == [old.pk]
    supplier_client = auth_client(world["b"].supplier.user)
    assert ids(supplier_client.get(LIST + "supplier_orders/", {"date_from": today.isoformat()})) == [world["alice_b"].pk]


@pytest.mark.parametrize(("params", "field"), [
    ({"date_from": "yesterday"}, "date_from"),
    ({"date_to": "2025-13-01"}, "date_to"),
    ({"date_from": "2025-02-02", "date_to": "2025-02-01"}, "date_to"),
    ({"status": "lost"}, "status"),
])
def test_bad_filters_are_400(auth_client, world, params, field):
    response = auth_client(AdminFactory()).get(LIST, params)
    assert response.status_code == 400
    assert list(response.data["details"]) == [field]


def test_bad_filters_are_400_on_role_lists_too(auth_client, world):
    response = auth_client(world["a"].entrepreneur.user).get(LIST + "entrepreneur_orders/", {"date_from": "x"})
    assert response.status_code == 400


# --- pagination and query budget -----------------------------------------------------------------------


def test_paginated_newest_first(auth_client):
    store = make_store()
    customer = CustomerFactory()
    orders = [create_order(customer=customer, store=store) for _ in range(5)]
    base = timezone.now()
    for offset, order in enumerate(orders):
        Order.objects.filter(pk=order.pk).update(created_at=base - timedelta(minutes=offset))
    client = auth_client(customer)
    page1 = client.get(LIST, {"page_size": 2})
    assert page1.data["count"] == 5 and page1.data["next"]
    assert ids(page1) == [orders[0].pk, orders[1].pk]
    page3 = client.get(LIST, {"page_size": 2, "page": 3})
    assert ids(page3) == [orders[4].pk] and page3.data["next"] is None
    assert client.get(LIST, {"page": 9}).status_code == 404


def _queries_for(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, {"page_size": 100})
    assert response.status_code == 200
    return len(ctx.captured_queries), response.data["count"]


@pytest.mark.parametrize("path", [LIST, LIST + "entrepreneur_orders/"])
def test_list_costs_a_fixed_number_of_queries(auth_client, django_assert_max_num_queries, path):
    store = make_store(products=3)
    client = auth_client(store.entrepreneur.user)

    def place(n):
        for i in range(n):
            listing = store.listings[i % 3]
            create_order(store=store, items=[{"product_id": listing.product_id, "quantity": 1},
                                             {"product_id": store.listings[(i + 1) % 3].product_id, "quantity": 2}],
                         status="paid" if i % 2 else "pending")

    place(5)
    few, count = _queries_for(client, path)
    assert count == 5
    place(25)
    many, count = _queries_for(client, path)
    assert count == 30
    assert few == many
    # user (JWT) + count + page: items and history are on the detail route only
    assert many == 3


def test_supplier_list_costs_the_same(auth_client, django_assert_num_queries):
    store = make_store()
    for _ in range(7):
        create_order(store=store)
    client = auth_client(store.supplier.user)
    with django_assert_num_queries(3):  # user (JWT) + count + page
        assert client.get(LIST + "supplier_orders/").data["count"] == 7


def test_the_customer_list_joins_only_the_store_and_the_checkout(auth_client):
    """The customer's page query joins what its list shows (the store, the checkout's id): not the customer
    (the reader) nor the supplier (never shown to customers); still 3 queries whatever the page size."""
    store = make_store()
    customer = CustomerFactory()
    for _ in range(4):
        create_order(store=store, customer=customer)
    client = auth_client(customer)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, {"page_size": 100})
    assert response.status_code == 200 and response.data["count"] == 4
    assert len(ctx.captured_queries) == 3
    page = next(q["sql"] for q in ctx.captured_queries if "LIMIT" in q["sql"] and "orders_order" in q["sql"])
    joined = {table for table in ("users_user", "suppliers_supplierprofile", "entrepreneurs_entrepreneurprofile",
                                  "orders_checkout") if f'JOIN "{table}"' in page}
    assert joined == {"entrepreneurs_entrepreneurprofile", "orders_checkout"}


@pytest.mark.parametrize("role", ["customer", "entrepreneur", "supplier", "admin"])
def test_lists_leave_items_and_history_to_the_detail_route(auth_client, role):
    store = make_store()
    order = create_order(store=store)
    user = {"customer": order.customer, "entrepreneur": store.entrepreneur.user, "supplier": store.supplier.user,
            "admin": AdminFactory()}[role]
    client = auth_client(user)
    (listed,) = client.get(LIST).json()["results"]
    detail = client.get(f"{LIST}{order.pk}/").json()
    assert "items" not in listed and "status_history" not in listed
    assert detail["items"] and detail["status_history"]
    # every other field of the detail, with the same SPEC names and values
    assert listed == {key: value for key, value in detail.items() if key not in ("items", "status_history")}
