"""Analytics writes: recording events and rolling them up into ``DailyMetrics``.

Raw IP addresses are never stored: ``visitor_id`` is a salted hash (Nigeria Data Protection Act).
"""
import hashlib
import logging
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from core.throttling import client_address

from .models import AnalyticsEvent, DailyMetrics

logger = logging.getLogger(__name__)

# Metadata keys a client might use to smuggle an address in; dropped before anything is stored.
_IP_KEYS = frozenset({"ip", "ip_address", "ipaddress", "visitor_ip", "client_ip", "remote_addr", "x_forwarded_for"})
_REDACTED = "[redacted]"


def visitor_id_for(request) -> str:
    """sha256(salt | ip | user agent): stable per visitor, not reversible to the IP without the salt."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:500]
    raw = f"{settings.VISITOR_ID_SALT}|{client_address(request)}|{user_agent}".encode()
    return hashlib.sha256(raw).hexdigest()


def _scrub(value, ips: tuple[str, ...]):
    """``value`` with IP-looking keys dropped and any occurrence of the client's addresses redacted."""
    if isinstance(value, dict):
        return {key: _scrub(item, ips) for key, item in value.items() if str(key).lower() not in _IP_KEYS}
    if isinstance(value, list):
        return [_scrub(item, ips) for item in value]
    if isinstance(value, str):
        for ip in ips:
            value = value.replace(ip, _REDACTED)
        return value
    return value


def _request_ips(request) -> tuple[str, ...]:
    candidates = [request.META.get("REMOTE_ADDR", "")]
    candidates += request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    return tuple(ip for ip in {c.strip() for c in candidates} if ip)


def event_fields(request, metadata: dict | None) -> dict:
    """What an event stores about its request: user id, salted visitor id, scrubbed user agent and metadata."""
    metadata = metadata or {}
    if request is None:
        return {"user_id": None, "visitor_id": "", "user_agent": "", "metadata": metadata}
    user = getattr(request, "user", None)
    ips = _request_ips(request)
    return {
        "user_id": user.pk if user is not None and user.is_authenticated else None,
        "visitor_id": visitor_id_for(request),
        "user_agent": _scrub(request.META.get("HTTP_USER_AGENT", "")[:500], ips),
        "metadata": _scrub(metadata, ips),
    }


def event_record(*, event_type: str, request=None, entrepreneur=None, product=None, order=None,
                 metadata: dict | None = None) -> AnalyticsEvent:
    """Write one event row (one INSERT, whatever is being viewed)."""
    return AnalyticsEvent.objects.create(event_type=event_type, entrepreneur=entrepreneur, product=product,
                                         order=order, **event_fields(request, metadata))


# --- Daily rollup -------------------------------------------------------------------------------

def daily_metrics_rollup(*, day: date) -> int:
    """Write ``DailyMetrics`` for ``day`` (an Africa/Lagos calendar day) per entrepreneur, supplier and platform.

    Idempotent: rows are upserted on (date, metric_type, entity_type, entity_id), and rows of that day
    for an entity that no longer has activity (e.g. its only paid order was refunded) are deleted.
    A fixed number of GROUP BY queries, whatever the number of entities. Returns the rows written.
    """
    from .selectors import metrics_rows_for_day  # selectors import models only; no cycle at import time

    rows = metrics_rows_for_day(day=day)
    objects = [
        DailyMetrics(date=day, entity_type=entity_type, entity_id=entity_id, metric_type=metric, value=Decimal(value))
        for (entity_type, entity_id, metric), value in rows.items()
    ]
    with transaction.atomic():
        DailyMetrics.objects.bulk_create(
            objects, update_conflicts=True, unique_fields=["date", "metric_type", "entity_type", "entity_id"],
            update_fields=["value", "metadata", "updated_at"], batch_size=500,
        )
        existing = DailyMetrics.objects.filter(date=day).values_list("id", "entity_type", "entity_id", "metric_type")
        stale = [pk for pk, entity_type, entity_id, metric in existing if (entity_type, entity_id, metric) not in rows]
        if stale:
            DailyMetrics.objects.filter(Q(pk__in=stale)).delete()
    logger.info("Daily metrics for %s: %d rows written, %d stale rows removed", day, len(objects), len(stale))
    return len(objects)
