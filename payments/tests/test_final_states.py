"""SPEC §6.9: every payment settles to a final state and stays there; reconciliation handles each
transaction on its own; Paystack ``abandoned`` waits for the reservation; Flutterwave verifies by id."""
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import Order
from payments.models import Transaction
from payments.tasks import reconcile_pending_transactions

from .factories import (
    FLUTTERWAVE,
    PAYSTACK,
    flutterwave_event,
    flutterwave_verify_body,
    paystack_verify_body,
    place_order,
)

pytestmark = pytest.mark.django_db


def _txn(order, reference, provider="paystack", minutes_old=30):
    txn = Transaction.objects.create(transaction_id=reference, order=order, user=order.customer,
                                     amount=order.total_amount, provider=provider)
    Transaction.objects.filter(pk=txn.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_old))
    return txn


def test_abandoned_stays_pending_while_the_reservation_runs_then_fails(order, rsps):
    txn = _txn(order, "PJ-ABANDON-1")
    rsps.get(f"{PAYSTACK}/transaction/verify/PJ-ABANDON-1",
             json=paystack_verify_body("PJ-ABANDON-1", Decimal("2900.00"), status="abandoned"))
    reconcile_pending_transactions.delay().get()
    txn.refresh_from_db()
    assert txn.status == "pending" and txn.metadata["gateway_status"] == "abandoned"

    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))
    reconcile_pending_transactions.delay().get()
    txn.refresh_from_db()
    assert txn.status == "failed" and not txn.flagged


@pytest.mark.parametrize("final", ["completed", "reversed"])
def test_verify_never_moves_a_final_payment(order, auth_client, rsps, final):
    txn = _txn(order, "PJ-FINAL-1")
    Transaction.objects.filter(pk=txn.pk).update(status=final)
    verify = rsps.get(f"{PAYSTACK}/transaction/verify/PJ-FINAL-1",
                      json=paystack_verify_body("PJ-FINAL-1", Decimal("2900.00"), status="failed"))
    response = auth_client(order.customer).get("/api/payments/verify/PJ-FINAL-1/")
    assert response.status_code == 200
    assert response.json()["status"] == final
    reconcile_pending_transactions.delay().get()
    txn.refresh_from_db()
    assert (txn.status, txn.flagged) == (final, False)
    assert verify.call_count == 0


def test_one_transaction_raising_does_not_stop_reconciliation(db, rsps, caplog):
    good, bad, also_good = place_order(), place_order(), place_order()
    for order, ref in ((good, "PJ-GOOD-1"), (bad, "PJ-BAD-1"), (also_good, "PJ-GOOD-2")):
        _txn(order, ref)
    rsps.get(f"{PAYSTACK}/transaction/verify/PJ-GOOD-1", json=paystack_verify_body("PJ-GOOD-1", Decimal("2900.00"), txn_id=1001))
    rsps.get(f"{PAYSTACK}/transaction/verify/PJ-BAD-1", body=ValueError("a bug in one transaction's path"))
    rsps.get(f"{PAYSTACK}/transaction/verify/PJ-GOOD-2", json=paystack_verify_body("PJ-GOOD-2", Decimal("2900.00"), txn_id=1002))
    with caplog.at_level(logging.ERROR, logger="payments.services.reconciliation"):
        result = reconcile_pending_transactions.delay().get()
    assert result == {"payments": 2, "refunds": 0, "payouts": 0, "late_payments": 0, "errors": 1}
    statuses = dict(Transaction.objects.values_list("transaction_id", "status"))
    assert statuses == {"PJ-GOOD-1": "completed", "PJ-BAD-1": "pending", "PJ-GOOD-2": "completed"}
    assert any("PJ-BAD-1 raised" in r.getMessage() and r.exc_info for r in caplog.records)
    for order in (good, also_good):
        order.refresh_from_db()
        assert order.payment_status == "paid"


def test_flutterwave_webhook_verifies_by_the_event_transaction_id(order, api_client, rsps):
    txn = _txn(order, f"PJ-{order.order_id}-FLW", provider="flutterwave", minutes_old=0)
    by_id = rsps.get(f"{FLUTTERWAVE}/transactions/288200108/verify",
                     json=flutterwave_verify_body(txn.transaction_id, Decimal("2900.00")))
    by_ref = rsps.get(f"{FLUTTERWAVE}/transactions/verify_by_reference",
                      json=flutterwave_verify_body(txn.transaction_id, Decimal("2900.00")))
    response = api_client.post("/api/payments/webhooks/flutterwave/",
                               data=flutterwave_event(txn.transaction_id, Decimal("2900.00")),
                               content_type="application/json", HTTP_VERIF_HASH="flw-test-hash")
    assert response.json()["result"] == "payment_completed"
    assert (by_id.call_count, by_ref.call_count) == (1, 0)


