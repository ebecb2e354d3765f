"""Payouts: an approved withdrawal paid out through Paystack Transfers (background task, SPEC §6.6, §6.9,
§6.10) — or, sandbox on and no Paystack key, through the offline sandbox transfer client, same steps.

Every payout reaches a final state: ``otp`` → otp_required (an admin finalizes with the OTP), a lost
webhook is made up for by ``payouts_check`` (``GET /transfer/verify/:reference``), and a 429 or 5xx is
retried with backoff and never taken as an answer. No row lock is held during a gateway call; every
state change goes through ``withdrawals``.
"""
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from core.errors import GatewayError, GatewayUnavailable, InvalidTransition, ValidationFailed

from ..gateways import transfer_client, unanswered_call_window
from ..models import Transaction, WithdrawalRequest
from .withdrawal_outcomes import (
    withdrawal_complete,
    withdrawal_fail,
    withdrawal_otp_accepted,
    withdrawal_require_otp,
    withdrawal_start_transfer,
)

logger = logging.getLogger(__name__)

Status = WithdrawalRequest.Status
TRANSFER_ATTEMPTS = 3
PAYOUTS_CHECK_PER_RUN = 200  # withdrawals verified by one payouts_check run (the least recently checked first)
# Paystack's words for a transfer that will not pay (the funds come back to the wallet).
TRANSFER_FAILED = frozenset({"failed", "reversed", "abandoned", "rejected", "blocked"})


def _with_backoff(call, *, what: str, unanswered: list | None = None):
    """``call()`` up to TRANSFER_ATTEMPTS times while the gateway is unavailable (timeout, 5xx, 429),
    waiting PAYOUT_RETRY_BACKOFF_SECONDS × 1, 2, 4… between tries. Re-raises the last GatewayUnavailable.
    Each inconclusive attempt is appended to ``unanswered`` when given (it may have reached the gateway)."""
    delay = float(settings.PAYOUT_RETRY_BACKOFF_SECONDS)
    for attempt in range(TRANSFER_ATTEMPTS):
        try:
            return call()
        except GatewayUnavailable as exc:
            logger.warning("%s: attempt %d unavailable: %s", what, attempt + 1, exc.message)
            if unanswered is not None:
                unanswered.append(exc)
            if attempt == TRANSFER_ATTEMPTS - 1:
                raise
            if delay > 0:
                time.sleep(delay * 2 ** attempt)
    raise AssertionError("unreachable")


def _normalise_name(name: str) -> str:
    return " ".join(str(name or "").split()).casefold()


def _ensure_recipient(client, withdrawal: WithdrawalRequest) -> WithdrawalRequest | None:
    """Resolve the account (its name must match the payment method's) and create the transfer recipient.
    Returns the failed withdrawal when the bank or Paystack conclusively refuses, None when ready. A refusal fails
    the withdrawal only while it is still approved: a run racing this one may have moved it to processing and sent
    the transfer meanwhile (it returns the withdrawal as that run left it)."""
    dest = withdrawal.destination_details or {}

    def refused(reason: str) -> WithdrawalRequest:
        return withdrawal_fail(withdrawal_id=withdrawal.pk, reason=reason, only_from=(Status.APPROVED,))

    try:
        resolved = client.resolve_account(account_number=dest.get("account_number", ""),
                                          bank_code=dest.get("bank_code", ""),
                                          expected_name=dest.get("account_name", ""))
    except GatewayUnavailable:
        raise
    except GatewayError as exc:
        return refused(f"Bank account could not be verified: {exc.message}")
    if _normalise_name(resolved) != _normalise_name(dest.get("account_name", "")):
        return refused(f"Account name mismatch: the bank has {resolved!r}, "
                       f"the payment method says {dest.get('account_name', '')!r}.")
    try:
        recipient = client.create_recipient(name=resolved, account_number=dest.get("account_number", ""),
                                            bank_code=dest.get("bank_code", ""))
    except GatewayUnavailable:
        raise
    except GatewayError as exc:
        return refused(f"Transfer recipient refused: {exc.message}")
    WithdrawalRequest.objects.filter(pk=withdrawal.pk).update(recipient_code=recipient, updated_at=timezone.now())
    withdrawal.recipient_code = recipient
    return None


