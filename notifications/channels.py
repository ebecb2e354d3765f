"""How a message travels: email through Django's email backend (console in development, locmem in tests),
SMS through Twilio's REST API with ``requests`` — skipped cleanly when ``TWILIO_*`` is not configured."""
import requests
from django.conf import settings
from django.core.mail import send_mail

from core.errors import GatewayError, GatewayUnavailable

TWILIO_TIMEOUT_SECONDS = 10


class SmsRejected(Exception):
    """Twilio refused the message itself (bad number, unverified sender…): retrying will not help."""


def sms_configured() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_PHONE_NUMBER)


def email_send(*, to: str, subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)


def sms_send(*, to: str, body: str) -> str:
    """Send one SMS through Twilio's Messages API; returns the message SID.

    Raises GatewayUnavailable (timeouts, connection errors, 429 and 5xx — worth retrying),
    GatewayError (an unreadable answer) or SmsRejected (a 4xx: the request itself is wrong).
    """
    sid = settings.TWILIO_ACCOUNT_SID
    url = f"{settings.TWILIO_BASE_URL}/2010-04-01/Accounts/{sid}/Messages.json"
    try:
        response = requests.post(
            url, auth=(sid, settings.TWILIO_AUTH_TOKEN),
            data={"To": to, "From": settings.TWILIO_PHONE_NUMBER, "Body": body}, timeout=TWILIO_TIMEOUT_SECONDS,
        )
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise GatewayUnavailable("The SMS gateway could not be reached.") from exc
    except requests.RequestException as exc:
        raise GatewayError("The SMS gateway request failed.") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise GatewayUnavailable(f"The SMS gateway answered {response.status_code}.")
    if response.status_code >= 400:
        raise SmsRejected(f"Twilio refused the message ({response.status_code}): {response.text[:300]}")
    try:
        return str(response.json().get("sid", ""))
    except ValueError as exc:
        raise GatewayError("The SMS gateway returned an unreadable answer.") from exc