def test_flutterwave_id_for_another_reference_pays_nothing(order, api_client, rsps):
    txn = _txn(order, f"PJ-{order.order_id}-FLW", provider="flutterwave", minutes_old=0)
    rsps.get(f"{FLUTTERWAVE}/transactions/288200108/verify",
             json=flutterwave_verify_body("PJ-SOMEONE-ELSE", Decimal("2900.00")))
    response = api_client.post("/api/payments/webhooks/flutterwave/",
                               data=flutterwave_event(txn.transaction_id, Decimal("2900.00")),
                               content_type="application/json", HTTP_VERIF_HASH="flw-test-hash")
    assert response.status_code == 200 and response.json()["result"].startswith("rejected: ")
    order.refresh_from_db()
    txn.refresh_from_db()
    assert order.payment_status == "pending" and txn.status == "pending"


def _refund_mock(rsps):
    return rsps.post(f"{PAYSTACK}/refund", json={
        "status": True, "message": "Refund has been queued for processing",
        "data": {"transaction": {"id": 1, "reference": "x", "amount": 290000}, "currency": "NGN",
                 "amount": 290000, "status": "processed", "id": 3018299}})


def _looked_at(txn, minutes_ago):
    Transaction.objects.filter(pk=txn.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_an_attempt_failed_while_still_pending_is_verified_again_and_a_late_success_refunded(
        order, rsps, settings, django_capture_on_commit_callbacks):
    """A bank transfer still 'ongoing' at Paystack when the reservation ends: the attempt fails (nothing it pays is
    payable), but the money may still come. Reconciliation verifies it again (at most once per
    PAYMENT_RECONCILE_AFTER_MINUTES) for PAYMENT_LATE_SUCCESS_HOURS: the success that arrives, its webhook lost,
    is refunded as a late payment — never kept with the order unpaid."""
    from orders.services import order_release_expired

    txn = _txn(order, "PJ-ONGOING-1")
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))
    assert order_release_expired() == 1  # the reservation ran out: cancelled, stock back
    verify = rsps.get(f"{PAYSTACK}/transaction/verify/PJ-ONGOING-1",
                      json=paystack_verify_body("PJ-ONGOING-1", Decimal("2900.00"), status="ongoing"))
    reconcile_pending_transactions.delay().get()
    txn.refresh_from_db()
    assert (txn.status, txn.metadata["failed_as"]) == ("failed", "unpayable")

    reconcile_pending_transactions.delay().get()  # just looked at: not verified again yet
    assert verify.call_count == 1
    _looked_at(txn, settings.PAYMENT_RECONCILE_AFTER_MINUTES + 1)
    reconcile_pending_transactions.delay().get()  # still ongoing: stays failed, looked at again
    txn.refresh_from_db()
    assert (verify.call_count, txn.status) == (2, "failed")

    rsps.replace("GET", f"{PAYSTACK}/transaction/verify/PJ-ONGOING-1",
                 json=paystack_verify_body("PJ-ONGOING-1", Decimal("2900.00")))
    refund = _refund_mock(rsps)
    _looked_at(txn, settings.PAYMENT_RECONCILE_AFTER_MINUTES + 1)
    with django_capture_on_commit_callbacks(execute=True):
        reconcile_pending_transactions.delay().get()
    txn.refresh_from_db()
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("cancelled", "pending")
    assert txn.flagged and "refunded automatically" in txn.flag_reason
    assert refund.call_count == 1
    assert Transaction.objects.get(transaction_type="refund").amount == Decimal("2900.00")


