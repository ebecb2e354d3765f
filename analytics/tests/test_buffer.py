"""The view-event buffer (analytics.buffer): views pushed to Redis, flushed in order, never twice, never lost
by a flush that fails half-way. Needs a Redis (``TEST_REDIS_URL``, default database 5 on loopback); each test
uses a key of its own, deleted afterwards."""

import pytest
import redis
from django.test import RequestFactory

from analytics import buffer
from analytics.models import AnalyticsEvent
from tests.factories import EntrepreneurFactory, ProductFactory
from tests.redis_lists import redis_list_fixture

pytestmark = pytest.mark.django_db


buffered = redis_list_fixture(url_setting="ANALYTICS_VIEW_BUFFER_URL", key_setting="ANALYTICS_VIEW_BUFFER_KEY",
                              name="view-events")


def view(entrepreneur, product=None, n=0, **extra):
    request = RequestFactory().get("/shop/", HTTP_USER_AGENT=f"Phone {n}", REMOTE_ADDR="10.9.8.7", **extra)
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    buffer.view_event_record(request=request, event_type="product_view" if product else "storefront_view",
                             entrepreneur_id=entrepreneur.pk, product_id=product.pk if product else None,
                             metadata={"n": n, "ip": "10.9.8.7"})


def test_without_a_buffer_the_view_is_written_at_once(settings):
    settings.ANALYTICS_VIEW_BUFFER_URL = ""
    store = EntrepreneurFactory()
    view(store)
    event = AnalyticsEvent.objects.get()
    assert (event.event_type, event.entrepreneur_id, event.buffer_key) == ("storefront_view", store.pk, None)
    assert buffer.view_events_flush() == 0


def test_a_view_costs_a_push_and_the_flush_writes_them_in_order(buffered, django_assert_num_queries):
    client, key = buffered
    store, product = EntrepreneurFactory(), ProductFactory()
    with django_assert_num_queries(0):
        for n in range(5):
            view(store, product if n % 2 else None, n)
    assert client.llen(key) == 5 and not AnalyticsEvent.objects.exists()

    assert buffer.view_events_flush(batch_size=2) == 5
    events = list(AnalyticsEvent.objects.order_by("id"))
    assert [e.metadata["n"] for e in events] == [0, 1, 2, 3, 4]  # arrival order
    assert [e.event_type for e in events][:2] == ["storefront_view", "product_view"]
    assert events[1].product_id == product.pk and all(e.entrepreneur_id == store.pk for e in events)
    assert all("ip" not in e.metadata and len(e.visitor_id) == 64 for e in events)  # scrubbed before the push
    assert events[0].timestamp <= events[4].timestamp  # the time of the visit
    assert client.llen(key) == 0 and buffer.view_events_flush() == 0


def test_a_failed_write_keeps_the_batch_and_the_next_flush_writes_it_once(buffered, monkeypatch):
    client, key = buffered
    store = EntrepreneurFactory()
    for n in range(3):
        view(store, n=n)
    real_bulk_create = AnalyticsEvent.objects.bulk_create

    def database_down(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(AnalyticsEvent.objects, "bulk_create", database_down)
    with pytest.raises(RuntimeError):
        buffer.view_events_flush()
    assert client.llen(f"{key}:inflight") == 3 and not AnalyticsEvent.objects.exists()
    view(store, n=3)  # new views keep arriving meanwhile

    monkeypatch.setattr(AnalyticsEvent.objects, "bulk_create", real_bulk_create)
    assert buffer.view_events_flush() == 4
    assert list(AnalyticsEvent.objects.order_by("id").values_list("metadata__n", flat=True)) == [0, 1, 2, 3]


def test_a_flush_that_dies_after_the_commit_duplicates_nothing(buffered, monkeypatch):
    client, key = buffered
    store = EntrepreneurFactory()
    for n in range(3):
        view(store, n=n)
    real_delete = redis.Redis.delete
    calls = {"n": 0}

    def dies_once(self, *names):
        calls["n"] += 1
        if calls["n"] == 1:
            raise redis.ConnectionError("worker killed here")
        return real_delete(self, *names)

    monkeypatch.setattr(redis.Redis, "delete", dies_once)
    with pytest.raises(redis.ConnectionError):
        buffer.view_events_flush()
    assert AnalyticsEvent.objects.count() == 3 and client.llen(f"{key}:inflight") == 3
    client.delete(f"{key}:flush-lock")  # the dead flusher's lock (it would expire after LOCK_SECONDS)
    assert buffer.view_events_flush() == 3  # written again…
    assert AnalyticsEvent.objects.count() == 3  # …but only once in the table
    assert client.llen(f"{key}:inflight") == 0


def test_only_one_flusher_at_a_time(buffered):
    client, key = buffered
    view(EntrepreneurFactory())
    client.set(f"{key}:flush-lock", "someone-else", ex=60)
    assert buffer.view_events_flush() == 0 and client.llen(key) == 1


def test_deleted_rows_do_not_block_the_flush(buffered):
    gone, kept, product = EntrepreneurFactory(), EntrepreneurFactory(), ProductFactory()
    view(gone, n=0)
    view(kept, product, n=1)
    gone.delete()
    product.delete()
    assert buffer.view_events_flush() == 2
    (event,) = AnalyticsEvent.objects.all()
    assert (event.entrepreneur_id, event.product_id) == (kept.pk, None)


def test_redis_refusing_the_push_writes_the_view_directly(buffered, monkeypatch):
    def refused(self, *args):
        raise redis.ConnectionError("down")

    monkeypatch.setattr(redis.Redis, "rpush", refused)
    view(EntrepreneurFactory())
    assert AnalyticsEvent.objects.filter(buffer_key=None).count() == 1


def test_the_flush_is_scheduled_for_beat_and_the_embedded_scheduler(settings):
    from core.management.commands.run_scheduler import build_jobs

    entry = settings.CELERY_BEAT_SCHEDULE["flush-view-events"]
    assert entry["task"] == "analytics.tasks.flush_view_events"
    assert "flush-view-events" in {job.name for job in build_jobs(settings.CELERY_BEAT_SCHEDULE)}


def test_management_command_flushes(buffered):
    import io

    from django.core.management import call_command

    view(EntrepreneurFactory())
    out = io.StringIO()
    call_command("flush_view_events", stdout=out)
    assert "1 view events flushed, 0 still buffered." in out.getvalue()
    assert AnalyticsEvent.objects.count() == 1
