"""``core.models.insert_rows`` (issue 17): new rows of one model in one ``INSERT … RETURNING``, each instance saved
as ``bulk_create`` leaves it; refused for what it cannot insert."""
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import insert_rows
from orders.models import OrderItem, OrderStatusHistory
from orders.tests.factories import create_order
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _fields(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
            if f.attname not in ("id", "created_at")}


def test_rows_are_inserted_in_one_statement_in_order_and_saved_like_bulk_create():
    order = create_order()
    customer = CustomerFactory()
    rows = [OrderStatusHistory(order=order, status="pending", notes=f"n{n}", created_by=customer) for n in range(3)]
    with CaptureQueriesContext(connection) as context:
        assert insert_rows(rows) is rows
    assert len(context.captured_queries) == 1
    assert all(row.pk and not row._state.adding and row._state.db == "default" for row in rows)
    assert rows[0].pk < rows[1].pk < rows[2].pk
    stored = {row.pk: row for row in OrderStatusHistory.objects.filter(pk__in=[r.pk for r in rows])}
    for row in rows:
        assert _fields(stored[row.pk]) == _fields(row)
        assert stored[row.pk].created_at == row.created_at is not None  # auto_now_add stamped, as save() does
    twins = OrderStatusHistory.objects.bulk_create(
        [OrderStatusHistory(order=order, status="pending", notes=f"n{n}", created_by=customer) for n in range(3)])
    assert [_fields(a) for a in rows] == [_fields(b) for b in twins]


def test_money_and_nullable_foreign_keys_round_trip():
    order = create_order()
    item = order.items.first()
    (copy,) = insert_rows([OrderItem(order=order, product_id=item.product_id, variation=None, product_name="Copy",
                                     product_sku="SKU-1", quantity=2, unit_price=D("1200.50"), base_price=D("1000.00"),
                                     markup_amount=D("401.00"), commission_amount=D("60.03"),
                                     total_price=D("2401.00"))])
    stored = OrderItem.objects.get(pk=copy.pk)
    assert (stored.unit_price, stored.commission_amount, stored.variation_id) == (D("1200.50"), D("60.03"), None)


def test_nothing_to_insert_is_no_query():
    with CaptureQueriesContext(connection) as context:
        assert insert_rows([]) == []
    assert context.captured_queries == []


def test_refused():
    order = create_order()
    saved = order.status_history.first()
    with pytest.raises(ValueError, match="already saved"):
        insert_rows([saved])
    with pytest.raises(TypeError, match="one model"):
        insert_rows([OrderStatusHistory(order=order, status="pending"), OrderItem(order=order)])
    unsaved_order = type(order)()
    with pytest.raises(ValueError, match="unsaved related object"):
        insert_rows([OrderStatusHistory(order=unsaved_order, status="pending")])


def test_insert_unless_exists_on_a_unique_constraint_of_several_fields():
    """``(provider, event_key)`` is one constraint: the same pair is skipped without an error (the surrounding
    transaction goes on, no savepoint needed), the same key under another provider is inserted."""
    from django.db import transaction

    from core.models import insert_unless_exists
    from payments.models import WebhookEvent

    def event(provider):
        return WebhookEvent(provider=provider, event_key="charge.success:1", event_type="charge.success",
                            reference="PAY-1", payload={"event": "charge.success"})

    with transaction.atomic():
        first = event("paystack")
        with CaptureQueriesContext(connection) as context:
            assert insert_unless_exists(first, unique_field=("provider", "event_key")) is True
            again = event("paystack")
            assert insert_unless_exists(again, unique_field=("provider", "event_key")) is False
        assert len(context.captured_queries) == 2  # no savepoints
        assert first.pk and again.pk is None and again._state.adding
        assert insert_unless_exists(event("flutterwave"), unique_field=("provider", "event_key")) is True
        assert WebhookEvent.objects.filter(event_key="charge.success:1").count() == 2
