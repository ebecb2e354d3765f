"""Background delivery of notifications (see ``core.notifications``)."""
import logging

from celery import shared_task
from django.db import OperationalError as DatabaseOperationalError

from core.errors import GatewayError
from core.notifications import SmsRejected, build_messages, email_send, sms_configured, sms_send

logger = logging.getLogger(__name__)

# Exponential backoff (1 s, 2 s, 4 s … capped at 10 min, jittered), five retries, then give up with a log line.
_RETRY = {"retry_backoff": True, "retry_backoff_max": 600, "retry_jitter": True, "max_retries": 5}


@shared_task(name="core.tasks.send_notification", autoretry_for=(GatewayError, DatabaseOperationalError), **_RETRY)
def send_notification(event: str, ids: dict) -> int:
    """Render ``event`` for its recipients and enqueue one delivery task per message. Returns the count."""
    messages = build_messages(event, ids)
    for message in messages:
        if message.channel == "email":
            deliver_email.delay(message.to, message.subject, message.body)
        else:
            deliver_sms.delay(message.to, message.body)
    logger.info("Notification %s %s: %d messages queued", event, ids, len(messages))
    return len(messages)


@shared_task(name="core.tasks.deliver_email", autoretry_for=(OSError,), **_RETRY)
def deliver_email(to: str, subject: str, body: str) -> None:
    """One email through Django's email backend; SMTP and socket errors (OSError) are retried."""
    email_send(to=to, subject=subject, body=body)


@shared_task(name="core.tasks.deliver_sms", autoretry_for=(GatewayError,), **_RETRY)
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
