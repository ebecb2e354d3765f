"""Notifications (email + SMS) sent by background tasks after commit.

``notify(event, **ids)`` is the one entry point for every app: it schedules the delivery with
``transaction.on_commit`` so that nothing is sent for a transaction that rolls back, and never
raises into the caller's request (a broker outage is logged, not turned into a 500 for a change
that has already been committed).

Delivery (``core.tasks``): ``send_notification`` loads the objects, renders the templates in
``templates/notifications/`` and enqueues one ``deliver_email`` / ``deliver_sms`` task per message,
so a retried SMS never re-sends an email. Email goes through Django's email backend (console in
development, locmem in tests); SMS through Twilio's REST API with ``requests``, skipped cleanly
when ``TWILIO_*`` is not configured.
"""
import functools
import logging
from dataclasses import dataclass

import requests
from django.conf import settings
from django.db import transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from core.errors import GatewayError, GatewayUnavailable

logger = logging.getLogger(__name__)

EVENTS = (
    "order_placed",          # order_id → entrepreneur and supplier
    "order_paid",            # order_id → customer, entrepreneur, supplier
    "order_shipped",         # order_id → customer (with tracking number)
    "order_delivered",       # order_id → customer, entrepreneur
    "supplier_verified",     # supplier_id → supplier
    "supplier_rejected",     # supplier_id → supplier
    "supplier_kyc_changed",  # supplier_id → every active admin (re-verify), and the supplier
    "withdrawal_completed",  # withdrawal_id → entrepreneur
    "withdrawal_failed",     # withdrawal_id → entrepreneur
)

# Who hears about an order event, by role.
ORDER_RECIPIENTS = {
    "order_placed": ("entrepreneur", "supplier"),
    "order_paid": ("customer", "entrepreneur", "supplier"),
    "order_shipped": ("customer",),
    "order_delivered": ("customer", "entrepreneur"),
}

# Errors from publishing a task when the broker is down or unreachable.
BROKER_ERRORS = (KombuError, RedisError, ConnectionError, TimeoutError)

SMS_MAX_CHARS = 1600  # Twilio's limit for one message body
TWILIO_TIMEOUT_SECONDS = 10


def notify(event: str, **ids) -> None:
    """Send ``event`` to its recipients once the current transaction commits (now, outside one).

    ``ids`` are primary keys (``order_id=``, ``supplier_id=``, ``withdrawal_id=``); model instances
    are accepted and reduced to their pk. An unknown event name is a programming error (ValueError).
    """
    if event not in EVENTS:
        raise ValueError(f"Unknown notification event {event!r}")
    payload = {key: getattr(value, "pk", value) for key, value in ids.items()}

    def enqueue():
        from core.tasks import send_notification

        try:
            send_notification.delay(event, payload)
        except BROKER_ERRORS:
            logger.exception("Could not enqueue notification %s %s; the broker is unavailable", event, payload)

    # robust: whatever goes wrong after the commit is logged, never raised into the request.
    transaction.on_commit(enqueue, robust=True)


# --- Building messages --------------------------------------------------------------------------

@dataclass(frozen=True)
class Message:
    channel: str  # "email" | "sms"
    to: str
    subject: str
    body: str


@functools.cache
def _text_engine():
    """A template engine over the project's template dirs with autoescaping off (these are plain text)."""
    from django.template import Engine

    dirs = [str(directory) for config in settings.TEMPLATES for directory in config.get("DIRS", [])]
    return Engine(dirs=dirs, app_dirs=True, autoescape=False)


def _render(event: str, role: str, kind: str, context: dict) -> str:
    """``notifications/<event>.<role>.<kind>`` if it exists, else ``notifications/<event>.<kind>``."""
    from django.template import Context

    template = _text_engine().select_template(
        [f"notifications/{event}.{role}.{kind}", f"notifications/{event}.{kind}"]
    )
    return template.render(Context(context, autoescape=False)).strip()


def sms_configured() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_PHONE_NUMBER)


def _admins():
    """Every active admin (user_type admin, staff or superuser), oldest first."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    return list(
        get_user_model().objects.filter(Q(user_type="admin") | Q(is_staff=True) | Q(is_superuser=True), is_active=True)
        .order_by("pk")
    )


def _recipients(event: str, ids: dict) -> tuple[list[tuple[str, object]], dict] | None:
    """``([(role, user), …], context)`` for the event, or None when its object no longer exists."""
    from orders.models import Order
    from payments.models import WithdrawalRequest
    from suppliers.models import SupplierProfile

    if event in ORDER_RECIPIENTS:
        try:
            order = (
                Order.objects.select_related("customer", "entrepreneur__user", "supplier__user")
                .prefetch_related("items")
                .get(pk=ids["order_id"])
            )
        except Order.DoesNotExist:
            return None
        users = {"customer": order.customer, "entrepreneur": order.entrepreneur.user, "supplier": order.supplier.user}
        context = {"order": order, "items": list(order.items.all()), "entrepreneur": order.entrepreneur,
                   "supplier": order.supplier, "customer": order.customer}
        return [(role, users[role]) for role in ORDER_RECIPIENTS[event]], context
    if event.startswith("supplier_"):
        try:
            supplier = SupplierProfile.objects.select_related("user").get(pk=ids["supplier_id"])
        except SupplierProfile.DoesNotExist:
            return None
        recipients = [("supplier", supplier.user)]
        if event == "supplier_kyc_changed":
            recipients += [("admin", admin) for admin in _admins()]
        return recipients, {"supplier": supplier}
    if event.startswith("withdrawal_"):
        try:
            withdrawal = WithdrawalRequest.objects.select_related("entrepreneur__user").get(pk=ids["withdrawal_id"])
        except WithdrawalRequest.DoesNotExist:
            return None
        return [("entrepreneur", withdrawal.entrepreneur.user)], {"withdrawal": withdrawal,
                                                                 "entrepreneur": withdrawal.entrepreneur}
    raise ValueError(f"Unknown notification event {event!r}")


def build_messages(event: str, ids: dict) -> list[Message]:
    """Every email and SMS for ``event``: one email per recipient with an address, one SMS per phone."""
    found = _recipients(event, ids)
    if found is None:
        logger.warning("Notification %s skipped: %s no longer exists", event, ids)
        return []
    recipients, context = found
    with_sms = sms_configured()
    messages = []
    for role, user in recipients:
        ctx = {**context, "role": role, "recipient": user, "frontend_url": settings.FRONTEND_URL,
               "site_name": "Payjaro"}
        if user.email:
            subject = " ".join(_render(event, role, "subject.txt", ctx).split())
            messages.append(Message("email", user.email, subject, _render(event, role, "txt", ctx) + "\n"))
        if with_sms and user.phone_number:
            messages.append(Message("sms", user.phone_number, "", _render(event, role, "sms.txt", ctx)[:SMS_MAX_CHARS]))
    return messages


# --- Sending --------------------------------------------------------------------------------------

class SmsRejected(Exception):
    """Twilio refused the message itself (bad number, unverified sender…): retrying will not help."""


def email_send(*, to: str, subject: str, body: str) -> None:
    from django.core.mail import send_mail

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
