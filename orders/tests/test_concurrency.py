"""Real races on PostgreSQL: threads with their own connections hit the same rows at the same moment.

Run with e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/payjaro_orders (skipped on SQLite).
"""
import threading
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from core.errors import ApplicationError, Conflict
from orders import services
from orders.models import Order, OrderItem, OrderStatusHistory
from tests.factories import CustomerFactory

from .factories import VALID_ADDRESS, add_variation, create_order, make_store

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
URL = "/api/orders/orders/"


def run_concurrently(functions):
    """Start every function at the same instant on its own thread (and DB connection); return results."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def worker(index, fn):
        try:
            barrier.wait(timeout=30)
            results[index] = fn()
        except ApplicationError as exc:
            results[index] = exc
        except Exception as exc:  # surfaced by the assertions below, never swallowed
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def buyer(store, item):
    client = client_for(CustomerFactory())
    body = {"entrepreneur_custom_url": store.custom_url, "items": [item], "shipping_address": dict(VALID_ADDRESS)}
    return lambda: client.post(URL, body, format="json")


def assert_clean_outcome(responses, *, winners):
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * winners + [409] * (len(responses) - winners), codes
    for response in responses:
        if response.status_code == 409:
            assert response.data["error"].startswith("Not enough stock for ")
            assert set(response.data["details"]) == {"product_id", "variation_id", "requested", "available"}


def test_thirty_buyers_for_the_last_ten_units_of_a_product():
    store = make_store(stock_quantity=10)
    responses = run_concurrently([buyer(store, {"product_id": store.product.pk, "quantity": 1}) for _ in range(30)])
    assert_clean_outcome(responses, winners=10)
    store.product.refresh_from_db()
    assert store.product.stock_quantity == 0
    assert Order.objects.count() == 10
    assert sum(OrderItem.objects.values_list("quantity", flat=True)) == 10
    assert len({r.data["order_id"] for r in responses if r.status_code == 201}) == 10


def test_thirty_buyers_for_the_last_ten_units_of_a_variation():
    store = make_store(stock_quantity=500)
    variation = add_variation(store, price_modifier=D("100.00"), stock_quantity=10)
    item = {"product_id": store.product.pk, "variation_id": variation.pk, "quantity": 1}
    responses = run_concurrently([buyer(store, item) for _ in range(30)])
    assert_clean_outcome(responses, winners=10)
    variation.refresh_from_db()
    store.product.refresh_from_db()
    assert variation.stock_quantity == 0
    assert store.product.stock_quantity == 500
    assert Order.objects.count() == 10
    assert {r.data["total_amount"] for r in responses if r.status_code == 201} == {"1800.00"}  # 1300 + 500


def test_uneven_quantities_never_oversell():
    store = make_store(stock_quantity=10)
    responses = run_concurrently([buyer(store, {"product_id": store.product.pk, "quantity": 1 + i % 3})
                                  for i in range(30)])
    assert {r.status_code for r in responses} <= {201, 409}
    sold = sum(OrderItem.objects.values_list("quantity", flat=True))
    store.product.refresh_from_db()
    assert store.product.stock_quantity >= 0
    assert sold + store.product.stock_quantity == 10
    assert sold == sum(r.data["items"][0]["quantity"] for r in responses if r.status_code == 201)


def test_opposite_item_orders_do_not_deadlock():
    store = make_store(products=2, stock_quantity=100)
    a, b = (listing.product.pk for listing in store.listings)
    calls = []
    for i in range(20):
        first, second = (a, b) if i % 2 else (b, a)
        client = client_for(CustomerFactory())
        body = {"entrepreneur_custom_url": store.custom_url, "shipping_address": dict(VALID_ADDRESS),
                "items": [{"product_id": first, "quantity": 2}, {"product_id": second, "quantity": 3}]}
        calls.append(lambda client=client, body=body: client.post(URL, body, format="json"))
    responses = run_concurrently(calls)
    assert [r.status_code for r in responses] == [201] * 20
    for listing in store.listings:
        listing.product.refresh_from_db()
    assert [listing.product.stock_quantity for listing in store.listings] == [50, 50]  # 10 × 2 + 10 × 3 each


def _expire(order):
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))


def test_customer_cancel_racing_expiry_restocks_once():
    store = make_store(stock_quantity=100)
    orders = [create_order(store=store, quantity=3) for _ in range(8)]
    store.product.refresh_from_db()
    assert store.product.stock_quantity == 76

    for order in orders:  # one expired order per round, so each round races over exactly that order
        _expire(order)
        customer_client = client_for(order.customer)
        results = run_concurrently([
            lambda order=order, c=customer_client: c.post(f"{URL}{order.pk}/update_status/", {"status": "cancelled"},
                                                          format="json"),
            services.order_release_expired,
            services.order_release_expired,
        ])
        response, *released = results
        assert response.status_code in (200, 409), response.data
        assert not any(isinstance(r, Exception) for r in released), released
        # exactly one of the three cancelled it
        assert (response.status_code == 200) + sum(released) == 1
        if response.status_code == 409:
            assert response.data["details"] == {"current_status": "cancelled", "allowed": []}
        assert OrderStatusHistory.objects.filter(order=order, status="cancelled").count() == 1

    store.product.refresh_from_db()
    assert store.product.stock_quantity == 100
    assert set(Order.objects.values_list("status", flat=True)) == {"cancelled"}


def test_payment_racing_expiry_is_either_paid_or_restocked():
    store = make_store(stock_quantity=100)
    orders = [create_order(store=store, quantity=2) for _ in range(8)]
    for order in orders:
        _expire(order)
        paid, released = run_concurrently([lambda order=order: services.order_mark_paid(order_id=order.pk),
                                           services.order_release_expired])
        order.refresh_from_db()
        if order.status == "paid":
            assert isinstance(paid, Order) and released == 0
            assert order.stock_released_at is None
        else:
            assert order.status == "cancelled" and released == 1
            assert isinstance(paid, Conflict)
    store.product.refresh_from_db()
    paid_units = 2 * Order.objects.filter(status="paid").count()
    assert store.product.stock_quantity == 100 - paid_units


def test_twenty_checkouts_racing_for_the_last_units_of_two_suppliers_products():
    """Each checkout takes 1 unit of supplier A's product and 1 of supplier B's: B has 6 left, A 10.
    Exactly 6 checkouts win, each with both its orders; the losers leave nothing behind, A is not oversold
    by the losers' rolled-back decrements, and lines listed in either order never deadlock."""
    from orders.models import Checkout
    from products.models import Product

    a = make_store(stock_quantity=10)
    b = make_store(entrepreneur=a.entrepreneur, stock_quantity=6)
    lines = [{"product_id": a.product.pk, "quantity": 1}, {"product_id": b.product.pk, "quantity": 1}]

    def checkout_buyer(index):
        client = client_for(CustomerFactory())
        body = {"entrepreneur_custom_url": a.custom_url, "items": lines if index % 2 else lines[::-1],
                "shipping_address": dict(VALID_ADDRESS)}
        return lambda: client.post("/api/orders/checkouts/", body, format="json")

    responses = run_concurrently([checkout_buyer(i) for i in range(20)])
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 6 + [409] * 14, codes
    for response in responses:
        if response.status_code == 409:
            assert response.data["details"]["product_id"] == b.product.pk
    assert Product.objects.get(pk=a.product.pk).stock_quantity == 4
    assert Product.objects.get(pk=b.product.pk).stock_quantity == 0
    assert Checkout.objects.count() == 6
    assert Order.objects.count() == 12 and not Order.objects.filter(checkout__isnull=True).exists()
    for checkout in Checkout.objects.prefetch_related("orders__items"):
        assert sorted(o.supplier_id for o in checkout.orders.all()) == sorted([a.supplier.pk, b.supplier.pk])
        assert checkout.total_amount == sum(o.total_amount for o in checkout.orders.all())
    assert sum(OrderItem.objects.values_list("quantity", flat=True)) == 12


