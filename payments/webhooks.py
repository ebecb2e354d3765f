"""Gateway webhooks: signature on the raw body, replay protection, dispatch by event name.

The body is only a hint: payments are re-verified with the gateway's API by ``payment_confirm``.
"""
import hashlib
import logging
from datetime import datetime

from django.utils import timezone

from core.errors import ApplicationError, GatewayUnavailable, NotAuthenticated, NotFound, ValidationFailed
from core.models import insert_unless_exists
from core.parsers import loads_untrusted
from core.prepared import PreparedUpdate

from . import services
from .gateways import flutterwave, paystack
from .models import Provider, Transaction, WebhookEvent, WithdrawalRequest

logger = logging.getLogger(__name__)


def _confirm(reference: str, provider: str, gateway_transaction_id: str = "") -> str:
    if not reference:
        return "missing_reference"
    try:
        txn = services.payment_confirm(reference=reference, provider=provider,
                                       gateway_transaction_id=gateway_transaction_id)
    except NotFound:
        logger.warning("%s webhook for unknown payment reference %r", provider, reference)
        return "unknown_reference"
    return f"payment_{txn.status}" + ("_flagged" if txn.flagged else "")


def _withdrawal_id(reference: str) -> int | None:
    return WithdrawalRequest.objects.filter(reference_id=reference).values_list("pk", flat=True).first()


def _paystack_charge_success(data: dict) -> str:
    return _confirm(str(data.get("reference") or ""), Provider.PAYSTACK)


def _paystack_transfer_success(data: dict) -> str:
    withdrawal_id = _withdrawal_id(str(data.get("reference") or ""))
    if withdrawal_id is None:
        logger.warning("transfer.success for unknown reference %r", data.get("reference"))
        return "unknown_reference"
    return services.withdrawal_complete(withdrawal_id=withdrawal_id,
                                        transfer_code=str(data.get("transfer_code") or "")).status


def _paystack_transfer_failed(data: dict, *, reversed_by_gateway: bool = False) -> str:
    withdrawal_id = _withdrawal_id(str(data.get("reference") or ""))
    if withdrawal_id is None:
        logger.warning("transfer failure for unknown reference %r", data.get("reference"))
        return "unknown_reference"
    reason = str(data.get("reason") or data.get("status") or "")
    word = "reversed" if reversed_by_gateway else "failed"
    return services.withdrawal_fail(withdrawal_id=withdrawal_id, reason=f"Transfer {word} by Paystack {reason}".strip(),
                                    reversed_by_gateway=reversed_by_gateway).status


def _paystack_transfer_reversed(data: dict) -> str:
    return _paystack_transfer_failed(data, reversed_by_gateway=True)


def _paystack_refund_event(data: dict) -> str:
    """``refund.pending|processing|processed|failed``: the body names the refund; its status is asked of
    Paystack (``GET /refund/:id``) and applied — booked only once Paystack says processed."""
    refund_reference = str(data.get("id") or data.get("refund_id") or "")
    refund = services.refund_for_gateway_event(
        provider=Provider.PAYSTACK, refund_reference=refund_reference,
        payment_reference=str(data.get("transaction_reference") or ""), amount=paystack.naira_from_kobo(data.get("amount")))
    if refund is None:
        logger.warning("refund webhook for an unknown refund %r (payment %r)", refund_reference,
                       data.get("transaction_reference"))
        return "unknown_refund"
    if not refund.provider_reference and refund_reference:
        Transaction.objects.filter(pk=refund.pk, provider_reference="").update(provider_reference=refund_reference)
    return "refund_" + services.payment_refund_process(refund_id=refund.pk).status


def _flutterwave_refund_completed(data: dict) -> str:
    """``refund.completed`` (v3 body: ``id`` = the refund, ``TransactionId`` = the refunded charge, ``status``):
    the body only names the refund; its status is asked of Flutterwave (``GET /refunds/:id``) and applied —
    booked only once Flutterwave says completed, flagged when it says failed."""
    refund_reference = flutterwave.transaction_id_from_event(data)
    charge_id = flutterwave.transaction_id_from_event({"id": data.get("TransactionId") or data.get("tx_id")})
    refund = services.refund_for_gateway_event(provider=Provider.FLUTTERWAVE, refund_reference=refund_reference,
                                               payment_reference="", gateway_payment_id=charge_id,
                                               # v3 event bodies capitalise it (the API's answers do not)
                                               amount=flutterwave.naira(data.get("AmountRefunded",
                                                                                 data.get("amount_refunded"))))
    if refund is None:
        logger.warning("flutterwave refund webhook for an unknown refund %r (charge %r)", refund_reference, charge_id)
        return "unknown_refund"
    if not refund.provider_reference and refund_reference:
        Transaction.objects.filter(pk=refund.pk, provider_reference="").update(provider_reference=refund_reference)
    return "refund_" + services.payment_refund_process(refund_id=refund.pk).status


