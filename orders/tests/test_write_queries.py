"""Query budgets of the write paths (issue 17 item 2): placing an order or a checkout costs a fixed number of
queries plus one conditional stock UPDATE per line — nothing else grows with the cart.

Order create, one line (10, through the API): the JWT's user; the store's listings of the cart's products,
joined to the store, its entrepreneur, the products and their suppliers (one query); the transaction (a
savepoint here, inside the test's transaction: 2); the customer's row lock and one count of the unpaid
reservations it holds (the units it holds are only added up when it holds any); the stock UPDATE; the order
(one ``INSERT … ON CONFLICT (order_id) DO NOTHING``: a duplicate number is retried without a savepoint); its
items (one bulk INSERT); its history row. The response is built from the rows just written (no read-back; it
equals what the detail route answers, tested below).
"""
from decimal import Decimal as D

import pytest

from orders.models import Order
from tests.factories import CustomerFactory

from .factories import VALID_ADDRESS, make_store

pytestmark = pytest.mark.django_db


def _store(n_products, n_suppliers=1):
    """A store selling ``n_products`` products of ``n_suppliers`` suppliers (round robin)."""
    first = make_store(base_price=D("1000.00"), selling_price=D("1200.00"), stock_quantity=50)
    suppliers = [first.supplier]
    products = [first.product]
    for i in range(1, n_products):
        supplier = suppliers[i % n_suppliers] if i % n_suppliers < len(suppliers) else None
        store = make_store(entrepreneur=first.entrepreneur, base_price=D("500.00"), selling_price=D("650.00"),
                           stock_quantity=50, **({"supplier": supplier} if supplier else {}))
        if supplier is None:
            suppliers.append(store.supplier)
        products.append(store.product)
    return first, products


def _body(store, products, quantity=1):
    return {"entrepreneur_custom_url": store.custom_url, "shipping_address": dict(VALID_ADDRESS),
            "items": [{"product_id": p.pk, "quantity": quantity} for p in products]}


@pytest.mark.parametrize("lines", [1, 5])
def test_order_create_costs_a_fixed_budget_plus_one_stock_update_per_line(auth_client, django_assert_num_queries,
                                                                           lines):
    store, products = _store(lines)
    client = auth_client(CustomerFactory())
    with django_assert_num_queries(10 + (lines - 1)):
        response = client.post("/api/orders/orders/", _body(store, products), format="json")
    assert response.status_code == 201, response.content
    assert len(response.json()["items"]) == lines


def test_a_customer_holding_reservations_costs_no_more_queries(auth_client, django_assert_num_queries):
    """Its unpaid orders, their checkouts and the units they hold are one read, held or not."""
    store, products = _store(1)
    customer = CustomerFactory()
    client = auth_client(customer)
    assert client.post("/api/orders/orders/", _body(store, products), format="json").status_code == 201
    with django_assert_num_queries(10):
        response = client.post("/api/orders/orders/", _body(store, products), format="json")
    assert response.status_code == 201, response.content
    assert Order.objects.filter(customer=customer).count() == 2


@pytest.mark.parametrize("lines", [2, 6])
def test_checkout_of_two_suppliers_costs_a_fixed_budget_per_parcel(auth_client, django_assert_num_queries, lines):
    store, products = _store(lines, n_suppliers=2)
    client = auth_client(CustomerFactory())
    # The order-create budget (10), plus the checkout row (1) and the second parcel's order, items and history
    # (3); the response is built from the rows just written (no read-back).
    with django_assert_num_queries(10 + 1 + 3 + (lines - 1)):
        response = client.post("/api/orders/checkouts/", _body(store, products), format="json")
    assert response.status_code == 201, response.content
    assert [len(o["items"]) for o in response.json()["orders"]] == [lines // 2, lines // 2]


def _created_and_detail(auth_client, route: str, lines: int, *, n_suppliers: int, notes: str) -> dict:
    """POST a cart of ``lines`` (quantity 2) to ``route``; assert the 201 body equals the detail route's fresh
    read of what was created, and return it."""
    store, products = _store(lines, n_suppliers=n_suppliers)
    client = auth_client(CustomerFactory())
    created = client.post(route, {**_body(store, products, quantity=2), "notes": notes}, format="json")
    assert created.status_code == 201, created.content
    detail = client.get(f"{route}{created.json()['id']}/")
    assert detail.status_code == 200
    assert created.json() == detail.json()
    return created.json()


@pytest.mark.parametrize("lines", [1, 3])
def test_the_create_response_is_what_the_order_detail_answers(auth_client, lines):
    """Built from the rows just written, the 201 body is field for field the detail route's fresh read."""
    created = _created_and_detail(auth_client, "/api/orders/orders/", lines, n_suppliers=1, notes="Call on arrival")
    assert len(created["items"]) == lines
    assert [h["status"] for h in created["status_history"]] == ["pending"]


@pytest.mark.parametrize("lines", [2, 5])
def test_the_checkout_create_response_is_what_the_checkout_detail_answers(auth_client, lines):
    """Built from the rows just written, the 201 body of a checkout of two suppliers is field for field the
    detail route's fresh read: its orders in supplier order, their items and history."""
    created = _created_and_detail(auth_client, "/api/orders/checkouts/", lines, n_suppliers=2, notes="Gate code 1234")
    assert len(created["orders"]) == 2 and created["status"] == "pending"
    assert sum(len(order["items"]) for order in created["orders"]) == lines


def test_the_rows_attached_to_a_new_order_are_the_related_managers_own_querysets():
    """What the placement leaves in the order's prefetch cache is ``order.items.order_by(*ITEM_ORDERING)`` (and
    the history's), its results filled in: the same SQL, so anything else asked of it reads the right rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.selectors import HISTORY_ORDERING, ITEM_ORDERING
    from orders.services import OrderLine, order_create

    store, products = _store(3)
    order = order_create(customer=CustomerFactory(), entrepreneur_custom_url=store.custom_url,
                         items=[OrderLine(product_id=p.pk, quantity=1) for p in products],
                         shipping_address=dict(VALID_ADDRESS))
    fresh = Order.objects.get(pk=order.pk)
    for name, ordering in (("items", ITEM_ORDERING), ("status_history", HISTORY_ORDERING)):
        attached = order._prefetched_objects_cache[name]
        expected = getattr(fresh, name).order_by(*ordering)
        assert str(attached.query) == str(expected.query)
        with CaptureQueriesContext(connection) as context:
            rows = list(getattr(order, name).all())
        assert context.captured_queries == []  # answered from the rows just written
        assert [row.pk for row in rows] == [row.pk for row in expected]
        assert list(getattr(order, name).filter(pk=rows[0].pk)) == [rows[0]]  # other questions read the table
    assert order.items.count() == 3
