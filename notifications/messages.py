"""Who hears about an event and what they read: recipients by role, plain-text templates, one message each.

Templates live in ``notifications/templates/notifications/``: ``<event>.<role>.<kind>`` when a role reads
something of its own, else ``<event>.<kind>``, with kind ``subject.txt``, ``txt`` (email body) or ``sms.txt``.
"""
import functools
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.template import Context, Engine

from notifications.channels import sms_configured
from orders.models import Order
from payments.models import WithdrawalRequest
from suppliers.models import SupplierProfile

logger = logging.getLogger(__name__)

EVENTS = (
    "order_placed",          # order_id → entrepreneur and supplier
    "order_paid",            # order_id → customer, entrepreneur, supplier
    "order_shipped",         # order_id → customer (with tracking number)
    "order_delivered",       # order_id → customer, entrepreneur
    "supplier_verified",     # supplier_id → supplier
    "supplier_rejected",     # supplier_id → supplier
    "supplier_kyc_changed",  # supplier_id → every active admin (re-verify), and the supplier
    "withdrawal_completed",  # withdrawal_id → its owner (entrepreneur or supplier)
    "withdrawal_failed",     # withdrawal_id → its owner (entrepreneur or supplier)
    "order_late_payment_refunded",  # order_id → customer (paid after the order stopped being payable; refunded)
)

# Who hears about an order event, by role.
ORDER_RECIPIENTS = {
    "order_placed": ("entrepreneur", "supplier"),
    "order_paid": ("customer", "entrepreneur", "supplier"),
    "order_shipped": ("customer",),
    "order_delivered": ("customer", "entrepreneur"),
    "order_late_payment_refunded": ("customer",),
}

SMS_MAX_CHARS = 1600  # Twilio's limit for one message body


@dataclass(frozen=True)
class Message:
    channel: str  # "email" | "sms"
    to: str
    subject: str
    body: str


@functools.cache
def _text_engine() -> Engine:
    """A template engine over the project's template dirs with autoescaping off (these are plain text)."""
    dirs = [str(directory) for config in settings.TEMPLATES for directory in config.get("DIRS", [])]
    return Engine(dirs=dirs, app_dirs=True, autoescape=False)


def _render(event: str, role: str, kind: str, context: dict) -> str:
    """``notifications/<event>.<role>.<kind>`` if it exists, else ``notifications/<event>.<kind>``."""
    template = _text_engine().select_template(
        [f"notifications/{event}.{role}.{kind}", f"notifications/{event}.{kind}"]
    )
    return template.render(Context(context, autoescape=False)).strip()


def _admins() -> list:
    """Every active admin (user_type admin, staff or superuser), oldest first."""
    return list(
        get_user_model().objects.filter(Q(user_type="admin") | Q(is_staff=True) | Q(is_superuser=True), is_active=True)
        .order_by("pk")
    )


def _recipients(event: str, ids: dict) -> tuple[list[tuple[str, object]], dict] | None:
    """``([(role, user), …], context)`` for the event, or None when its object no longer exists."""
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
            withdrawal = WithdrawalRequest.objects.select_related("user", "entrepreneur").get(pk=ids["withdrawal_id"])
        except WithdrawalRequest.DoesNotExist:
            return None
        # The owner: an entrepreneur, or a supplier (SPEC §6.8).
        role = "supplier" if withdrawal.entrepreneur_id is None else "entrepreneur"
        return [(role, withdrawal.user)], {"withdrawal": withdrawal, "entrepreneur": withdrawal.entrepreneur}
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
