"""core.throttling: one counter hit per request, exact under concurrency, a Retry-After from the window,
fail-open when the cache is down."""
import threading
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIRequestFactory

from core.throttling import AnonRateThrottle, window_hit

REDIS_URL = "redis://127.0.0.1:6379/15"


def _anonymous(address):
    request = APIRequestFactory().get("/", REMOTE_ADDR=address)
    request.user = AnonymousUser()
    return request


def _redis_cache():
    from django_redis.cache import RedisCache

    cache = RedisCache(REDIS_URL, {"OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
                                   "KEY_PREFIX": "throttle-test"})
    try:
        cache.client.get_client(write=True).ping()
    except RedisConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    return cache


@pytest.fixture(params=["locmem", "redis"])
def cache(request):
    if request.param == "locmem":
        return LocMemCache(f"throttle-{uuid.uuid4()}", {})
    return _redis_cache()


def test_counts_requests_in_one_window_with_the_time_left(cache):
    key = f"k-{uuid.uuid4()}"
    hits = [window_hit(cache, key, 60) for _ in range(3)]
    assert [count for count, _left in hits] == [1, 2, 3]
    assert all(0 < left <= 60 for _count, left in hits)
    assert window_hit(cache, f"other-{uuid.uuid4()}", 60)[0] == 1


def test_concurrent_hits_are_all_counted(cache):
    """DRF's timestamp list loses requests when two read it at once; the counter counts every one."""
    key, threads, per_thread = f"race-{uuid.uuid4()}", 8, 25
    counts, barrier = [], threading.Barrier(threads)

    def hammer():
        barrier.wait()
        for _ in range(per_thread):
            counts.append(window_hit(cache, key, 60)[0])

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert sorted(counts) == list(range(1, threads * per_thread + 1))


def test_the_throttle_refuses_over_the_rate_with_a_wait(cache, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "cache", cache)
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "2/min")
    request = _anonymous(f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}")
    results = []
    for _ in range(3):
        throttle = AnonRateThrottle()
        results.append((throttle.allow_request(request, None), throttle.wait()))
    assert [allowed for allowed, _wait in results] == [True, True, False]
    assert 0 < results[-1][1] <= 60


def test_an_unreachable_cache_lets_the_request_through(monkeypatch):
    cache = LocMemCache(f"throttle-{uuid.uuid4()}", {})

    def down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(cache, "incr", down)
    monkeypatch.setattr(AnonRateThrottle, "cache", cache)
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "1/min")
    request = _anonymous("10.8.8.8")
    assert all(AnonRateThrottle().allow_request(request, None) for _ in range(3))
