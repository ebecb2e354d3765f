from decimal import Decimal

import pytest
import requests

from orders.models import Order
from payments.ledger import ledger_audit
from payments.models import JournalEntry, LedgerEntry, Transaction, Wallet, WebhookEvent
from payments.tasks import reconcile_pending_transactions

from .factories import (
    FLUTTERWAVE,
    PAYSTACK,
    flutterwave_event,
    flutterwave_signature,
    flutterwave_verify_body,
    paystack_charge_success,
    paystack_sign,
    paystack_verify_body,
)

pytestmark = pytest.mark.django_db
PAYSTACK_HOOK = "/api/payments/webhooks/paystack/"
FLW_HOOK = "/api/payments/webhooks/flutterwave/"


def _txn(order, provider="paystack", reference=None):
    return Transaction.objects.create(transaction_id=reference or f"PJ-{order.order_id}-0001", order=order,
                                      user=order.customer, amount=order.total_amount, provider=provider)


def _post_paystack(client, body, signature="auto"):
    headers = {}
    if signature == "auto":
        headers["HTTP_X_PAYSTACK_SIGNATURE"] = paystack_sign(body)
    elif signature is not None:
        headers["HTTP_X_PAYSTACK_SIGNATURE"] = signature
    return client.post(PAYSTACK_HOOK, data=body, content_type="application/json", **headers)


def _assert_paid_once(order, txn):
    order.refresh_from_db()
    txn.refresh_from_db()
    assert (order.status, order.payment_status, order.payment_method) == ("paid", "paid", txn.provider)
    assert txn.status == "completed" and not txn.flagged
    assert order.status_history.filter(status="paid").count() == 1
    assert JournalEntry.objects.filter(entry_type="payment", order=order).count() == 1
    wallet = Wallet.objects.get(user=order.entrepreneur.user)
    assert wallet.pending_balance == Decimal("520.00") and wallet.balance == Decimal("0.00")
    assert ledger_audit() == []


def _assert_nothing_paid(order, txn):
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("pending", "pending")
    assert not JournalEntry.objects.exists() and not LedgerEntry.objects.exists()
    assert not Wallet.objects.filter(pending_balance__gt=0).exists()


def test_paystack_webhook_good_signature_pays_and_splits_the_money(order, api_client, rsps):
    txn = _txn(order)
    verify = rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
                      json=paystack_verify_body(txn.transaction_id, Decimal("2900.00")))
    response = _post_paystack(api_client, paystack_charge_success(txn.transaction_id, Decimal("2900.00")))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "result": "payment_completed"}
    assert verify.call_count == 1
    _assert_paid_once(order, txn)
    txn.refresh_from_db()
    assert txn.provider_reference == "4099260516"
    lines = {(line.account, line.user_id): line.amount for line in LedgerEntry.objects.all()}
    assert lines == {
        ("gateway_clearing", None): Decimal("-2900.00"),
        ("entrepreneur_pending", order.entrepreneur.user_id): Decimal("520.00"),
        ("supplier_payable", order.supplier.user_id): Decimal("1800.00"),
        ("platform_revenue", None): Decimal("580.00"),
    }


@pytest.mark.parametrize("signature", [None, "", "deadbeef" * 16])
def test_paystack_webhook_bad_or_missing_signature_is_401_and_changes_nothing(order, api_client, rsps, signature):
    txn = _txn(order)
    response = _post_paystack(api_client, paystack_charge_success(txn.transaction_id, Decimal("2900.00")), signature)
    assert response.status_code == 401
    assert response.json() == {"code": "authentication_failed", "error": "Invalid or missing webhook signature."}
    assert len(rsps.calls) == 0
    assert not WebhookEvent.objects.exists()
    txn.refresh_from_db()
    assert txn.status == "pending"
    _assert_nothing_paid(order, txn)


def test_signature_over_a_different_body_is_401(order, api_client, rsps):
    txn = _txn(order)
    body = paystack_charge_success(txn.transaction_id, Decimal("2900.00"))
    response = _post_paystack(api_client, body.replace(b"2900", b"2901"), paystack_sign(body))
    assert response.status_code == 401


