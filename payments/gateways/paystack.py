"""Paystack REST client (https://paystack.com/docs/api/). Amounts go out as integer kobo."""
import hashlib
import hmac
from decimal import Decimal

from django.conf import settings

from core.errors import GatewayError
from core.money import CURRENCY, from_kobo, to_kobo

from .base import FAILED, PENDING, SUCCESS, HttpClient, InitializeResult, RefundResult, Verification

_STATUS = {
    "success": SUCCESS,
    "failed": FAILED,
    # "abandoned": the shopper has not finished — pending until the order's reservation runs out (charges).
    "reversed": FAILED,
}


def verify_signature(raw_body: bytes, signature: str | None, secret_key: str | None = None) -> bool:
    """``x-paystack-signature`` is the hex HMAC-SHA512 of the raw body keyed with the secret key."""
    secret = secret_key if secret_key is not None else settings.PAYSTACK_SECRET_KEY
    if not signature or not secret:
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha512).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


class PaystackClient(HttpClient):
    name = "paystack"

    def __init__(self):
        super().__init__(base_url=settings.PAYSTACK_BASE_URL, secret_key=settings.PAYSTACK_SECRET_KEY)

    def _data(self, body: dict) -> dict:
        if body.get("status") is not True or not isinstance(body.get("data"), dict):
            raise GatewayError(f"Paystack: {body.get('message') or 'unexpected answer'}")
        return body["data"]

    # --- charges ---
    def initialize(self, *, reference: str, amount: Decimal, email: str, callback_url: str = "",
                   metadata: dict | None = None, **_customer) -> InitializeResult:
        payload = {"email": email, "amount": to_kobo(amount), "currency": CURRENCY, "reference": reference,
                   "metadata": metadata or {}}
        if callback_url:
            payload["callback_url"] = callback_url
        data = self._data(self.request("POST", "/transaction/initialize", json=payload))
        url = data.get("authorization_url")
        if not url:
            raise GatewayError("Paystack did not return an authorization URL.")
        return InitializeResult(payment_url=url, reference=data.get("reference") or reference, raw=data)

    def verify(self, reference: str) -> Verification:
        data = self._data(self.request("GET", f"/transaction/verify/{reference}"))
        gateway_status = str(data.get("status") or "")
        return Verification(
            status=_STATUS.get(gateway_status, PENDING),
            amount=naira_from_kobo(data.get("amount")),
            currency=str(data.get("currency") or ""),
            provider_reference=str(data.get("id") or ""),
            gateway_status=gateway_status,
            raw={k: data.get(k) for k in ("id", "status", "reference", "amount", "currency", "paid_at",
                                          "gateway_response", "channel")},
        )

    def refund(self, *, reference: str, amount: Decimal, provider_reference: str = "") -> RefundResult:
        """``POST /refund``. Paystack answers ``pending`` (or ``processing``): the money is on its way, not back
        yet — ``refund.processed`` (webhook) or ``fetch_refund`` says when it is."""
        payload = {"transaction": provider_reference or reference, "amount": to_kobo(amount)}
        return _refund_result(self._data(self.request("POST", "/refund", json=payload)))

    def fetch_refund(self, refund_id: str) -> RefundResult:
        """``GET /refund/:id``: the refund's current status."""
        return _refund_result(self._data(self.request("GET", f"/refund/{refund_id}")))

    def list_refunds(self, *, transaction: str) -> list[RefundResult]:
        """``GET /refund?transaction=``: the refunds Paystack already holds for a charge (checked before a retry). Only
        those that name this charge (by its id or our reference) are kept: should the filter be ignored, another
        charge's refund is never taken for ours."""
        body = self.request("GET", "/refund", params={"transaction": transaction})
        if body.get("status") is not True or not isinstance(body.get("data"), list):
            raise GatewayError(f"Paystack: {body.get('message') or 'unexpected answer'}")
        return [_refund_result(item) for item in body["data"]
                if isinstance(item, dict) and transaction in _charge_names(item.get("transaction"))]

    # --- transfers (payouts) ---
    def resolve_account(self, *, account_number: str, bank_code: str, expected_name: str = "") -> str:
        """The bank's name for the account (``expected_name`` is only for the sandbox; Paystack tells us)."""
        data = self._data(self.request("GET", "/bank/resolve",
                                       params={"account_number": account_number, "bank_code": bank_code}))
        return str(data.get("account_name") or "")

    def create_recipient(self, *, name: str, account_number: str, bank_code: str) -> str:
        payload = {"type": "nuban", "name": name, "account_number": account_number, "bank_code": bank_code,
                   "currency": CURRENCY}
        data = self._data(self.request("POST", "/transferrecipient", json=payload))
        code = data.get("recipient_code")
        if not code:
            raise GatewayError("Paystack did not return a recipient code.")
        return str(code)

    def transfer(self, *, amount: Decimal, recipient_code: str, reference: str, reason: str = "") -> dict:
        """Start a transfer. ``reference`` must be lowercase, ≥ 16 chars; re-sending it never pays twice.
        ``status`` is ``pending`` (or ``success``), or ``otp`` when the integration requires an OTP."""
        payload = {"source": "balance", "amount": to_kobo(amount), "recipient": recipient_code,
                   "reference": reference, "currency": CURRENCY, "reason": reason}
        return _transfer_result(self._data(self.request("POST", "/transfer", json=payload)), reference)

    def finalize_transfer(self, *, transfer_code: str, otp: str) -> dict:
        """``POST /transfer/finalize_transfer`` with the OTP Paystack sent to the business phone."""
        data = self._data(self.request("POST", "/transfer/finalize_transfer",
                                       json={"transfer_code": transfer_code, "otp": otp}))
        return _transfer_result(data, "")

    def resend_transfer_otp(self, *, transfer_code: str) -> None:
        """``POST /transfer/resend_otp`` (reason ``transfer``): a new OTP for a transfer waiting for one (the first
        expired, or never reached the business phone). The answer carries no ``data``: ``status`` true is the yes."""
        body = self.request("POST", "/transfer/resend_otp", json={"transfer_code": transfer_code, "reason": "transfer"})
        if body.get("status") is not True:
            raise GatewayError(f"Paystack: {body.get('message') or 'unexpected answer'}")

    def verify_transfer(self, reference: str) -> dict:
        """``GET /transfer/verify/:reference``: where a payout is (success, failed, reversed, pending, otp…)."""
        return _transfer_result(self._data(self.request("GET", f"/transfer/verify/{reference}")), reference)


