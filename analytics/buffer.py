"""Storefront and product view events off the hot path (issue 17): buffered in a Redis list, written in batches.

A page view is the commonest request there is, and its INSERT was most of the cost of a cached page. With
``ANALYTICS_VIEW_BUFFER_URL`` set (default: ``REDIS_URL``) a view costs one ``RPUSH`` of the event (already
scrubbed: salted visitor id, no IP) and ``view_events_flush`` — the ``flush-view-events`` beat job, every
``ANALYTICS_VIEW_FLUSH_SECONDS`` (30), also ``manage.py flush_view_events`` — writes them with ``bulk_create``
in arrival order. Without it (the embedded default, tests) the view is written at once, as before; so is it
when Redis refuses the push.

What can be lost, and when:

* a web worker restart or crash loses nothing: the event is in Redis once the response is sent;
* a flush that dies half-way loses nothing and duplicates nothing: the batch is first moved atomically (Lua)
  to an in-flight list, written with each event's ``buffer_key`` under a unique constraint
  (``ignore_conflicts``), and only then deleted; the next flush writes the in-flight list again first;
* Redis itself losing its memory (a restart without persistence, a failover) loses the events not yet
  flushed — at most one flush interval of views (≈ 30 s; with AOF ``everysec``, about one second of them).
  While the buffer is unflushed, dashboards lag by up to that interval.

One flusher at a time (a Redis lock that expires after ``LOCK_SECONDS``); a flush writes at most
``max_batches × batch_size`` events and leaves the rest for the next run.
"""
import json
import logging
import uuid
from datetime import datetime

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.redis_lists import drain, list_client
from entrepreneurs.models import EntrepreneurProfile
from products.models import Product
from users.models import User

from .models import AnalyticsEvent
from .services import event_fields, event_record

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
MAX_BATCHES = 50
LOCK_SECONDS = 300
VIEW_EVENTS = frozenset({AnalyticsEvent.EventType.STOREFRONT_VIEW, AnalyticsEvent.EventType.PRODUCT_VIEW})

# Move up to ARGV[1] events from the head of the buffer to the in-flight list, atomically.
_MOVE_BATCH = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
  redis.call('RPUSH', KEYS[2], unpack(items))
  redis.call('LTRIM', KEYS[1], #items, -1)
end
return #items
"""


def buffer_url() -> str:
    return getattr(settings, "ANALYTICS_VIEW_BUFFER_URL", "") or ""


def buffer_key() -> str:
    return getattr(settings, "ANALYTICS_VIEW_BUFFER_KEY", "payjaro:analytics:view-events")


def _client() -> redis.Redis | None:
    url = buffer_url()
    return list_client(url) if url else None


def view_event_record(*, event_type: str, request, entrepreneur_id: int, product_id: int | None = None,
                      metadata: dict | None = None) -> None:
    """Record a storefront/product view: pushed to the buffer when there is one, else written now."""
    if event_type not in VIEW_EVENTS:
        raise ValueError(f"{event_type!r} is not a view event")
    client = _client()
    if client is not None:
        fields = event_fields(request, metadata)
        row = {"key": uuid.uuid4().hex, "event_type": event_type, "entrepreneur_id": entrepreneur_id,
               "product_id": product_id, "timestamp": timezone.now().isoformat(), **fields}
        try:
            client.rpush(buffer_key(), json.dumps(row, separators=(",", ":")))
            return
        except redis.RedisError:
            logger.warning("View event buffer unavailable; writing the event directly", exc_info=True)
    event_record(event_type=event_type, request=request, metadata=metadata,
                 entrepreneur=EntrepreneurProfile(pk=entrepreneur_id),
                 product=Product(pk=product_id) if product_id else None)


def _rows_to_events(rows: list[dict]) -> list[AnalyticsEvent]:
    """Events for the rows, in order; a deleted store drops its events, a deleted product or user is unset."""
    def existing(model, ids):
        ids = {pk for pk in ids if pk}
        return set(model.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()

    stores = existing(EntrepreneurProfile, (row["entrepreneur_id"] for row in rows))
    products = existing(Product, (row.get("product_id") for row in rows))
    users = existing(User, (row.get("user_id") for row in rows))
    return [
        AnalyticsEvent(
            buffer_key=row["key"], event_type=row["event_type"], entrepreneur_id=row["entrepreneur_id"],
            product_id=row.get("product_id") if row.get("product_id") in products else None,
            user_id=row.get("user_id") if row.get("user_id") in users else None,
            metadata=row.get("metadata") or {}, visitor_id=row.get("visitor_id", ""),
            user_agent=row.get("user_agent", ""), timestamp=datetime.fromisoformat(row["timestamp"]),
        )
        for row in rows if row["entrepreneur_id"] in stores
    ]


def _decode(raw: bytes) -> dict | None:
    try:
        row = json.loads(raw)
        return row if isinstance(row, dict) and row.get("key") and row.get("entrepreneur_id") else None
    except ValueError:
        return None


def _write_inflight(client: redis.Redis, inflight: str) -> int:
    """Write the in-flight list to the database, then delete it. Safe to repeat (``buffer_key``)."""
    raw = client.lrange(inflight, 0, -1)
    if not raw:
        return 0
    rows = [row for row in map(_decode, raw) if row is not None]
    if len(rows) < len(raw):
        logger.warning("Dropped %d unreadable buffered view events", len(raw) - len(rows))
    with transaction.atomic():
        AnalyticsEvent.objects.bulk_create(_rows_to_events(rows), ignore_conflicts=True, batch_size=500)
    client.delete(inflight)  # only after the commit: a crash before this line means "write them again"
    return len(rows)


def view_events_flush(*, batch_size: int = BATCH_SIZE, max_batches: int = MAX_BATCHES) -> int:
    """Write buffered view events to the database in batches; returns how many were flushed."""
    client = _client()
    key = buffer_key()

    def work(inflight: str) -> int:
        flushed = _write_inflight(client, inflight)  # left over by a flush that died
        for _ in range(max_batches):
            if not client.eval(_MOVE_BATCH, 2, key, inflight, batch_size):
                break
            flushed += _write_inflight(client, inflight)
        return flushed

    return drain(client, key, lock_seconds=LOCK_SECONDS, label="View events", work=work)


def view_events_pending() -> int:
    client = _client()
    return int(client.llen(buffer_key())) if client is not None else 0
