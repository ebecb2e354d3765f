"""The offline sandbox "gateway" (development only, ``PAYMENTS_SANDBOX``).

Its checkout page is ours; the shopper's Pay/Fail click is stored on the transaction and this
client's ``verify`` reports it with the order's exact amount — so the confirm service runs unchanged.
"""
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from core.money import CURRENCY

from .base import FAILED, PENDING, SUCCESS, InitializeResult, RefundResult, Verification


class SandboxClient:
    name = "sandbox"

    def initialize(self, *, reference: str, amount: Decimal, email: str, callback_url: str = "",
                   metadata: dict | None = None, **kwargs) -> InitializeResult:
        path = reverse("payments:sandbox-checkout", kwargs={"reference": reference})
        return InitializeResult(payment_url=f"{settings.PUBLIC_BASE_URL}{path}", reference=reference)

    def verify(self, reference: str) -> Verification:
        from payments.models import Transaction

        txn = Transaction.objects.select_related("order").get(transaction_id=reference)
        outcome = (txn.metadata or {}).get("sandbox_outcome")
        status = {"pay": SUCCESS, "fail": FAILED}.get(outcome, PENDING)
        return Verification(status=status, amount=txn.order.total_amount if txn.order_id else txn.amount,
                            currency=CURRENCY, provider_reference=f"sbx_{reference}".lower(), gateway_status=outcome or "")

    def refund(self, *, reference: str, amount: Decimal, provider_reference: str = "") -> RefundResult:
        return RefundResult(status=SUCCESS, provider_reference=f"sbx_refund_{reference}".lower(),
                            raw={"status": "processed"}, amount=amount)

    def fetch_refund(self, refund_id: str) -> RefundResult:
        return RefundResult(status=SUCCESS, provider_reference=refund_id, raw={"status": "processed"})

    def list_refunds(self, *, transaction: str) -> list[RefundResult]:
        return []


class SandboxTransferClient:
    """Offline payouts (SPEC §6.10): with the sandbox on and no Paystack key, an approved withdrawal goes
    through the same steps as with Paystack Transfers — resolve → recipient → transfer → success — and
    every step answers at once, so the demo's money loop finishes without the network."""

    name = "sandbox"

    def resolve_account(self, *, account_number: str, bank_code: str, expected_name: str = "") -> str:
        return expected_name or f"Sandbox account {account_number}"

    def create_recipient(self, *, name: str, account_number: str, bank_code: str) -> str:
        return f"RCP_sandbox_{bank_code}_{account_number}"

    def transfer(self, *, amount: Decimal, recipient_code: str, reference: str, reason: str = "") -> dict:
        return {"status": "success", "transfer_code": f"TRF_sandbox_{reference}", "reference": reference,
                "reason": reason}

    def finalize_transfer(self, *, transfer_code: str, otp: str) -> dict:
        return {"status": "success", "transfer_code": transfer_code, "reference": "", "reason": ""}

    def resend_transfer_otp(self, *, transfer_code: str) -> None:
        return None  # a sandbox transfer never waits for an OTP

    def verify_transfer(self, reference: str) -> dict:
        return {"status": "success", "transfer_code": f"TRF_sandbox_{reference}", "reference": reference,
                "reason": ""}
