"""Gateway webhooks: signature on the raw body, replay protection, dispatch by event name.

The body is only a hint: payments are re-verified with the gateway's API by ``payment_confirm``.
"""
import hashlib
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import NotAuthenticated, NotFound, ValidationFailed
from core.parsers import loads_untrusted

from . import services
from .gateways import flutterwave, paystack
from .models import Provider, WebhookEvent, WithdrawalRequest

logger = logging.getLogger(__name__)


def _confirm(reference: str, provider: str) -> str:
    if not reference:
        return "missing_reference"
    try:
        txn = services.payment_confirm(reference=reference, provider=provider)
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


def _flutterwave_charge_completed(data: dict) -> str:
    return _confirm(str(data.get("tx_ref") or data.get("txRef") or ""), Provider.FLUTTERWAVE)


PAYSTACK_HANDLERS = {
    "charge.success": _paystack_charge_success,
    "transfer.success": _paystack_transfer_success,
    "transfer.failed": _paystack_transfer_failed,
    "transfer.reversed": _paystack_transfer_reversed,
}
FLUTTERWAVE_HANDLERS = {
    "charge.completed": _flutterwave_charge_completed,
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
    try:
        with transaction.atomic():
            record, _created = WebhookEvent.objects.get_or_create(
                provider=provider, event_key=f"{event}:{identity}"[:200],
                defaults={"event_type": event[:100], "reference": reference, "payload": payload},
            )
    except IntegrityError:  # a concurrent delivery inserted it first
        record = WebhookEvent.objects.get(provider=provider, event_key=f"{event}:{identity}"[:200])
    if record.processed_at is not None:
        return "duplicate"
    result = handler(data)
    WebhookEvent.objects.filter(pk=record.pk, processed_at__isnull=True).update(processed_at=timezone.now(),
                                                                                 result=result[:200])
    return result