def test_a_failed_attempt_is_not_verified_again_past_the_window_or_after_the_gateway_said_failed(
        order, rsps, settings):
    ongoing = _txn(order, "PJ-OLD-1", minutes_old=settings.PAYMENT_LATE_SUCCESS_HOURS * 60 + 1)
    said_failed = _txn(order, "PJ-SAID-FAILED-1")
    for txn in (ongoing, said_failed):
        Transaction.objects.filter(pk=txn.pk).update(status="failed", metadata={"failed_as": "unpayable"})
        _looked_at(txn, settings.PAYMENT_RECONCILE_AFTER_MINUTES + 1)
    verify_old = rsps.get(f"{PAYSTACK}/transaction/verify/PJ-OLD-1",
                          json=paystack_verify_body("PJ-OLD-1", Decimal("2900.00")))
    verify_failed = rsps.get(f"{PAYSTACK}/transaction/verify/PJ-SAID-FAILED-1",
                             json=paystack_verify_body("PJ-SAID-FAILED-1", Decimal("2900.00"), status="failed"))
    reconcile_pending_transactions.delay().get()
    assert (verify_old.call_count, verify_failed.call_count) == (0, 1)
    said_failed.refresh_from_db()
    assert said_failed.status == "failed" and "failed_as" not in said_failed.metadata
    _looked_at(said_failed, settings.PAYMENT_RECONCILE_AFTER_MINUTES + 1)
    reconcile_pending_transactions.delay().get()
    assert verify_failed.call_count == 1


def test_a_pending_attempt_the_gateway_refuses_to_tell_about_takes_its_turn_after_the_others(order, rsps):
    """A verify refused (4xx) for an attempt still payable: left pending, and looked at (updated_at), so that it
    does not hold the head of the least-recently-looked-at queue run after run."""
    txn = _txn(order, "PJ-REFUSED-1")
    before = Transaction.objects.get(pk=txn.pk).updated_at
    rsps.get(f"{PAYSTACK}/transaction/verify/PJ-REFUSED-1", status=400,
             json={"status": False, "message": "Invalid key"})
    reconcile_pending_transactions.delay().get()
    txn.refresh_from_db()
    assert txn.status == "pending" and txn.updated_at > before


def test_late_checks_space_out_as_the_attempt_ages(order, rsps, settings):
    """An attempt failed as unpayable is looked at again once a quarter of its age has gone by since the last look
    (≈ 20 looks over 72 hours, not one every run)."""
    from payments.services.reconciliation import payments_reconcile

    txn = _txn(order, "PJ-AGING-1", minutes_old=48 * 60)
    Transaction.objects.filter(pk=txn.pk).update(status="failed", metadata={"failed_as": "unpayable"})
    verify = rsps.get(f"{PAYSTACK}/transaction/verify/PJ-AGING-1",
                      json=paystack_verify_body("PJ-AGING-1", Decimal("2900.00"), status="abandoned"))
    _looked_at(txn, 11 * 60)  # 11 h ago: under a quarter of 48 h — not yet
    assert payments_reconcile()["late_payments"] == 0 and verify.call_count == 0
    _looked_at(txn, 13 * 60)  # 13 h ago: over a quarter — due
    assert payments_reconcile()["late_payments"] == 1 and verify.call_count == 1
    txn.refresh_from_db()
    assert txn.status == "failed" and timezone.now() - txn.updated_at < timedelta(minutes=1)  # looked at: stamped


def test_attempts_failed_before_the_late_checks_are_marked_for_them(order):
    """The migration that came with the late-success checks marks the attempts failed in the 72 hours before it
    while the gateway had not said "failed" — not the ones the gateway failed, nor older ones, nor a refused
    initialization (no payment page: nothing can be paid)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("payments.migrations.0010_backfill_failed_as_unpayable")
    cases = {"PJ-BF-PENDING": ({"gateway_status": "abandoned"}, 30), "PJ-BF-REFUSED": ({"gateway_error": "x"}, 30),
             "PJ-BF-SAID": ({"gateway_status": "failed"}, 30), "PJ-BF-OLD": ({"gateway_status": "ongoing"}, 73 * 60),
             "PJ-BF-INIT": ({"initialize_error": "Invalid key"}, 30)}
    for reference, (metadata, minutes_old) in cases.items():
        txn = _txn(order, reference, minutes_old=minutes_old)
        Transaction.objects.filter(pk=txn.pk).update(status="failed", metadata=metadata)
    migration.mark(apps, None)
    marked = {t.transaction_id for t in Transaction.objects.all() if t.metadata.get("failed_as") == "unpayable"}
    assert marked == {"PJ-BF-PENDING", "PJ-BF-REFUSED"}