def test_amount_mismatch_flags_and_does_not_pay(order, api_client, rsps):
    txn = _txn(order)
    rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
             json=paystack_verify_body(txn.transaction_id, Decimal("2899.99")))
    response = _post_paystack(api_client, paystack_charge_success(txn.transaction_id, Decimal("2900.00")))
    assert response.status_code == 200
    assert response.json()["result"] == "payment_failed_flagged"
    txn.refresh_from_db()
    assert txn.flagged and txn.status == "failed"
    assert txn.flag_reason == "amount 2899.99 instead of 2900.00"
    _assert_nothing_paid(order, txn)


def test_webhook_body_amount_is_not_trusted(order, api_client, rsps):
    """The body claims the full amount; the gateway's verify answer says less → flagged."""
    txn = _txn(order)
    rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
             json=paystack_verify_body(txn.transaction_id, Decimal("100.00")))
    _post_paystack(api_client, paystack_charge_success(txn.transaction_id, Decimal("2900.00")))
    txn.refresh_from_db()
    assert txn.flagged
    _assert_nothing_paid(order, txn)


def test_currency_mismatch_flags_and_does_not_pay(order, api_client, rsps):
    txn = _txn(order)
    rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
             json=paystack_verify_body(txn.transaction_id, Decimal("2900.00"), currency="USD"))
    response = _post_paystack(api_client, paystack_charge_success(txn.transaction_id, Decimal("2900.00")))
    assert response.status_code == 200
    txn.refresh_from_db()
    assert txn.flagged and txn.flag_reason == "currency USD instead of NGN"
    _assert_nothing_paid(order, txn)


def test_unknown_reference_is_acknowledged_and_logged(db, api_client, rsps, caplog):
    response = _post_paystack(api_client, paystack_charge_success("PJ-NOPE-123", Decimal("10.00")))
    assert response.status_code == 200
    assert response.json()["result"] == "unknown_reference"
    assert len(rsps.calls) == 0
    assert "unknown payment reference 'PJ-NOPE-123'" in caplog.text


def test_unhandled_event_is_acknowledged(db, api_client):
    body = b'{"event": "subscription.create", "data": {"id": 1}}'
    response = _post_paystack(api_client, body)
    assert response.status_code == 200 and response.json()["result"] == "ignored"


def test_duplicate_delivery_five_times_pays_once_and_credits_once(order, api_client, rsps):
    txn = _txn(order)
    verify = rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
                      json=paystack_verify_body(txn.transaction_id, Decimal("2900.00")))
    body = paystack_charge_success(txn.transaction_id, Decimal("2900.00"))
    results = [_post_paystack(api_client, body).json()["result"] for _ in range(5)]
    assert results == ["payment_completed"] + ["duplicate"] * 4
    assert verify.call_count == 1
    assert WebhookEvent.objects.count() == 1
    _assert_paid_once(order, txn)


def test_webhook_then_verify_endpoint_is_a_no_op(order, api_client, auth_client, rsps):
    txn = _txn(order)
    verify = rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
                      json=paystack_verify_body(txn.transaction_id, Decimal("2900.00")))
    _post_paystack(api_client, paystack_charge_success(txn.transaction_id, Decimal("2900.00")))
    response = auth_client(order.customer).get(f"/api/payments/verify/{txn.transaction_id}/")
    assert response.status_code == 200
    assert response.json()["status"] == "completed" and response.json()["payment_status"] == "paid"
    assert verify.call_count == 1
    _assert_paid_once(order, txn)


def test_verify_endpoint_confirms_and_is_scoped_to_the_payer(order, auth_client, rsps):
    from tests.factories import CustomerFactory

    txn = _txn(order)
    rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
             json=paystack_verify_body(txn.transaction_id, Decimal("2900.00")))
    assert auth_client(CustomerFactory()).get(f"/api/payments/verify/{txn.transaction_id}/").status_code == 404
    response = auth_client(order.customer).get(f"/api/payments/verify/{txn.transaction_id}/")
    assert response.status_code == 200
    body = response.json()
    assert (body["reference"], body["status"], body["amount"], body["order_id"]) == (
        txn.transaction_id, "completed", "2900.00", order.order_id)
    _assert_paid_once(order, txn)


