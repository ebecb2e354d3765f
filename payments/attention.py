"""What an admin must look at now — Django admin's "Needs attention" page (``TransactionAdmin``):

- payments flagged at confirmation: amount or currency not what the order asked, or a payment that came
  for an order no longer payable whose automatic refund has not come back yet (once it has, the payment
  is ``reversed`` and leaves the list);
- withdrawals waiting for the OTP Paystack sent (``otp_required``) — action "Finalize with OTP";
- refunds the gateway refused or failed (``failed``, flagged) — action "Retry refund".

Everything else (pending payments, processing payouts, pending refunds) is settled by the periodic jobs.
"""
from .models import Transaction, WithdrawalRequest

TxType = Transaction.TransactionType
TxStatus = Transaction.Status


def flagged_payments():
    return (Transaction.objects.filter(transaction_type=TxType.PAYMENT, flagged=True)
            .exclude(status=TxStatus.REVERSED).select_related("order", "checkout", "user").order_by("-created_at"))


def withdrawals_awaiting_otp():
    return (WithdrawalRequest.objects.filter(status=WithdrawalRequest.Status.OTP_REQUIRED)
            .select_related("entrepreneur").order_by("created_at"))


def failed_refunds():
    return (Transaction.objects.filter(transaction_type=TxType.REFUND, status=TxStatus.FAILED)
            .select_related("order", "user").order_by("-created_at"))
