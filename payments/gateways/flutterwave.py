"""Flutterwave v3 REST client (https://developer.flutterwave.com/). Amounts go out in naira."""
import base64
import hashlib
import hmac
from decimal import Decimal, InvalidOperation

from django.conf import settings

from core.errors import GatewayError
from core.money import CURRENCY, quantize

from .base import FAILED, PENDING, SUCCESS, HttpClient, InitializeResult, RefundResult, Verification

_STATUS = {"successful": SUCCESS, "failed": FAILED, "cancelled": FAILED}


def verify_signature(raw_body: bytes, *, verif_hash: str | None, signature: str | None,
                     secret_hash: str | None = None) -> bool:
    """Accepted when either header proves the sender knows the secret hash: the classic ``verif-hash``
    equal to it, or the newer ``flutterwave-signature`` (base64 HMAC-SHA256 of the raw body keyed with it).
    A stale or malformed one of the two does not veto a valid other (both come from the same secret)."""
    secret = secret_hash if secret_hash is not None else settings.FLUTTERWAVE_SECRET_HASH
    if not secret:
        return False
    if signature:
        expected = base64.b64encode(hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()).decode()
        if hmac.compare_digest(expected.encode(), signature.strip().encode()):
            return True
    if verif_hash:
        return hmac.compare_digest(secret.encode(), verif_hash.strip().encode())
    return False


def transaction_id_from_event(data: dict) -> str:
    """Flutterwave's numeric transaction id from a webhook's ``data`` ("" when absent or not an id)."""
    value = data.get("id")
    if isinstance(value, bool) or value is None:
        return ""
    text = str(value).strip()
    return text if text.isascii() and text.isdigit() and len(text) <= 20 else ""


def naira(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        # Flutterwave sends JSON numbers; str() of the parsed value keeps what was written, never a float sum.
        return quantize(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


class FlutterwaveClient(HttpClient):
    name = "flutterwave"

    def __init__(self):
        super().__init__(base_url=settings.FLUTTERWAVE_BASE_URL, secret_key=settings.FLUTTERWAVE_SECRET_KEY)

    def _data(self, body: dict) -> dict:
        if body.get("status") != "success" or not isinstance(body.get("data"), dict):
            raise GatewayError(f"Flutterwave: {body.get('message') or 'unexpected answer'}")
        return body["data"]

    def initialize(self, *, reference: str, amount: Decimal, email: str, callback_url: str = "",
                   metadata: dict | None = None, customer_name: str = "", phone_number: str = "") -> InitializeResult:
        payload = {
            "tx_ref": reference,
            "amount": str(quantize(amount)),
            "currency": CURRENCY,
            "redirect_url": callback_url or f"{settings.FRONTEND_URL or settings.PUBLIC_BASE_URL}/payment/callback",
            "customer": {"email": email, "phonenumber": phone_number, "name": customer_name or email},
            "customizations": {"title": "Payjaro", "description": f"Payment {reference}"},
            "meta": metadata or {},
        }
        data = self._data(self.request("POST", "/payments", json=payload))
        link = data.get("link")
        if not link:
            raise GatewayError("Flutterwave did not return a payment link.")
        return InitializeResult(payment_url=link, reference=reference, raw=data)

    def verify(self, reference: str, *, transaction_id: str = "") -> Verification:
        """By Flutterwave's transaction id when we have it (``GET /transactions/:id/verify``), else by our
        reference (``GET /transactions/verify_by_reference``). Either way the answer must be for ``reference``."""
        if transaction_id:
            body = self.request("GET", f"/transactions/{transaction_id}/verify")
        else:
            body = self.request("GET", "/transactions/verify_by_reference", params={"tx_ref": reference})
        data = self._data(body)
        if data.get("tx_ref") != reference:
            raise GatewayError("Flutterwave verified a different transaction reference.")
        gateway_status = str(data.get("status") or "")
        return Verification(
            status=_STATUS.get(gateway_status, PENDING),
            amount=naira(data.get("amount")),
            currency=str(data.get("currency") or ""),
            provider_reference=str(data.get("id") or ""),
            gateway_status=gateway_status,
            raw={k: data.get(k) for k in ("id", "tx_ref", "flw_ref", "status", "amount", "currency",
                                          "charged_amount", "created_at")},
        )

    def refund(self, *, reference: str, amount: Decimal, provider_reference: str = "") -> RefundResult:
        """``POST /transactions/:id/refund``; ``completed`` means the money went back, ``pending`` not yet."""
        if not provider_reference:
            raise GatewayError("Flutterwave refunds need the Flutterwave transaction id.")
        data = self._data(self.request("POST", f"/transactions/{provider_reference}/refund",
                                       json={"amount": str(quantize(amount))}))
        return _refund_result(data)

    def fetch_refund(self, refund_id: str) -> RefundResult:
        """``GET /refunds/:id``."""
        return _refund_result(self._data(self.request("GET", f"/refunds/{refund_id}")))

    def list_refunds(self, *, transaction: str) -> list[RefundResult]:
        """``GET /refunds?id=<transaction id>``: refunds Flutterwave already holds for the charge. Only those
        whose ``tx_id`` is that charge are kept: a list that ignored the filter must never let a retry adopt
        another charge's refund (and book money as returned that never was)."""
        body = self.request("GET", "/refunds", params={"id": transaction})
        if body.get("status") != "success" or not isinstance(body.get("data"), list):
            raise GatewayError(f"Flutterwave: {body.get('message') or 'unexpected answer'}")
        return [_refund_result(item) for item in body["data"]
                if isinstance(item, dict) and str(item.get("tx_id") or "") == str(transaction)]


_REFUND_STATUS = {"completed": SUCCESS, "successful": SUCCESS, "failed": FAILED}


def _refund_result(data: dict) -> RefundResult:
    status = str(data.get("status") or "pending").lower()
    return RefundResult(status=_REFUND_STATUS.get(status, PENDING), provider_reference=str(data.get("id") or ""),
                        amount=naira(data.get("amount_refunded")),
                        raw={"id": data.get("id"), "status": status, "amount_refunded": data.get("amount_refunded"),
                             "tx_id": data.get("tx_id")})