def test_failed_payment_marks_transaction_failed_and_order_stays_payable(order, auth_client, rsps):
    txn = _txn(order)
    rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
             json=paystack_verify_body(txn.transaction_id, Decimal("2900.00"), status="failed"))
    response = auth_client(order.customer).get(f"/api/payments/verify/{txn.transaction_id}/")
    assert response.status_code == 200 and response.json()["status"] == "failed"
    _assert_nothing_paid(order, txn)
    again = auth_client(order.customer).post("/api/payments/initialize/", {"order_id": order.order_id,
                                                                           "provider": "sandbox"}, format="json")
    assert again.status_code == 200


def test_verify_with_gateway_down_is_503_and_nothing_changes(order, auth_client, rsps):
    txn = _txn(order)
    rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}", body=requests.ConnectionError("refused"))
    response = auth_client(order.customer).get(f"/api/payments/verify/{txn.transaction_id}/")
    assert response.status_code == 503
    txn.refresh_from_db()
    assert txn.status == "pending"


def test_webhook_is_retried_by_gateway_when_verify_is_down(order, api_client, rsps):
    """A 503 leaves the event unprocessed so Paystack's retry is processed, not treated as a duplicate."""
    txn = _txn(order)
    url = f"{PAYSTACK}/transaction/verify/{txn.transaction_id}"
    rsps.get(url, body=requests.Timeout("slow"))
    body = paystack_charge_success(txn.transaction_id, Decimal("2900.00"))
    assert _post_paystack(api_client, body).status_code == 503
    rsps.replace("GET", url, json=paystack_verify_body(txn.transaction_id, Decimal("2900.00")))
    assert _post_paystack(api_client, body).json()["result"] == "payment_completed"
    _assert_paid_once(order, txn)


def test_payment_for_an_order_cancelled_meanwhile_is_flagged(order, api_client, rsps):
    from orders.services import order_transition

    txn = _txn(order)
    order_transition(order_id=order.pk, to_status="cancelled", actor=order.customer)
    rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
             json=paystack_verify_body(txn.transaction_id, Decimal("2900.00")))
    _post_paystack(api_client, paystack_charge_success(txn.transaction_id, Decimal("2900.00")))
    txn.refresh_from_db()
    order.refresh_from_db()
    assert txn.flagged and "not awaiting payment" in txn.flag_reason
    assert order.status == "cancelled" and order.payment_status == "pending"


# --- Flutterwave ---

def test_flutterwave_webhook_verif_hash_pays_after_reverification(order, api_client, rsps):
    txn = _txn(order, provider="flutterwave")
    verify = rsps.get(f"{FLUTTERWAVE}/transactions/288200108/verify",  # by the event's transaction id
                      json=flutterwave_verify_body(txn.transaction_id, Decimal("2900.00")))
    response = api_client.post(FLW_HOOK, data=flutterwave_event(txn.transaction_id, Decimal("2900.00")),
                               content_type="application/json", HTTP_VERIF_HASH="flw-test-hash")
    assert response.status_code == 200 and response.json()["result"] == "payment_completed"
    assert verify.call_count == 1
    _assert_paid_once(order, txn)
    txn.refresh_from_db()
    assert txn.provider_reference == "288200108"


def test_flutterwave_signature_header_is_accepted(order, api_client, rsps):
    txn = _txn(order, provider="flutterwave")
    rsps.get(f"{FLUTTERWAVE}/transactions/288200108/verify",
             json=flutterwave_verify_body(txn.transaction_id, Decimal("2900.00")))
    body = flutterwave_event(txn.transaction_id, Decimal("2900.00"))
    response = api_client.post(FLW_HOOK, data=body, content_type="application/json",
                               HTTP_FLUTTERWAVE_SIGNATURE=flutterwave_signature(body))
    assert response.status_code == 200
    _assert_paid_once(order, txn)


@pytest.mark.parametrize("headers", [{}, {"HTTP_VERIF_HASH": "wrong"}, {"HTTP_FLUTTERWAVE_SIGNATURE": "bm9wZQ=="},
                                     {"HTTP_FLUTTERWAVE_SIGNATURE": "bm9wZQ==", "HTTP_VERIF_HASH": "wrong"}])
