"""core.throttling: one counter hit per request, exact under concurrency, a Retry-After from the window,
fail-open when the cache is down."""
import threading
import uuid
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.throttling import AnonRateThrottle, OneRoundTripThrottlesMixin, UserRateThrottle, window_hit, window_hits

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


def test_window_hits_counts_several_windows_in_one_round_trip(cache):
    first, second = f"a-{uuid.uuid4()}", f"b-{uuid.uuid4()}"
    assert [count for count, _left in window_hits(cache, [(first, 60), (second, 3600)])] == [1, 1]
    hits = window_hits(cache, [(first, 60), (second, 3600)])
    assert [count for count, _left in hits] == [2, 2]
    assert 0 < hits[0][1] <= 60 and 60 < hits[1][1] <= 3600
    assert window_hits(cache, []) == []


class _Placement(UserRateThrottle):
    scope = "placement-test"


def _view_with(cache, monkeypatch, rates):
    """A view with the user rate and a second per-user rate, counted in ``cache``."""
    for throttle in (UserRateThrottle, _Placement):
        monkeypatch.setattr(throttle, "cache", cache)
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {**UserRateThrottle.THROTTLE_RATES, **rates})

    class View(OneRoundTripThrottlesMixin, APIView):
        throttle_classes = [AnonRateThrottle, UserRateThrottle, _Placement]

    return View()


def _signed_in(user_id):
    request = Request(APIRequestFactory().post("/", REMOTE_ADDR="10.7.7.7"))
    request.user = SimpleNamespace(pk=user_id, is_authenticated=True)
    return request


def test_several_throttles_are_counted_in_one_pipeline_with_drfs_decisions(monkeypatch):
    cache = _redis_cache()
    view = _view_with(cache, monkeypatch, {"user": "5/min", "placement-test": "2/hour"})
    request = _signed_in(uuid.uuid4().int % 10**9)
    redis = cache.client.get_client(write=True)
    pipelines = []
    real_pipeline = type(redis).pipeline
    monkeypatch.setattr(type(redis), "pipeline", lambda self, *a, **k: pipelines.append(1) or real_pipeline(self, *a, **k))
    view.check_throttles(request)
    view.check_throttles(request)
    assert len(pipelines) == 2  # one round trip per request for both throttles (the anonymous one does not apply)
    with pytest.raises(Throttled) as refused:
        view.check_throttles(request)  # the placement rate's third request in the hour
    assert 60 < refused.value.wait <= 3600  # the longest wait of the refusing throttles: the hour's remainder
    # Every throttle counted every request, as DRF's check_throttles does: 3 in the user's window, this hit the 4th.
    assert window_hit(cache, UserRateThrottle().get_cache_key(request, view), 60)[0] == 4


def test_batched_throttles_refuse_on_the_local_cache_too(monkeypatch):
    view = _view_with(LocMemCache(f"throttle-{uuid.uuid4()}", {}), monkeypatch, {"user": "2/min",
                                                                                "placement-test": "10/hour"})
    request = _signed_in(7)
    view.check_throttles(request)
    view.check_throttles(request)
    with pytest.raises(Throttled) as refused:
        view.check_throttles(request)
    assert 0 < refused.value.wait <= 60


def test_batched_throttles_let_the_request_through_when_the_cache_is_down(monkeypatch):
    cache = LocMemCache(f"throttle-{uuid.uuid4()}", {})
    view = _view_with(cache, monkeypatch, {"user": "1/min", "placement-test": "1/hour"})

    def down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(cache, "incr", down)
    request = _signed_in(8)
    for _ in range(3):
        view.check_throttles(request)  # no Throttled raised


def test_a_throttle_with_its_own_allow_request_is_asked_not_skipped(monkeypatch):
    cache = LocMemCache(f"throttle-{uuid.uuid4()}", {})
    asked = []

    class Own(UserRateThrottle):
        scope = "own-test"

        def allow_request(self, request, view):
            asked.append(1)
            return False

        def wait(self):
            return 30

    for throttle in (UserRateThrottle, Own):
        monkeypatch.setattr(throttle, "cache", cache)
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {**UserRateThrottle.THROTTLE_RATES, "user": "100/min",
                                                             "own-test": "100/min"})

    class View(OneRoundTripThrottlesMixin, APIView):
        throttle_classes = [UserRateThrottle, Own]

    with pytest.raises(Throttled):
        View().check_throttles(_signed_in(9))
    assert asked == [1]