def withdrawal_payout_execute(*, withdrawal_id) -> WithdrawalRequest:
    """Background payout of an approved withdrawal through Paystack Transfers.

    resolve account (name must match the payment method's) → recipient → processing → transfer.
    A conclusive refusal fails the withdrawal and returns the funds. An inconclusive answer (timeout,
    5xx) is retried with the SAME reference — Paystack never pays one reference twice — and the
    withdrawal stays processing until a retry or the transfer webhook settles it.
    """
    withdrawal = WithdrawalRequest.objects.select_related("user").get(pk=withdrawal_id)
    if withdrawal.status not in (Status.APPROVED, Status.PROCESSING) or withdrawal.transfer_code:
        return withdrawal
    client = transfer_client()

    if not withdrawal.recipient_code:
        refused = _ensure_recipient(client, withdrawal)
        if refused is not None:
            return refused

    locked, started = withdrawal_start_transfer(withdrawal_id=withdrawal.pk, provider=client.name)
    if locked.status != Status.PROCESSING or locked.transfer_code:
        return locked
    # Not started here: another run (a redelivered task, reconciliation) moved it to processing and may be sending
    # this very reference, or an earlier attempt's answer was lost. Sending it again is safe (Paystack never pays
    # one reference twice); taking a refusal of it as final is not, while that send may still be in flight. Each
    # send is claimed first (updated_at moved on from what this run read): the time it moved from is the last send
    # (or the move to processing), and a run that lost the claim leaves the sending to the run that won it.
    seen = locked.updated_at
    if not _claim_send(withdrawal.pk, seen):
        logger.info("payout %s: another run is sending it", withdrawal.reference_id)
        return WithdrawalRequest.objects.get(pk=withdrawal.pk)
    sent_since = None if started else seen

    def send():
        return client.transfer(amount=withdrawal.net_amount, recipient_code=withdrawal.recipient_code,
                               reference=withdrawal.reference_id, reason=f"Payjaro payout {withdrawal.reference_id}")

    unanswered: list = []
    try:
        result = _with_backoff(send, what=f"payout {withdrawal.reference_id}", unanswered=unanswered)
    except GatewayUnavailable as exc:
        # Inconclusive: it may have reached Paystack. Left processing; the same reference is sent again by
        # reconciliation, and payouts_check / the webhook tell the outcome.
        logger.warning("payout %s inconclusive after retries: %s", withdrawal.reference_id, exc.message)
        return WithdrawalRequest.objects.get(pk=withdrawal.pk)
    except GatewayError as exc:
        if unanswered:
            sent_since = timezone.now()  # this run's own unanswered attempt may be in flight
        return _after_refusal(client, withdrawal, exc, sent_since=sent_since)

    _record_transfer_code(withdrawal, result.get("transfer_code", ""))
    return _apply_transfer_status(withdrawal.pk, result, source="transfer")


def _claim_send(withdrawal_id: int, seen_updated_at) -> bool:
    """Claim this run's transfer call: ``updated_at`` moved from what this run read to now, while the withdrawal is
    processing with no transfer code (one compare-and-set ``UPDATE``). It also stamps the send: reconciliation sends
    the reference again, and ``payouts_check`` verifies it, only a while after the last send."""
    return WithdrawalRequest.objects.filter(pk=withdrawal_id, status=Status.PROCESSING, transfer_code="",
                                            updated_at=seen_updated_at).update(updated_at=timezone.now()) == 1


def _record_transfer_code(withdrawal: WithdrawalRequest, transfer_code: str) -> None:
    """The gateway's code for our transfer, on the withdrawal (from then on ``payouts_check`` follows it and
    reconciliation no longer re-sends it) and on its payout Transaction."""
    if not transfer_code:
        return
    now = timezone.now()
    WithdrawalRequest.objects.filter(pk=withdrawal.pk, transfer_code="").update(transfer_code=transfer_code,
                                                                                 updated_at=now)
    Transaction.objects.filter(transaction_id=withdrawal.reference_id).update(provider_reference=transfer_code,
                                                                              updated_at=now)


def _is_not_found(exc: GatewayError) -> bool:
    """Paystack's answer for a reference it holds no transfer under: 404, "Transfer not found"."""
    return (exc.details or {}).get("status_code") == 404 or "not found" in exc.message.casefold()


