"""Periodic analytics work (scheduled in CELERY_BEAT_SCHEDULE)."""
from datetime import datetime, timedelta

from celery import shared_task

from .buffer import view_events_flush
from .selectors import lagos_today
from .services import daily_metrics_rollup


@shared_task(name="analytics.tasks.rollup_daily_metrics")
def rollup_daily_metrics(day: str | None = None) -> int:
    """Roll up ``day`` (ISO date; default: yesterday in Africa/Lagos). Safe to re-run: it upserts."""
    target = datetime.strptime(day, "%Y-%m-%d").date() if day else lagos_today() - timedelta(days=1)
    return daily_metrics_rollup(day=target)


@shared_task(name="analytics.tasks.flush_view_events")
def flush_view_events() -> int:
    """Write the buffered storefront/product view events (``analytics.buffer``); a no-op without a buffer."""
    return view_events_flush()
