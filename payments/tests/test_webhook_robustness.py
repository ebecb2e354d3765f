"""SPEC §6.9: Flutterwave webhooks accepted on either valid header; no webhook answers 500 because of one
transaction's state (the event is acknowledged, logged and recorded)."""
from decimal import Decimal

import pytest

from core.errors import InvalidTransition
from payments import webhooks
from payments.models import Transaction, WebhookEvent

from .factories import (
    FLUTTERWAVE,
    flutterwave_event,
    flutterwave_signature,
    flutterwave_verify_body,
    paystack_sign,
    paystack_transfer_event,
)

pytestmark = pytest.mark.django_db
FLW_HOOK = "/api/payments/webhooks/flutterwave/"
PAYSTACK_HOOK = "/api/payments/webhooks/paystack/"


def _flw_txn(order):
    return Transaction.objects.create(transaction_id=f"PJ-{order.order_id}-FLW1", order=order, user=order.customer,
                                      amount=order.total_amount, provider="flutterwave")


@pytest.mark.parametrize("which", ["hash only", "signature only", "both", "valid hash, stale signature",
                                   "valid signature, wrong hash"])
def test_flutterwave_webhook_accepted_on_either_valid_header(order, api_client, rsps, which):
    txn = _flw_txn(order)
    rsps.get(f"{FLUTTERWAVE}/transactions/verify_by_reference",
             json=flutterwave_verify_body(txn.transaction_id, Decimal("2900.00")))
    rsps.get(f"{FLUTTERWAVE}/transactions/288200108/verify",
             json=flutterwave_verify_body(txn.transaction_id, Decimal("2900.00")))
    body = flutterwave_event(txn.transaction_id, Decimal("2900.00"))
    good_hash, good_sig = {"HTTP_VERIF_HASH": "flw-test-hash"}, {"HTTP_FLUTTERWAVE_SIGNATURE": flutterwave_signature(body)}
    headers = {
        "hash only": good_hash,
        "signature only": good_sig,
        "both": {**good_hash, **good_sig},
        "valid hash, stale signature": {**good_hash, "HTTP_FLUTTERWAVE_SIGNATURE": flutterwave_signature(b"{}")},
        "valid signature, wrong hash": {**good_sig, "HTTP_VERIF_HASH": "not-the-hash"},
    }[which]
    response = api_client.post(FLW_HOOK, data=body, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    assert response.json()["result"] == "payment_completed"
    order.refresh_from_db()
    assert order.payment_status == "paid"


def _transfer_success(api_client):
    body = paystack_transfer_event("transfer.success", "wd_" + "a" * 32, Decimal("980.00"))
    return api_client.post(PAYSTACK_HOOK, data=body, content_type="application/json",
                           HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))


def test_a_handler_error_is_acknowledged_and_left_for_redelivery(api_client, monkeypatch):
    def broken(data):
        raise RuntimeError("database went away")

    monkeypatch.setitem(webhooks.PAYSTACK_HANDLERS, "transfer.success", broken)
    response = _transfer_success(api_client)
    assert response.status_code == 200 and response.json()["result"] == "error"
    event = WebhookEvent.objects.get()
    assert event.processed_at is None and event.result == "error"

    monkeypatch.setitem(webhooks.PAYSTACK_HANDLERS, "transfer.success", lambda data: "completed")
    response = _transfer_success(api_client)  # the gateway's redelivery is applied, not a duplicate
    assert response.status_code == 200 and response.json()["result"] == "completed"
    event.refresh_from_db()
    assert event.processed_at is not None and event.result == "completed"


def test_a_transaction_state_refusal_is_acknowledged_and_recorded(api_client, monkeypatch):
    def refuse(data):
        raise InvalidTransition("This withdrawal is rejected and can no longer complete.")

    monkeypatch.setitem(webhooks.PAYSTACK_HANDLERS, "transfer.success", refuse)
    response = _transfer_success(api_client)
    assert response.status_code == 200
    assert response.json()["result"] == "rejected: This withdrawal is rejected and can no longer complete."
    event = WebhookEvent.objects.get()
    assert event.processed_at is not None and event.result.startswith("rejected: ")
    assert _transfer_success(api_client).json()["result"] == "duplicate"