def _flutterwave_charge_completed(data: dict) -> str:
    return _confirm(str(data.get("tx_ref") or data.get("txRef") or ""), Provider.FLUTTERWAVE,
                    gateway_transaction_id=flutterwave.transaction_id_from_event(data))


PAYSTACK_HANDLERS = {
    "charge.success": _paystack_charge_success,
    "transfer.success": _paystack_transfer_success,
    "transfer.failed": _paystack_transfer_failed,
    "transfer.reversed": _paystack_transfer_reversed,
    "refund.pending": _paystack_refund_event,
    "refund.processing": _paystack_refund_event,
    "refund.processed": _paystack_refund_event,
    "refund.failed": _paystack_refund_event,
}
FLUTTERWAVE_HANDLERS = {
    "charge.completed": _flutterwave_charge_completed,
    "refund.completed": _flutterwave_refund_completed,
}


def _check_signature(provider: str, raw_body: bytes, headers) -> None:
    if provider == Provider.PAYSTACK:
        ok = paystack.verify_signature(raw_body, headers.get("x-paystack-signature"))
    else:
        ok = flutterwave.verify_signature(raw_body, verif_hash=headers.get("verif-hash"),
                                          signature=headers.get("flutterwave-signature"))
    if not ok:
        logger.warning("%s webhook with a bad or missing signature rejected", provider)
        raise NotAuthenticated("Invalid or missing webhook signature.")


def _record_delivery(**fields) -> WebhookEvent:
    """The delivery's record: one ``INSERT … ON CONFLICT (provider, event_key) DO NOTHING``, so a new delivery (the
    usual case) costs no read and a redelivery inserts nothing — no error, so no savepoint either — and reads the
    row that is there. Two copies delivered at the same moment may both find it unprocessed and both apply it:
    the confirmation is idempotent (the payment's row lock; a settled payment is left as it is)."""
    record = WebhookEvent(**fields)
    if insert_unless_exists(record, unique_field=("provider", "event_key")):
        return record
    return WebhookEvent.objects.get(provider=fields["provider"], event_key=fields["event_key"])


# The delivery's outcome, written once (the first time it is applied): compiled once per connection.
_RECORD_OUTCOME = PreparedUpdate(
    lambda pk, now, result: (WebhookEvent.objects.filter(pk=pk, processed_at__isnull=True),
                             {"processed_at": now, "result": result}),
    pk=int, now=datetime, result=str,
)


def webhook_process(*, provider: str, raw_body: bytes, headers) -> str:
    """Verify, de-duplicate and dispatch one webhook delivery. Returns a short result for the response."""
    _check_signature(provider, raw_body, headers)
    payload = loads_untrusted(raw_body)  # not JSON, too deep or NUL-carrying → 400
    if not isinstance(payload, dict):
        raise ValidationFailed("Webhook body is not a JSON object.")
    event = str(payload.get("event") or payload.get("event.type") or "")
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    handlers = PAYSTACK_HANDLERS if provider == Provider.PAYSTACK else FLUTTERWAVE_HANDLERS
    handler = handlers.get(event)
    if handler is None:
        logger.info("%s webhook %r acknowledged, not handled", provider, event)
        return "ignored"

    identity = data.get("id") or data.get("reference") or data.get("tx_ref") or hashlib.sha256(raw_body).hexdigest()
    reference = str(data.get("reference") or data.get("tx_ref") or "")[:128]
    event_key = f"{event}:{identity}"[:200]
    record = _record_delivery(provider=provider, event_key=event_key, event_type=event[:100], reference=reference,
                              payload=payload)
    if record.processed_at is not None:
        return "duplicate"
    try:
        result = handler(data)
    except GatewayUnavailable:
        raise  # 503 and the event stays unprocessed: the gateway's retry (and reconciliation) settles it
    except ApplicationError as exc:
        # One transaction's state (an illegal move, a refused verification…) is ours to look at, not the
        # gateway's to retry forever: acknowledged, logged, recorded on the event.
        logger.error("%s webhook %s (%s) not applied: %s", provider, event, reference, exc.message)
        result = f"rejected: {exc.message}"
    except Exception:
        # A bug or a database hiccup while applying it: never a 500 to the gateway. The event stays
        # unprocessed (a redelivery is applied again) and reconciliation / check_payouts settle it anyway.
        logger.exception("%s webhook %s (%s) failed; left for redelivery and reconciliation", provider, event,
                         reference)
        WebhookEvent.objects.filter(pk=record.pk, processed_at__isnull=True).update(result="error")
        return "error"
    _RECORD_OUTCOME(pk=record.pk, now=timezone.now(), result=result[:200])
    return result
