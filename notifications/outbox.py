"""Notifications off the request path (issue 17): the event is pushed to a Redis list, the worker renders it.

``notify(…)`` runs this app's dispatcher after the commit. Publishing a Celery task there was ≈ 0.5 ms of the
request's CPU (the message envelope, routing, a Redis client per publish) — a tenth of an order placement and of
a payment webhook. With an outbox (``NOTIFICATIONS_OUTBOX_URL``; by default the Celery broker's Redis when tasks
are not run eagerly) the dispatcher costs one ``RPUSH`` of ``{"event", "ids"}``, and ``notifications_flush`` — the
``flush-notifications`` beat job, every ``NOTIFICATIONS_FLUSH_SECONDS`` (2), also ``manage.py flush_notifications``
— renders each event in the worker, in arrival order, as ``send_notification`` does (the email and SMS deliveries
are still one task each, with their retries). Without an outbox (the embedded default, tests, a broker that is
not Redis) the task is published at once, as before; so it is when Redis refuses the push.

What can be lost, and when:

* a web worker restart or crash loses nothing: the event is in Redis once the request's commit hook has run;
* a flush that dies (a worker killed mid-batch) loses nothing: each event is moved atomically (``LMOVE``) to an
  in-flight list before it is rendered, removed only after, and the next flush renders what it finds in flight
  first — so the one event being rendered when the worker died can be sent twice; no other;
* an event whose rendering fails (the database away…) is published as a ``send_notification`` task instead,
  which retries with backoff; if that publish fails too, the event stays in flight for the next flush;
* Redis losing its memory (a restart without persistence) loses the events not yet flushed — at most
  ``NOTIFICATIONS_FLUSH_SECONDS`` of them, as it would lose the Celery messages queued in the same Redis.

Events wait at most one flush interval (plus the worker's queue) before they are rendered. One flusher at a time
(a Redis lock that expires after ``LOCK_SECONDS``); a flush renders at most ``max_items`` events and leaves the
rest for the next run.
"""
import json
import logging
from collections.abc import Callable
from itertools import islice

import redis
from django.conf import settings

from core.redis_lists import drain, list_client

logger = logging.getLogger(__name__)

MAX_ITEMS = 2000
LOCK_SECONDS = 300
DEFAULT_KEY = "payjaro:notifications:outbox"


def outbox_url() -> str:
    """``NOTIFICATIONS_OUTBOX_URL`` when set ("" turns the outbox off), else the Celery broker's URL when it is
    Redis and tasks are not run eagerly, else "" (no outbox)."""
    configured = getattr(settings, "NOTIFICATIONS_OUTBOX_URL", None)
    if configured is not None:
        return configured
    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False) or not broker.startswith(("redis://", "rediss://")):
        return ""
    return broker


def outbox_key() -> str:
    return getattr(settings, "NOTIFICATIONS_OUTBOX_KEY", "") or DEFAULT_KEY


def _client() -> redis.Redis | None:
    url = outbox_url()
    return list_client(url) if url else None


def outbox_push(event: str, ids: dict) -> bool:
    """Put the event in the outbox; ``False`` when there is none or Redis refused (the caller publishes it)."""
    client = _client()
    if client is None:
        return False
    try:
        client.rpush(outbox_key(), json.dumps({"event": event, "ids": ids}, separators=(",", ":")))
        return True
    except redis.RedisError:
        logger.warning("Notification outbox unavailable; publishing %s as a task", event, exc_info=True)
        return False


def _decode(raw: bytes) -> tuple[str, dict] | None:
    try:
        item = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(item, dict) or not isinstance(item.get("event"), str) or not isinstance(item.get("ids"), dict):
        return None
    return item["event"], item["ids"]


def _hand_over(raw: bytes, *, render: Callable[[str, dict], object], publish: Callable[[str, dict], object]) -> bool:
    """Render one outbox item; on failure publish it as a task (which retries). ``False``: keep it in flight."""
    item = _decode(raw)
    if item is None:
        logger.warning("Dropped an unreadable notification outbox item (%d bytes)", len(raw))  # no content: secrets
        return True
    event, ids = item
    try:
        render(event, ids)
        return True
    except Exception:  # noqa: BLE001 — one event's failure must not stop the others; it is retried as a task
        logger.warning("Notification %s could not be rendered by the flush; published as a task", event,
                       exc_info=True)
    try:
        publish(event, ids)
        return True
    except Exception:  # noqa: BLE001 — the broker is away too: the event stays in flight for the next flush
        logger.exception("Notification %s could not be published either; kept for the next flush", event)
        return False


def notifications_flush(*, render: Callable[[str, dict], object], publish: Callable[[str, dict], object],
                        max_items: int = MAX_ITEMS) -> int:
    """Render the outbox's events in arrival order (``render(event, ids)``; ``publish`` on failure). Returns
    how many were handed over. What an earlier flush left in flight goes first."""
    client = _client()
    key = outbox_key()

    def work(inflight: str) -> int:
        def taken():  # what a flush that died left in flight first, then the outbox's events moved in flight
            yield from client.lrange(inflight, 0, -1)
            while (raw := client.lmove(key, inflight, "LEFT", "RIGHT")) is not None:
                yield raw

        handed = 0
        for raw in islice(taken(), max_items):  # (lazy: no event is moved in flight past the bound)
            if not _hand_over(raw, render=render, publish=publish):
                break
            client.lrem(inflight, 1, raw)
            handed += 1
        return handed

    return drain(client, key, lock_seconds=LOCK_SECONDS, label="Notifications", work=work)


def notifications_pending() -> int:
    """Events waiting in the outbox (and in flight); 0 without one."""
    client = _client()
    if client is None:
        return 0
    key = outbox_key()
    return int(client.llen(key)) + int(client.llen(f"{key}:inflight"))
