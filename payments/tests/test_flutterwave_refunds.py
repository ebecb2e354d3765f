"""SPEC §6.9 for Flutterwave: a refund is pending until Flutterwave says it is completed — through the
``refund.completed`` webhook (re-checked with ``GET /refunds/:id``) or the periodic status check — and only
then booked; a failed refund is flagged and books nothing. Shapes follow Flutterwave's v3 documentation
(``POST /transactions/:id/refund``, ``GET /refunds/:id``) and the v3 ``refund.completed`` webhook body."""
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from orders.services import order_transition
from payments.ledger import ledger_audit
from payments.models import JournalEntry, Transaction
from payments.services import payment_confirm, payments_reconcile, refund_retry

from .factories import FLUTTERWAVE, flutterwave_signature, flutterwave_verify_body, sent_an_hour_ago

pytestmark = pytest.mark.django_db

CHARGE_ID = 288200108
REFUND_ID = 75923


def refund_data(status: str, *, refund_id=REFUND_ID, tx_id=CHARGE_ID, amount=2900):
    """``data`` of POST /transactions/:id/refund and GET /refunds/:id (documented fields)."""
    return {"id": refund_id, "account_id": 73362, "tx_id": tx_id, "flw_ref": "URF_1577867664541_3572735",
            "wallet_id": 74639, "amount_refunded": amount, "status": status, "destination": "payment_source",
            "meta": {"source": "availablebalance"}, "created_at": "2026-12-02T09:18:25.000Z"}


def refund_answer(status: str, **kwargs):
    return {"status": "success", "message": "Transaction refund initiated", "data": refund_data(status, **kwargs)}


def refund_webhook(status: str, *, refund_id=REFUND_ID, tx_id=CHARGE_ID, amount=2900):
    """The v3 ``refund.completed`` webhook body (its fields are capitalised unlike the API's)."""
    body = json.dumps({"event": "refund.completed", "data": {
        "id": refund_id, "AmountRefunded": amount, "status": status, "FlwRef": "URF_1577867664541_3572735",
        "destination": "payment_source", "comments": "Order cancelled", "settlement_id": "NEW", "meta": "{}",
        "createdAt": "2026-12-02T09:18:25.000Z", "updatedAt": "2026-12-02T09:20:00.000Z", "walletId": 74639,
        "AccountId": 73362, "TransactionId": tx_id}}).encode()
    return Client().post("/api/payments/webhooks/flutterwave/", data=body, content_type="application/json",
                         HTTP_VERIF_HASH="flw-test-hash")


@pytest.fixture
def cancelled_flutterwave_order(order, admin_user, rsps, django_capture_on_commit_callbacks):
    """A Flutterwave-paid order; ``cancel()`` cancels it as an admin and returns the refund it scheduled."""
    txn = Transaction.objects.create(transaction_id=f"PJ-{order.order_id}-FLW", order=order, user=order.customer,
                                     amount=order.total_amount, provider="flutterwave")
    rsps.get(f"{FLUTTERWAVE}/transactions/verify_by_reference",
             json=flutterwave_verify_body(txn.transaction_id, Decimal("2900.00"), txn_id=CHARGE_ID))
    assert payment_confirm(reference=txn.transaction_id).status == "completed"

    def cancel():
        with django_capture_on_commit_callbacks(execute=True):
            order_transition(order_id=order.pk, to_status="cancelled", actor=admin_user)
        return Transaction.objects.get(transaction_type="refund")

    return order, txn, cancel


def refund_journals() -> int:
    return JournalEntry.objects.filter(entry_type="refund").count()


def assert_not_refunded(order):
    order.refresh_from_db()
    assert order.payment_status == "paid"
    assert refund_journals() == 0
    assert ledger_audit() == []