def test_flutterwave_bad_or_missing_signature_is_401(order, api_client, rsps, headers):
    txn = _txn(order, provider="flutterwave")
    response = api_client.post(FLW_HOOK, data=flutterwave_event(txn.transaction_id, Decimal("2900.00")),
                               content_type="application/json", **headers)
    assert response.status_code == 401
    assert len(rsps.calls) == 0
    _assert_nothing_paid(order, txn)


def test_flutterwave_amount_mismatch_is_flagged(order, api_client, rsps):
    txn = _txn(order, provider="flutterwave")
    rsps.get(f"{FLUTTERWAVE}/transactions/288200108/verify",
             json=flutterwave_verify_body(txn.transaction_id, Decimal("29.00")))
    api_client.post(FLW_HOOK, data=flutterwave_event(txn.transaction_id, Decimal("2900.00")),
                    content_type="application/json", HTTP_VERIF_HASH="flw-test-hash")
    txn.refresh_from_db()
    assert txn.flagged and txn.flag_reason == "amount 29.00 instead of 2900.00"
    _assert_nothing_paid(order, txn)


# --- Sandbox ---

def _sandbox_reference(order, auth_client):
    return auth_client(order.customer).post("/api/payments/initialize/", {"order_id": order.order_id,
                                                                          "provider": "sandbox"},
                                            format="json").json()["reference"]


def test_sandbox_pay_button_drives_the_confirm_service(order, auth_client, api_client):
    reference = _sandbox_reference(order, auth_client)
    page = api_client.post(f"/api/payments/sandbox/checkout/{reference}/", {"outcome": "pay"})
    assert page.status_code == 200
    assert "Payment completed" in page.content.decode()
    _assert_paid_once(order, Transaction.objects.get(transaction_id=reference))
    again = api_client.post(f"/api/payments/sandbox/checkout/{reference}/", {"outcome": "pay"})
    assert again.status_code == 200
    _assert_paid_once(order, Transaction.objects.get(transaction_id=reference))


def test_sandbox_fail_button_fails_the_attempt(order, auth_client, api_client):
    reference = _sandbox_reference(order, auth_client)
    page = api_client.post(f"/api/payments/sandbox/checkout/{reference}/", {"outcome": "fail"})
    assert "Payment failed" in page.content.decode()
    txn = Transaction.objects.get(transaction_id=reference)
    assert txn.status == "failed"
    _assert_nothing_paid(order, txn)


def test_sandbox_page_is_404_when_disabled(order, auth_client, api_client, settings):
    reference = _sandbox_reference(order, auth_client)
    settings.PAYMENTS_SANDBOX = False
    assert api_client.get(f"/api/payments/sandbox/checkout/{reference}/").status_code == 404
    assert api_client.post(f"/api/payments/sandbox/checkout/{reference}/", {"outcome": "pay"}).status_code == 404
    assert Order.objects.get(pk=order.pk).payment_status == "pending"


# --- Reconciliation ---

def test_reconcile_verifies_stale_pending_transactions(order, rsps):
    from datetime import timedelta

    from django.utils import timezone

    stale = _txn(order, reference="PJ-STALE-1")
    fresh = _txn(order, reference="PJ-FRESH-1")
    abandoned_order_txn = _txn(order, reference="PJ-ABANDON-1")
    Transaction.objects.filter(pk__in=[stale.pk, abandoned_order_txn.pk]).update(
        created_at=timezone.now() - timedelta(minutes=30))
    rsps.get(f"{PAYSTACK}/transaction/verify/PJ-ABANDON-1",
             json=paystack_verify_body("PJ-ABANDON-1", Decimal("2900.00"), status="failed"))
    rsps.get(f"{PAYSTACK}/transaction/verify/PJ-STALE-1", json=paystack_verify_body("PJ-STALE-1", Decimal("2900.00")))
    result = reconcile_pending_transactions.delay().get()
    assert result["payments"] == 2
    assert {t.transaction_id: t.status for t in Transaction.objects.all()} == {
        "PJ-STALE-1": "completed", "PJ-FRESH-1": "pending", "PJ-ABANDON-1": "failed"}
    _assert_paid_once(order, stale)
    assert not any(fresh.transaction_id in call.request.url for call in rsps.calls)