def test_checkout_expiry_and_a_placement_of_the_same_products_never_deadlock():
    """A checkout's orders expire together: their units go back with the products locked in the global order
    (products by pk), not order by order. Here the checkout's first order (supplier A, the lower order pk) holds the
    higher-pk product, and a placement takes both products in product-pk order while the expiry is between its two
    stock rows: order by order, the two would each hold the row the other wants (PostgreSQL aborts one: a 500
    for the shopper, or the expiry run stopped)."""
    from products import stock
    from products.models import Product
    from products.stock import StockLine, stock_reserve
    from tests.factories import ProductFactory, StoreProductFactory

    a = make_store(stock_quantity=10)
    b = make_store(entrepreneur=a.entrepreneur, stock_quantity=10)
    high = ProductFactory(supplier=a.supplier, base_price=D("1000.00"), stock_quantity=10)  # A's, created last
    StoreProductFactory(storefront=a.storefront, product=high, selling_price=D("1200.00"))
    low = b.product
    assert a.supplier.pk < b.supplier.pk and high.pk > low.pk
    checkout = services.checkout_create(
        customer=CustomerFactory(), entrepreneur_custom_url=a.custom_url, shipping_address=dict(VALID_ADDRESS),
        items=[services.OrderLine(product_id=high.pk, quantity=1), services.OrderLine(product_id=low.pk, quantity=1)])
    first = Order.objects.filter(checkout=checkout).order_by("pk").first()
    assert first.supplier_id == a.supplier.pk  # order by order, the expiry would put back `high` first
    Order.objects.filter(checkout=checkout).update(reserved_until=timezone.now() - timedelta(minutes=1))

    expiry_holds_a_row, placement_started = threading.Event(), threading.Event()
    expiry_thread = []
    real_give = dict(stock._GIVE)
    given = []

    def pausing_give(model):
        def give(**kwargs):
            result = real_give[model](**kwargs)
            if threading.current_thread() in expiry_thread and not given:
                given.append(kwargs["pk"])
                expiry_holds_a_row.set()
                placement_started.wait(10)
                threading.Event().wait(0.5)  # the placement takes (or waits for) its first row meanwhile
            return result
        return give

    def expiry():
        expiry_thread.append(threading.current_thread())
        return services.order_release_expired()

    def placement():  # any other cart of both products: stock_reserve takes them in product-pk order
        from django.db import transaction

        expiry_holds_a_row.wait(10)
        with transaction.atomic():
            placement_started.set()
            stock_reserve([StockLine(high.pk, None, 1), StockLine(low.pk, None, 1)])
        return "reserved"

    for model in list(stock._GIVE):
        stock._GIVE[model] = pausing_give(model)
    try:
        results = run_concurrently([expiry, placement])
    finally:
        stock._GIVE.update(real_give)
    assert results == [2, "reserved"], results
    assert given == [low.pk]  # the checkout's units went back lowest product pk first
    assert set(Order.objects.filter(checkout=checkout).values_list("status", flat=True)) == {"cancelled"}
    assert dict(Product.objects.filter(pk__in=[low.pk, high.pk]).values_list("pk", "stock_quantity")) == {
        low.pk: 9, high.pk: 9}  # 10 − 1 (checkout) + 1 (expired) − 1 (the placement)