def test_pending_refund_completed_by_the_webhook_is_booked_once(cancelled_flutterwave_order, rsps):
    order, txn, cancel = cancelled_flutterwave_order
    post = rsps.post(f"{FLUTTERWAVE}/transactions/{CHARGE_ID}/refund", json=refund_answer("pending"))
    refund = cancel()
    assert json.loads(post.calls[0].request.body) == {"amount": "2900.00"}
    assert (refund.status, refund.provider_reference, refund.amount) == ("pending", str(REFUND_ID), Decimal("2900.00"))
    assert_not_refunded(order)

    # The webhook body says "completed", but we ask Flutterwave: still pending → nothing booked yet.
    status_check = rsps.get(f"{FLUTTERWAVE}/refunds/{REFUND_ID}", json=refund_answer("pending"))
    assert refund_webhook("completed").json()["result"] == "refund_pending"
    assert status_check.call_count == 1
    assert_not_refunded(order)

    # Flutterwave now says completed: booked, payment reversed, order refunded with history.
    rsps.replace("GET", f"{FLUTTERWAVE}/refunds/{REFUND_ID}", json=refund_answer("completed"))
    assert refund_webhook("completed").json()["result"] == "duplicate"  # that event was applied already
    payments_reconcile(now=timezone.now() + timedelta(hours=1))  # the periodic status check settles it
    refund.refresh_from_db()
    txn.refresh_from_db()
    order.refresh_from_db()
    assert (refund.status, refund.flagged) == ("completed", False)
    assert txn.status == "reversed"
    assert order.payment_status == "refunded"
    assert order.status_history.filter(notes__contains=refund.transaction_id).exists()
    assert refund_journals() == 1
    assert ledger_audit() == []

    # Later deliveries and reconciliation runs book nothing more.
    refund_webhook("completed")
    payments_reconcile(now=timezone.now() + timedelta(hours=2))
    assert refund_journals() == 1
    assert post.call_count == 1  # one refund asked of Flutterwave, ever


def test_completed_webhook_settles_a_refund_whose_id_we_never_got(cancelled_flutterwave_order, rsps):
    """The refund call timed out: the refund has no Flutterwave id. The webhook names the charge
    (``TransactionId``): that refund is found, checked with GET /refunds/:id and booked once."""
    order, txn, cancel = cancelled_flutterwave_order
    rsps.post(f"{FLUTTERWAVE}/transactions/{CHARGE_ID}/refund", status=504, json={})
    refund = cancel()
    assert (refund.status, refund.provider_reference) == ("pending", "")
    rsps.get(f"{FLUTTERWAVE}/refunds/{REFUND_ID}", json=refund_answer("completed"))
    assert refund_webhook("completed").json()["result"] == "refund_completed"
    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.status, refund.provider_reference) == ("completed", str(REFUND_ID))
    assert order.payment_status == "refunded"
    assert refund_journals() == 1
    assert ledger_audit() == []


def test_a_refund_event_of_another_amount_is_not_taken_for_the_pending_refund(cancelled_flutterwave_order, rsps):
    """The event names the charge but a refund of ₦1,000 (another partial refund of it): not ours (₦2,900)."""
    order, txn, cancel = cancelled_flutterwave_order
    rsps.post(f"{FLUTTERWAVE}/transactions/{CHARGE_ID}/refund", status=504, json={})
    refund = cancel()
    fetch = rsps.get(f"{FLUTTERWAVE}/refunds/4444", json=refund_answer("completed", refund_id=4444, amount=1000))
    assert refund_webhook("completed", refund_id=4444, amount=1000).json()["result"] == "unknown_refund"
    assert fetch.call_count == 0
    refund.refresh_from_db()
    assert (refund.status, refund.provider_reference) == ("pending", "")
    assert refund_journals() == 0


def test_periodic_status_check_completes_a_pending_refund_once(cancelled_flutterwave_order, rsps):
    order, txn, cancel = cancelled_flutterwave_order
    rsps.post(f"{FLUTTERWAVE}/transactions/{CHARGE_ID}/refund", json=refund_answer("pending"))
    refund = cancel()
    rsps.get(f"{FLUTTERWAVE}/refunds/{REFUND_ID}", json=refund_answer("pending"))
    later = timezone.now() + timedelta(hours=1)
    assert payments_reconcile(now=later)["refunds"] == 1
    assert_not_refunded(order)

    rsps.replace("GET", f"{FLUTTERWAVE}/refunds/{REFUND_ID}", json=refund_answer("completed"))
    payments_reconcile(now=later)
    payments_reconcile(now=later)  # the refund is final now: not checked again
    assert [c.request.url for c in rsps.calls].count(f"{FLUTTERWAVE}/refunds/{REFUND_ID}") == 2
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == "completed" and order.payment_status == "refunded"
    assert refund_journals() == 1
    assert ledger_audit() == []


def test_failed_refund_is_flagged_and_books_nothing(cancelled_flutterwave_order, rsps):
    order, txn, cancel = cancelled_flutterwave_order
    rsps.post(f"{FLUTTERWAVE}/transactions/{CHARGE_ID}/refund", json=refund_answer("pending"))
    refund = cancel()
    rsps.get(f"{FLUTTERWAVE}/refunds/{REFUND_ID}", json=refund_answer("failed"))
    assert refund_webhook("failed").json()["result"] == "refund_failed"
    refund.refresh_from_db()
    txn.refresh_from_db()
    assert (refund.status, refund.flagged) == ("failed", True) and "failed" in refund.flag_reason
    assert txn.status == "completed"
    assert_not_refunded(order)
    payments_reconcile(now=timezone.now() + timedelta(hours=1))  # a failed refund is not re-checked or re-sent
    assert_not_refunded(order)


