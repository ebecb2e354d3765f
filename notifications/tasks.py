"""Background delivery of notifications: one task renders an event, one task per message sends it,
so a retried SMS never re-sends an email."""
import logging

from celery import shared_task
from django.db import OperationalError as DatabaseOperationalError

from core.broker import BROKER_ERRORS
from core.errors import GatewayError
from notifications.channels import SmsRejected, email_send, sms_configured, sms_send
from notifications.messages import build_messages, loggable_ids
from notifications.outbox import notifications_flush, outbox_push

logger = logging.getLogger(__name__)

# Exponential backoff (1 s, 2 s, 4 s … capped at 10 min, jittered), five retries, then give up with a log line.
_RETRY = {"retry_backoff": True, "retry_backoff_max": 600, "retry_jitter": True, "max_retries": 5}

def enqueue_notification(event: str, ids: dict) -> None:
    """The dispatcher ``core.notifications.notify`` calls after commit (registered in ``NotificationsConfig.ready``):
    one push to the outbox (``notifications.outbox``), or, without one, the ``send_notification`` task."""
    if outbox_push(event, ids):
        return
    try:
        send_notification.delay(event, ids)
    except BROKER_ERRORS:
        logger.exception("Could not enqueue notification %s %s; the broker is unavailable", event, loggable_ids(ids))


@shared_task(name="notifications.tasks.flush_notifications")
def flush_notifications() -> int:
    """Render the events waiting in the outbox (``notifications.outbox``); a no-op without one."""
    # A broker error of the fallback publish is raised into the flush, which keeps the event for its next run.
    return notifications_flush(render=send_notification.run, publish=send_notification.delay)


@shared_task(autoretry_for=(GatewayError, DatabaseOperationalError), **_RETRY)
def send_notification(event: str, ids: dict) -> int:
    """Render ``event`` for its recipients and enqueue one delivery task per message. Returns the count."""
    messages = build_messages(event, ids)
    for message in messages:
        if message.channel == "email":
            deliver_email.delay(message.to, message.subject, message.body)
        elif message.channel == "console":
            print_to_console(message.to, message.body)
        else:
            deliver_sms.delay(message.to, message.body)
    # Secrets (the order page link, a pay-on-delivery code) never reach the logs.
    logger.info("Notification %s %s: %d messages queued", event, loggable_ids(ids), len(messages))
    return len(messages)


def print_to_console(to: str, body: str) -> None:
    """Where SMS is not configured (development, tests), a message that must reach a phone is printed instead."""
    print(f"[SMS to {to}] {body}", flush=True)  # noqa: T201 — the console is this channel


@shared_task(autoretry_for=(OSError,), **_RETRY)
def deliver_email(to: str, subject: str, body: str) -> None:
    """One email through Django's email backend; SMTP and socket errors (OSError) are retried."""
    email_send(to=to, subject=subject, body=body)


@shared_task(autoretry_for=(GatewayError,), **_RETRY)
def deliver_sms(to: str, body: str) -> str:
    """One SMS through Twilio; gateway outages are retried with backoff, a refused message is logged."""
    if not sms_configured():
        logger.info("SMS to %s skipped: TWILIO_* is not configured", to[-4:])
        return "skipped"
    try:
        return sms_send(to=to, body=body)
    except SmsRejected:
        logger.warning("SMS to …%s refused by Twilio; not retried", to[-4:], exc_info=True)
        return "rejected"
