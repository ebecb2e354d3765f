"""Unpaid orders past reserved_until are cancelled and restocked (task + management command)."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from orders import services, tasks
from orders.models import Order, OrderStatus

from .factories import create_order, make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return make_store(stock_quantity=10)


def expire(order, minutes=1):
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(minutes=minutes))


def stock(store):
    store.product.refresh_from_db()
    return store.product.stock_quantity


def test_task_cancels_expired_unpaid_orders_and_restocks(store):
    expired = create_order(store=store, quantity=2)
    fresh = create_order(store=store, quantity=3)
    paid = create_order(store=store, quantity=1, status="paid")
    expire(expired)
    expire(paid)
    assert stock(store) == 4
    assert tasks.release_expired_orders.delay().get() == 1
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {expired.pk: "cancelled", fresh.pk: "pending", paid.pk: "paid"}
    assert stock(store) == 6
    last = Order.objects.get(pk=expired.pk).status_history.last()
    assert last.created_by is None and last.notes == "Reservation expired: not paid within 30 minutes."


def test_second_run_is_a_no_op(store):
    order = create_order(store=store, quantity=2)
    expire(order)
    assert services.order_release_expired() == 1
    assert services.order_release_expired() == 0
    assert stock(store) == 10
    assert Order.objects.get(pk=order.pk).status_history.filter(status="cancelled").count() == 1


def test_customer_cancel_first_then_expiry_restocks_once(store):
    order = create_order(store=store, quantity=2)
    expire(order)
    services.order_transition(order_id=order.pk, to_status="cancelled", actor=order.customer)
    assert services.order_release_expired() == 0
    assert stock(store) == 10


def test_stale_candidate_list_is_rechecked_under_the_lock(store, monkeypatch):
    """A run that listed orders which were paid or cancelled before it took their lock leaves them alone."""
    paid = create_order(store=store, quantity=2)
    cancelled = create_order(store=store, quantity=3)
    expire(paid)
    expire(cancelled)
    monkeypatch.setattr(services.expiry, "_expired_order_groups", lambda **kw: [(None, [paid.pk]), (None, [cancelled.pk])])
    services.order_mark_paid(order_id=paid.pk)
    services.order_transition(order_id=cancelled.pk, to_status="cancelled", actor=cancelled.customer)
    assert stock(store) == 8
    assert services.order_release_expired() == 0
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.PAID
    assert Order.objects.get(pk=cancelled.pk).status_history.filter(status="cancelled").count() == 1
    assert stock(store) == 8


def test_reservation_extended_meanwhile_is_left_alone(store, monkeypatch):
    order = create_order(store=store, quantity=2)
    monkeypatch.setattr(services.expiry, "_expired_order_groups", lambda **kw: [(None, [order.pk])])  # listed, but not expired
    assert services.order_release_expired() == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING


def test_management_command(store):
    order = create_order(store=store, quantity=1)
    expire(order)
    out = StringIO()
    call_command("release_expired_orders", stdout=out)
    assert out.getvalue().strip() == "Released 1 expired order(s)."
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


def test_limit_is_respected(store):
    orders = [create_order(store=store) for _ in range(3)]
    for order in orders:
        expire(order)
    assert services.order_release_expired(limit=2) == 2
    assert Order.objects.filter(status="pending").count() == 1


def test_task_is_registered_under_the_beat_name():
    from django.conf import settings

    assert tasks.release_expired_orders.name == "orders.tasks.release_expired_orders"
    assert settings.CELERY_BEAT_SCHEDULE["release-expired-orders"]["task"] == tasks.release_expired_orders.name