def test_retry_never_adopts_a_refund_of_another_charge(cancelled_flutterwave_order, rsps, admin_user):
    """GET /refunds may answer refunds of other charges: the retry keeps only this charge's (``tx_id``), so
    another customer's completed refund is never booked as ours; one new refund is asked for."""
    order, txn, cancel = cancelled_flutterwave_order
    rsps.post(f"{FLUTTERWAVE}/transactions/{CHARGE_ID}/refund", status=400,
              json={"status": "error", "message": "Insufficient balance", "data": None})
    refund = cancel()
    assert (refund.status, refund.flagged) == ("failed", True)
    rsps.get(f"{FLUTTERWAVE}/refunds", json={"status": "success", "message": "Refunds fetched", "data": [
        refund_data("completed", refund_id=1111, tx_id=999999)]})
    rsps.replace("POST", f"{FLUTTERWAVE}/transactions/{CHARGE_ID}/refund", json=refund_answer("completed",
                                                                                            refund_id=2222))
    refund = refund_retry(refund_id=refund.pk, admin=admin_user)
    order.refresh_from_db()
    assert (refund.status, refund.provider_reference) == ("completed", "2222")
    assert order.payment_status == "refunded"
    assert refund_journals() == 1
    assert ledger_audit() == []


def test_refund_webhook_needs_the_secret_hash_and_unknown_refunds_are_acknowledged(db):
    body = json.dumps({"event": "refund.completed", "data": {"id": 5, "TransactionId": 6, "status": "completed"}})
    client = Client()
    assert client.post("/api/payments/webhooks/flutterwave/", data=body, content_type="application/json",
                       HTTP_VERIF_HASH="wrong").status_code == 401
    signed = client.post("/api/payments/webhooks/flutterwave/", data=body, content_type="application/json",
                         HTTP_FLUTTERWAVE_SIGNATURE=flutterwave_signature(body.encode()))
    assert signed.status_code == 200 and signed.json()["result"] == "unknown_refund"


def test_after_an_inconclusive_refund_call_the_next_run_adopts_what_flutterwave_holds(cancelled_flutterwave_order, rsps):
    """The refund call timed out but Flutterwave did create the refund: the next status run finds it in
    GET /refunds (this charge only) and adopts it — it never asks for a second refund."""
    order, txn, cancel = cancelled_flutterwave_order
    post = rsps.post(f"{FLUTTERWAVE}/transactions/{CHARGE_ID}/refund", status=504, json={})
    refund = cancel()
    assert (refund.status, refund.provider_reference) == ("pending", "")
    listing = rsps.get(f"{FLUTTERWAVE}/refunds", json={"status": "success", "message": "Refunds fetched", "data": [
        refund_data("completed", refund_id=1111, tx_id=999999), refund_data("pending")]})
    later = timezone.now() + timedelta(hours=1)
    payments_reconcile(now=later)
    assert listing.calls[0].request.params == {"id": str(CHARGE_ID)}
    refund.refresh_from_db()
    assert (refund.status, refund.provider_reference) == ("pending", str(REFUND_ID))
    rsps.get(f"{FLUTTERWAVE}/refunds/{REFUND_ID}", json=refund_answer("completed"))
    payments_reconcile(now=later)
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == "completed" and order.payment_status == "refunded"
    assert post.call_count == 1
    assert refund_journals() == 1
    assert ledger_audit() == []


def test_after_an_inconclusive_call_with_nothing_held_the_refund_is_asked_for_again(cancelled_flutterwave_order,
                                                                                      rsps):
    order, txn, cancel = cancelled_flutterwave_order
    rsps.post(f"{FLUTTERWAVE}/transactions/{CHARGE_ID}/refund", status=504, json={})
    cancel()
    rsps.get(f"{FLUTTERWAVE}/refunds", json={"status": "success", "message": "Refunds fetched", "data": []})
    rsps.replace("POST", f"{FLUTTERWAVE}/transactions/{CHARGE_ID}/refund", json=refund_answer("completed"))
    payments_reconcile(now=timezone.now() + timedelta(hours=1))  # the first call's answer may still be on its way
    assert [c.request.method for c in rsps.calls if "/refund" in c.request.url].count("POST") == 1
    sent_an_hour_ago(Transaction.objects.get(transaction_type="refund"))
    payments_reconcile(now=timezone.now() + timedelta(hours=1))
    order.refresh_from_db()
    assert order.payment_status == "refunded"
    assert [c.request.method for c in rsps.calls if "/refund" in c.request.url].count("POST") == 2
    assert refund_journals() == 1
    assert ledger_audit() == []