def _after_refusal(client, withdrawal: WithdrawalRequest, refusal: GatewayError, *,
                   sent_since) -> WithdrawalRequest:
    """The transfer call was refused (4xx). Final — the withdrawal fails and the funds go back — only when Paystack
    holds no transfer under our reference: a run racing this one, or an earlier attempt whose answer was lost,
    may have sent it, and Paystack refuses the second copy ("reference already exists") while paying the first.
    So the reference is verified first, and what Paystack says of it applies; when it cannot say, the withdrawal
    stays processing for ``payouts_check`` and the webhook. ``sent_since``: when a copy that may have reached
    Paystack was sent (None: none was, before this refused call); while it may still be in flight
    (``unanswered_call_window``) a "not found" is not final either — reconciliation sends the reference again later,
    and a refusal then, with Paystack still holding nothing, fails it."""
    reference = withdrawal.reference_id
    try:
        result = _with_backoff(lambda: client.verify_transfer(reference), what=f"verify {reference}")
    except GatewayUnavailable as exc:
        logger.warning("payout %s refused (%s), and its verification unavailable (%s): left processing",
                       reference, refusal.message, exc.message)
        return WithdrawalRequest.objects.get(pk=withdrawal.pk)
    except GatewayError as exc:
        if not _is_not_found(exc):
            logger.warning("payout %s refused (%s); verification refused too (%s): left processing",
                           reference, refusal.message, exc.message)
            return WithdrawalRequest.objects.get(pk=withdrawal.pk)
        if sent_since is not None and timezone.now() - sent_since < unanswered_call_window():
            logger.warning("payout %s refused (%s) and not at Paystack yet, but a copy sent at %s may still be in "
                           "flight: left processing", reference, refusal.message, sent_since.isoformat())
            return WithdrawalRequest.objects.get(pk=withdrawal.pk)
        return withdrawal_fail(withdrawal_id=withdrawal.pk, reason=f"Transfer refused: {refusal.message}")
    logger.warning("payout %s: the transfer call was refused (%s) but Paystack holds the transfer (%s)",
                   reference, refusal.message, result.get("status"))
    _record_transfer_code(withdrawal, result.get("transfer_code", ""))
    return _apply_transfer_status(withdrawal.pk, result, source="verify")


def _apply_transfer_status(withdrawal_id: int, result: dict, *, source: str) -> WithdrawalRequest:
    """Move a withdrawal by the gateway's word on its transfer (transfer call, finalize, verify)."""
    status = result.get("status") or ""
    if status == "success":
        return withdrawal_complete(withdrawal_id=withdrawal_id, transfer_code=result.get("transfer_code", ""))
    if status in TRANSFER_FAILED:
        reason = f"Transfer {status} ({source})" + (f": {result['reason']}" if result.get("reason") else "")
        return withdrawal_fail(withdrawal_id=withdrawal_id, reason=reason, reversed_by_gateway=status == "reversed")
    if status == "otp":
        return withdrawal_require_otp(withdrawal_id=withdrawal_id, transfer_code=result.get("transfer_code", ""))
    # pending / processing / queued: not final yet. A withdrawal still waiting for its OTP here was finalized after
    # all (the finalize call's answer was lost): Paystack is paying it, back to processing.
    return withdrawal_otp_accepted(withdrawal_id=withdrawal_id)


def _waiting_for_otp(withdrawal_id) -> WithdrawalRequest:
    """The withdrawal, which must be waiting for its OTP with Paystack's transfer code (else 409)."""
    withdrawal = WithdrawalRequest.objects.get(pk=withdrawal_id)
    if withdrawal.status != Status.OTP_REQUIRED or not withdrawal.transfer_code:
        raise InvalidTransition(f"Withdrawal {withdrawal.reference_id} is {withdrawal.status}, not waiting for an OTP.")
    return withdrawal


def withdrawal_finalize_otp(*, withdrawal_id, otp: str, admin=None) -> WithdrawalRequest:
    """Django admin's "Finalize with OTP": ``POST /transfer/finalize_transfer`` with the OTP Paystack sent.
    A refused OTP leaves the withdrawal in otp_required (400 with Paystack's message); an accepted one
    completes it, or puts it back to processing until the webhook or ``payouts_check`` settles it."""
    otp = "".join(str(otp or "").split())
    if not (otp.isascii() and otp.isdigit()) or not 4 <= len(otp) <= 10:
        raise ValidationFailed("otp: Enter the OTP Paystack sent (digits).", details={"otp": ["Digits only."]})
    withdrawal = _waiting_for_otp(withdrawal_id)
    client = transfer_client()
    try:
        result = _with_backoff(lambda: client.finalize_transfer(transfer_code=withdrawal.transfer_code, otp=otp),
                               what=f"finalize {withdrawal.reference_id}")
    except GatewayUnavailable:
        raise
    except GatewayError as exc:
        raise ValidationFailed(f"Paystack refused the OTP: {exc.message}", details={"otp": [exc.message]})
    withdrawal = withdrawal_otp_accepted(withdrawal_id=withdrawal.pk, by=admin)
    return _apply_transfer_status(withdrawal.pk, result, source="finalize")


