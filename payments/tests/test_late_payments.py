"""SPEC §6.9: a payment confirmed for an order that is no longer payable (expired, cancelled, already paid by
another attempt) is refunded automatically through the gateway, both movements are in the ledger, the
customer is told and admins see it flagged."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from orders.models import Order
from orders.services import order_release_expired
from payments.ledger import ledger_audit
from payments.models import JournalEntry, LedgerEntry, Transaction
from payments.services import payment_confirm

from .factories import PAYSTACK, paystack_charge_success, paystack_sign, paystack_verify_body

pytestmark = pytest.mark.django_db


def _attempt(order, reference, txn_id):
    return Transaction.objects.create(transaction_id=reference, order=order, user=order.customer,
                                      amount=order.total_amount, provider="paystack"), txn_id


def _refund_mock(rsps, refund_id=3018299, status="processed"):
    return rsps.post(f"{PAYSTACK}/refund", json={
        "status": True, "message": "Refund has been queued for processing",
        "data": {"transaction": {"id": 1, "reference": "x", "amount": 290000}, "currency": "NGN",
                 "amount": 290000, "status": status, "id": refund_id}})


def test_payment_confirmed_after_expiry_is_refunded_automatically(order, api_client, rsps,
                                                                 django_capture_on_commit_callbacks):
    txn, gateway_id = _attempt(order, f"PJ-{order.order_id}-LATE", 1004723697)
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))
    assert order_release_expired() == 1  # the reservation ran out: cancelled, stock back

    rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
             json=paystack_verify_body(txn.transaction_id, Decimal("2900.00"), txn_id=gateway_id))
    refund_call = _refund_mock(rsps)
    body = paystack_charge_success(txn.transaction_id, Decimal("2900.00"), txn_id=gateway_id)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/payments/webhooks/paystack/", data=body, content_type="application/json",
                                   HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))
    assert response.status_code == 200

    order.refresh_from_db()
    txn.refresh_from_db()
    assert (order.status, order.payment_status) == ("cancelled", "pending")  # never becomes paid
    assert txn.flagged and "not awaiting payment" in txn.flag_reason and "refunded automatically" in txn.flag_reason
    assert txn.status == "reversed"  # the refund is done: money in, money out
    refund = Transaction.objects.get(transaction_type="refund")
    assert (refund.status, refund.amount, refund.metadata["reason"]) == ("completed", Decimal("2900.00"), "late_payment")
    assert refund_call.call_count == 1
    journals = {j.entry_type: j for j in JournalEntry.objects.filter(order=order)}
    assert set(journals) == {"late_payment", "refund"}
    lines = {(e.journal.entry_type, e.account, e.amount) for e in LedgerEntry.objects.select_related("journal")}
    assert lines == {("late_payment", "gateway_clearing", Decimal("-2900.00")),
                     ("late_payment", "refunds_due", Decimal("2900.00")),
                     ("refund", "refunds_due", Decimal("-2900.00")),
                     ("refund", "gateway_clearing", Decimal("2900.00"))}
    assert ledger_audit() == []
    assert [m.to for m in mail.outbox if "refunded" in m.subject] == [[order.customer.email]]

    # Redelivered: nothing moves twice.
    api_client.post("/api/payments/webhooks/paystack/", data=body, content_type="application/json",
                    HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))
    payment_confirm(reference=txn.transaction_id)
    assert Transaction.objects.filter(transaction_type="refund").count() == 1
    assert refund_call.call_count == 1


def test_second_payment_for_an_already_paid_order_is_refunded(order, rsps, django_capture_on_commit_callbacks):
    first, first_id = _attempt(order, f"PJ-{order.order_id}-A", 1001)
    second, second_id = _attempt(order, f"PJ-{order.order_id}-B", 1002)
    for txn, gateway_id in ((first, first_id), (second, second_id)):
        rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
                 json=paystack_verify_body(txn.transaction_id, Decimal("2900.00"), txn_id=gateway_id))
    _refund_mock(rsps, status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        payment_confirm(reference=first.transaction_id)
        payment_confirm(reference=second.transaction_id)
    order.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert order.payment_status == "paid"
    assert (first.status, first.flagged) == ("completed", False)
    assert (second.status, second.flagged) == ("completed", True)
    refund = Transaction.objects.get(transaction_type="refund")
    assert (refund.status, refund.metadata["payment_reference"]) == ("pending", second.transaction_id)
    assert JournalEntry.objects.filter(entry_type="payment", order=order).count() == 1
    assert ledger_audit() == []
