"""Every write the payments app does, by sub-domain:

- ``initialize``       a pending payment Transaction and the gateway's checkout URL
- ``charges``          confirm a payment from the gateway's answer (webhook, verify, sandbox)
- ``reconciliation``   the periodic run that settles what webhooks missed, stuck refunds and payouts
- ``cod``              pay on delivery: the cash the supplier collected, booked when it is recorded
- ``earnings``         recorded at payment confirmation, released after delivery, reversed on cancel/return
- ``refunds``          refunds of paid orders that were cancelled or returned
- ``withdrawals``      the withdrawal rules and status machine (a transitions table), request, admin decision
- ``withdrawal_outcomes``  what a payout's outcome does (start, complete, fail, reversed, OTP)
- ``payouts``          the Paystack Transfers call for an approved withdrawal
- ``wallets``          locked wallet rows, journals that move them (``wallet_journal_post``) and the one entry
                       point for supplier-wallet movements outside the paid-order flow (``supplier_wallet_post``)
- ``payment_methods``  payout destinations

Lock order everywhere: payment Transaction → Order → Wallet (entrepreneur's, then supplier's), and
WithdrawalRequest → Wallet.
Gateway HTTP calls happen with no row lock held.
"""
from .charges import payment_confirm, payment_verify_for_user, sandbox_checkout_complete
from .earnings import (
    earnings_record_payment,
    earnings_release_matured,
    earnings_release_order,
    earnings_reverse_for_order,
)
from .initialize import new_payment_reference, payment_initialize
from .payment_methods import payment_method_create, payment_method_deactivate, payment_method_update
from .payouts import payouts_check, withdrawal_finalize_otp, withdrawal_payout_execute, withdrawal_resend_otp
from .reconciliation import payments_reconcile
from .refunds import (
    payment_refund_process,
    refund_apply_result,
    refund_for_gateway_event,
    refund_retry,
    refund_schedule,
)
from .wallets import supplier_wallet_post, wallet_add, wallet_journal_post, wallet_lock
from .withdrawal_outcomes import withdrawal_complete, withdrawal_fail, withdrawal_start_transfer
from .withdrawals import (
    MIN_WITHDRAWAL,
    MIN_WITHDRAWAL_FEE,
    WITHDRAWAL_FEE_RATE,
    WITHDRAWAL_TRANSITIONS,
    withdrawal_approve,
    withdrawal_can_move,
    withdrawal_create,
    withdrawal_fee,
    withdrawal_reject,
)

__all__ = [
    "MIN_WITHDRAWAL", "MIN_WITHDRAWAL_FEE", "WITHDRAWAL_FEE_RATE", "WITHDRAWAL_TRANSITIONS",
    "earnings_record_payment", "earnings_release_matured", "earnings_release_order", "earnings_reverse_for_order",
    "new_payment_reference", "payment_confirm", "payment_initialize", "payment_method_create",
    "payment_method_deactivate", "payment_method_update", "payment_refund_process", "payment_verify_for_user",
    "payments_reconcile", "refund_schedule", "sandbox_checkout_complete", "supplier_wallet_post", "wallet_add",
    "wallet_journal_post", "wallet_lock",
    "withdrawal_approve", "withdrawal_can_move", "withdrawal_complete", "withdrawal_create", "withdrawal_fail",
    "withdrawal_fee", "withdrawal_payout_execute", "withdrawal_reject", "withdrawal_resend_otp", "withdrawal_start_transfer",
    "payouts_check", "withdrawal_finalize_otp", "refund_apply_result", "refund_for_gateway_event", "refund_retry",
]