def withdrawal_resend_otp(*, withdrawal_id, admin=None) -> WithdrawalRequest:
    """Django admin's "Resend OTP": Paystack sends the business phone a new OTP for a transfer waiting for one (the
    first expired or never arrived), to finalize it with. A refusal is a 400 with Paystack's message — a transfer
    no longer waiting for an OTP is then settled by ``payouts_check`` from what Paystack says of it."""
    withdrawal = _waiting_for_otp(withdrawal_id)
    try:
        _with_backoff(lambda: transfer_client().resend_transfer_otp(transfer_code=withdrawal.transfer_code),
                      what=f"resend OTP {withdrawal.reference_id}")
    except GatewayUnavailable:
        raise
    except GatewayError as exc:
        raise ValidationFailed(f"Paystack refused to resend the OTP: {exc.message}",
                               details={"transfer_code": [exc.message]})
    logger.info("withdrawal %s: Paystack sent a new OTP (asked by %s)", withdrawal.reference_id,
                getattr(admin, "pk", None))
    return withdrawal


def payouts_check(*, now=None) -> dict:
    """Periodic (``manage.py check_payouts``): withdrawals still processing — or waiting for their OTP —
    PAYOUT_CHECK_AFTER_MINUTES after their last change (0 = all) are verified by our reference
    (``GET /transfer/verify/:reference``) and completed or failed, so a lost webhook never strands money — those
    whose transfer call went unanswered too (no transfer code yet: the transfer may have reached Paystack; its code
    is recorded when Paystack has it), and those finalized with an OTP whose answer was lost. A reference
    Paystack does not know is left to reconciliation, which sends it again. Each on its own: an unavailable
    gateway or an error is logged and the run goes on.

    At most PAYOUTS_CHECK_PER_RUN a run, the least recently checked first (never checked, then by ``checked_at``,
    stamped on each before its verification): when more stay processing than one run checks — transfers Paystack
    keeps pending through a bank's outage, references it does not know — every one still gets its turn."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYOUT_CHECK_AFTER_MINUTES)
    due = (WithdrawalRequest.objects.filter(status__in=(Status.PROCESSING, Status.OTP_REQUIRED), updated_at__lte=cutoff)
           .order_by(F("checked_at").asc(nulls_first=True), "updated_at", "pk")
           .values_list("pk", "reference_id", "transfer_code", "status")[:PAYOUTS_CHECK_PER_RUN])
    counts = {"checked": 0, "completed": 0, "failed": 0, "otp_required": 0, "pending": 0, "errors": 0}
    client = transfer_client()
    for withdrawal_id, reference, transfer_code, status in list(due):
        # Stamped first, whatever comes of it (an answer, a refusal, an error): its turn comes again after the others'.
        # Only this column: updated_at is reconciliation's clock for a resend.
        WithdrawalRequest.objects.filter(pk=withdrawal_id).update(checked_at=timezone.now())
        try:
            result = _with_backoff(lambda ref=reference: client.verify_transfer(ref), what=f"verify {reference}")
            if not transfer_code:
                _record_transfer_code(WithdrawalRequest(pk=withdrawal_id, reference_id=reference),
                                      result.get("transfer_code", ""))
            if status == Status.OTP_REQUIRED and result.get("status") == "otp":
                # Still waiting, as it was: nothing to apply — and nothing may be, for an admin may have finalized it
                # since it was read (back to processing: "otp" read before that must not undo it).
                counts["checked"] += 1
                counts["otp_required"] += 1
                continue
            withdrawal = _apply_transfer_status(withdrawal_id, result, source="verify")
        except GatewayError as exc:
            logger.warning("check_payouts: %s not verified: %s", reference, exc.message)
            counts["errors"] += 1
            continue
        except Exception:
            logger.exception("check_payouts: %s raised; skipped, the run goes on", reference)
            counts["errors"] += 1
            continue
        counts["checked"] += 1
        counts[withdrawal.status if withdrawal.status in counts else "pending"] += 1
    return counts
