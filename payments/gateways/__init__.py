"""Payment gateway clients. ``gateway_for(provider)`` is the one way services get a client."""
from core.errors import ValidationFailed

from .base import FAILED, PENDING, SUCCESS, InitializeResult, RefundResult, Verification, unanswered_call_window
from .flutterwave import FlutterwaveClient
from .paystack import PaystackClient
from .sandbox import SandboxClient, SandboxTransferClient

__all__ = ["FAILED", "PENDING", "SUCCESS", "InitializeResult", "RefundResult", "Verification", "gateway_for",
           "PaystackClient", "FlutterwaveClient", "SandboxClient", "SandboxTransferClient", "transfer_client",
           "unanswered_call_window"]


def gateway_for(provider: str):
    from django.conf import settings

    if provider == "paystack":
        return PaystackClient()
    if provider == "flutterwave":
        return FlutterwaveClient()
    if provider == "sandbox":
        if not settings.PAYMENTS_SANDBOX:
            raise ValidationFailed("The sandbox payment provider is disabled.", details={"provider": ["disabled"]})
        return SandboxClient()
    raise ValidationFailed(f"Unknown payment provider {provider!r}.", details={"provider": ["unknown"]})


def transfer_client():
    """Who pays withdrawals out: Paystack Transfers, or — sandbox on and no Paystack secret key — the offline
    sandbox transfer client that walks the same steps (SPEC §6.10)."""
    from django.conf import settings

    if settings.PAYMENTS_SANDBOX and not settings.PAYSTACK_SECRET_KEY:
        return SandboxTransferClient()
    return PaystackClient()