_REFUND_STATUS = {"processed": SUCCESS, "failed": FAILED}


def naira_from_kobo(value) -> Decimal | None:
    """An amount Paystack sent (an integer of kobo) in naira; ``None`` for anything else (missing, a string, true)."""
    return from_kobo(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _charge_names(charge) -> set[str]:
    """The names a refund's ``transaction`` gives its charge: the id and the reference (an object), or the id."""
    if isinstance(charge, dict):
        return {str(value) for value in (charge.get("id"), charge.get("reference")) if value not in (None, "")}
    return {str(charge)} if charge not in (None, "") else set()


def _refund_result(data: dict) -> RefundResult:
    status = str(data.get("status") or "pending")
    transaction = data.get("transaction") if isinstance(data.get("transaction"), dict) else {}
    return RefundResult(status=_REFUND_STATUS.get(status, PENDING), provider_reference=str(data.get("id") or ""),
                        amount=naira_from_kobo(data.get("amount")),
                        raw={"id": data.get("id"), "status": status, "amount": data.get("amount"),
                             "transaction": transaction.get("id") or data.get("transaction"),
                             "refund_reference": data.get("refund_reference"),
                             "expected_at": data.get("expected_at")})


def _transfer_result(data: dict, reference: str) -> dict:
    return {"status": str(data.get("status") or ""), "transfer_code": str(data.get("transfer_code") or ""),
            "reference": str(data.get("reference") or reference), "reason": str(data.get("reason") or "")}
