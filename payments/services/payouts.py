"""Payouts: an approved withdrawal paid out through Paystack Transfers (background task, SPEC §6.6).

No row lock is held during a gateway call; every state change goes through ``withdrawals``.
"""
import logging

from django.utils import timezone

from core.errors import GatewayError, GatewayUnavailable

from ..gateways import PaystackClient
from ..models import Transaction, WithdrawalRequest
from .withdrawals import withdrawal_complete, withdrawal_fail, withdrawal_start_transfer

logger = logging.getLogger(__name__)

Status = WithdrawalRequest.Status
TRANSFER_ATTEMPTS = 3


def _normalise_name(name: str) -> str:
    return " ".join(str(name or "").split()).casefold()


def _ensure_recipient(client: PaystackClient, withdrawal: WithdrawalRequest) -> WithdrawalRequest | None:
    """Resolve the account (its name must match the payment method's) and create the transfer recipient.
    Returns the failed withdrawal when the bank or Paystack conclusively refuses, None when ready."""
    dest = withdrawal.destination_details or {}
    try:
        resolved = client.resolve_account(account_number=dest.get("account_number", ""),
                                          bank_code=dest.get("bank_code", ""))
    except GatewayUnavailable:
        raise
    except GatewayError as exc:
        return withdrawal_fail(withdrawal_id=withdrawal.pk, reason=f"Bank account could not be verified: {exc.message}")
    if _normalise_name(resolved) != _normalise_name(dest.get("account_name", "")):
        return withdrawal_fail(withdrawal_id=withdrawal.pk,
                               reason=f"Account name mismatch: the bank has {resolved!r}, "
                                      f"the payment method says {dest.get('account_name', '')!r}.")
    try:
        recipient = client.create_recipient(name=resolved, account_number=dest.get("account_number", ""),
                                            bank_code=dest.get("bank_code", ""))
    except GatewayUnavailable:
        raise
    except GatewayError as exc:
        return withdrawal_fail(withdrawal_id=withdrawal.pk, reason=f"Transfer recipient refused: {exc.message}")
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
    withdrawal = WithdrawalRequest.objects.select_related("entrepreneur__user").get(pk=withdrawal_id)
    if withdrawal.status not in (Status.APPROVED, Status.PROCESSING) or withdrawal.transfer_code:
        return withdrawal
    client = PaystackClient()
    may_have_sent = withdrawal.status == Status.PROCESSING  # an earlier attempt may have reached Paystack

    if not withdrawal.recipient_code:
        refused = _ensure_recipient(client, withdrawal)
        if refused is not None:
            return refused

    locked = withdrawal_start_transfer(withdrawal_id=withdrawal.pk)
    if locked.status != Status.PROCESSING or locked.transfer_code:
        return locked

    result = None
    last_error = None
    for _attempt in range(TRANSFER_ATTEMPTS):
        try:
            result = client.transfer(amount=withdrawal.net_amount, recipient_code=withdrawal.recipient_code,
                                     reference=withdrawal.reference_id, reason=f"Payjaro payout {withdrawal.reference_id}")
            break
        except GatewayUnavailable as exc:
            may_have_sent = True
            last_error = exc
        except GatewayError as exc:
            if may_have_sent:  # e.g. "duplicate reference" after a timeout: the webhook will tell us
                logger.warning("payout %s: %s after an inconclusive attempt; waiting for the webhook",
                               withdrawal.reference_id, exc.message)
                return withdrawal
            return withdrawal_fail(withdrawal_id=withdrawal.pk, reason=f"Transfer refused: {exc.message}")
    if result is None:
        logger.warning("payout %s inconclusive after retries: %s", withdrawal.reference_id, last_error)
        return WithdrawalRequest.objects.get(pk=withdrawal.pk)

    WithdrawalRequest.objects.filter(pk=withdrawal.pk).update(transfer_code=result["transfer_code"],
                                                              updated_at=timezone.now())
    Transaction.objects.filter(transaction_id=withdrawal.reference_id).update(
        provider_reference=result["transfer_code"], updated_at=timezone.now())
    if result["status"] == "success":
        return withdrawal_complete(withdrawal_id=withdrawal.pk, transfer_code=result["transfer_code"])
    if result["status"] in ("failed", "reversed", "abandoned"):
        return withdrawal_fail(withdrawal_id=withdrawal.pk, reason=f"Transfer {result['status']}")
    return WithdrawalRequest.objects.get(pk=withdrawal.pk)
