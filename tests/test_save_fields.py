"""``core.models.save_fields`` (issue 17): ``save(update_fields=…)`` of a saved row as one prebuilt UPDATE — the same
SQL and values as Django's, the same refusal when no row was updated; ``save()`` itself where signals listen or a
value is an expression."""
import re
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, connection
from django.db.models import F
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import save_fields
from orders.models import Order
from orders.tests.factories import create_order
from payments.models import Transaction

pytestmark = pytest.mark.django_db


def _captured(action):
    with CaptureQueriesContext(connection) as context:
        action()
    return [query["sql"] for query in context.captured_queries]


def _payment(order):
    return Transaction.objects.create(transaction_id=f"PJ-{order.order_id}-1", order=order, user=order.customer,
                                      amount=order.total_amount, provider="paystack")


def _unstamped(sql):
    return re.sub(r"'?\d{4}-\d\d-\d\d[ T][\d:.]+(\+00:00)?'?(::timestamptz)?", "<now>", sql)


def test_the_same_update_as_save_with_update_fields():
    order = create_order()
    txn = _payment(order)
    twin = Transaction.objects.get(pk=txn.pk)
    for row in (txn, twin):
        row.status = Transaction.Status.COMPLETED
        row.metadata = {"verification": {"amount": 290000, "note": "naïve ₦"}}
        row.provider_reference = "4000123"
    fields = ["metadata", "status", "provider_reference", "updated_at"]  # not in the model's order
    ours = _captured(lambda: save_fields(txn, fields))
    django = _captured(lambda: twin.save(update_fields=fields))
    assert len(ours) == len(django) == 1
    assert _unstamped(ours[0]) == _unstamped(django[0])  # the same statement and values but the time stamps
    assert ours[0] != _unstamped(ours[0])  # (updated_at was written)
    stored = Transaction.objects.get(pk=txn.pk)
    assert stored.metadata == {"verification": {"amount": 290000, "note": "naïve ₦"}}
    assert (stored.status, stored.provider_reference, stored.amount) == ("completed", "4000123", order.total_amount)


def test_auto_now_is_stamped_only_when_listed():
    order = create_order()
    stamped = Order.objects.get(pk=order.pk).updated_at
    order.notes = "ring twice"
    save_fields(order, ["notes"])
    stored = Order.objects.get(pk=order.pk)
    assert (stored.notes, stored.updated_at) == ("ring twice", stamped)
    order.subtotal = D("1000.00")
    save_fields(order, ["subtotal", "updated_at"])
    stored = Order.objects.get(pk=order.pk)
    assert stored.subtotal == D("1000.00") and stored.updated_at > stamped


def test_a_row_that_is_gone_is_refused_as_save_refuses_it():
    from django.db import transaction

    order = create_order()
    txn = _payment(order)
    Transaction.objects.filter(pk=txn.pk).delete()
    txn.status = Transaction.Status.FAILED
    for save in (lambda: save_fields(txn, ["status"]), lambda: txn.save(update_fields=["status"])):
        with transaction.atomic():  # each refusal marks its block for rollback
            with pytest.raises(DatabaseError, match="did not affect any rows"):
                save()


def test_the_sql_text_is_built_once_per_model_and_fields():
    from core.models import _UPDATE_SQL

    order = create_order()
    save_fields(order, ["notes"])
    key = (Order, ("notes",), "default")
    built = _UPDATE_SQL[key]
    save_fields(create_order(), ["notes"])
    assert _UPDATE_SQL[key] is built


def test_signals_and_expressions_go_through_save():
    order = create_order()
    seen = []

    def receiver(sender, instance, update_fields=None, **kwargs):
        seen.append(set(update_fields))

    post_save.connect(receiver, sender=Order, weak=False, dispatch_uid="test_save_fields")
    try:
        order.notes = "signalled"
        save_fields(order, ["notes"])
    finally:
        post_save.disconnect(dispatch_uid="test_save_fields", sender=Order)
    assert seen == [{"notes"}]
    order.shipping_fee = F("shipping_fee") + D("100.00")
    before = Order.objects.get(pk=order.pk).shipping_fee
    save_fields(order, ["shipping_fee"])
    assert Order.objects.get(pk=order.pk).shipping_fee == before + D("100.00")


def test_refused():
    order = create_order()
    with pytest.raises(ValueError, match="own non-primary-key, non-generated columns"):
        save_fields(order, ["id"])
    with pytest.raises(ValueError, match="own non-primary-key, non-generated columns"):
        save_fields(order, ["items"])  # a reverse relation, not a column
    with pytest.raises(ValueError, match="not saved yet"):
        save_fields(Order(order_id="NEW", created_at=timezone.now()), ["notes"])


def test_nothing_to_save_is_no_query_and_a_models_own_save_is_kept(monkeypatch):
    order = create_order()
    with CaptureQueriesContext(connection) as context:
        save_fields(order, [])
    assert context.captured_queries == []
    calls = []
    original = Order.save

    def own_save(self, *args, **kwargs):
        calls.append(kwargs.get("update_fields"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Order, "save", own_save)
    order.notes = "through save()"
    save_fields(order, ["notes"])
    assert calls == [["notes"]] and Order.objects.get(pk=order.pk).notes == "through save()"


def test_a_refused_update_marks_the_transaction_for_rollback_as_save_does():
    from django.db import transaction

    order = create_order()
    txn = _payment(order)
    Transaction.objects.filter(pk=txn.pk).delete()
    with transaction.atomic():
        with pytest.raises(DatabaseError):
            save_fields(txn, ["status"])
        assert transaction.get_connection().needs_rollback  # rolled back to the block's savepoint on exit
    assert not transaction.get_connection().needs_rollback
