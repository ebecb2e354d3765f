"""DRF throttles counted with one atomic counter per client and window, failing open when the shared cache
(Redis) is unreachable.

DRF's own ``SimpleRateThrottle`` keeps a list of request timestamps per client: a read and a write of that
list on every request (two cache round trips, the list pickled each time), and two concurrent requests of
one client can both read the old list — one of them is lost, so a burst from many connections gets past the
limit. Here a request costs one round trip: ``INCR`` of the client's counter, its expiry set only when the
counter is new (``EXPIRE … NX``) and its remaining time read, in one pipeline. The window starts at the
client's first request and lasts the rate's period; the ``Retry-After`` of a refusal is what remains of it.
(A fixed window lets a client make up to twice the rate across the end of one window and the start of the
next; the rates here are set with that in mind.)

With Redis down, every throttled endpoint would answer 500: rate limiting is a protection, not a correctness
rule (nginx's own ``limit_req`` zones still stand in front of login), so an outage lets the request through
and logs it, while ``/health/`` reports the cache as down. Caches without Redis (the embedded default's
local memory) count with ``add`` + ``incr``, atomic within the process.
"""
import logging
import time

from redis.exceptions import RedisError
from rest_framework import throttling

from core.cache import redis_client

logger = logging.getLogger(__name__)

CACHE_ERRORS = (RedisError, OSError)


def window_hit(cache, key: str, period: int) -> tuple[int, int]:
    """Count one request in ``key``'s window of ``period`` seconds: (requests so far in it, seconds left)."""
    redis = redis_client(cache)
    if redis is not None:
        raw = cache.make_key(key)
        pipe = redis.pipeline(transaction=False)
        pipe.incr(raw)
        pipe.expire(raw, period, nx=True)
        pipe.ttl(raw)
        count, _expiry_set, ttl = pipe.execute()
        left = int(ttl) if ttl is not None and int(ttl) > 0 else period
        return int(count), left
    started = f"{key}:since"
    now = time.time()
    cache.add(started, now, period)
    cache.add(key, 0, period)
    try:
        count = cache.incr(key)
    except ValueError:  # the window ran out between add and incr: this request opens the next one
        cache.set(started, now, period)
        cache.set(key, 1, period)
        count = 1
    since = cache.get(started, now)
    return int(count), max(1, int(period - (now - since)))


class CounterThrottleMixin:
    """``allow_request`` of a ``SimpleRateThrottle`` as one counter hit (module docstring)."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        try:
            count, self.remaining = window_hit(self.cache, self.key, self.duration)
        except CACHE_ERRORS as exc:
            logger.warning("throttle %s skipped: cache unavailable (%s)", type(self).__name__, exc)
            return True
        return count <= self.num_requests

    def wait(self):
        return getattr(self, "remaining", None)


class AnonRateThrottle(CounterThrottleMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(CounterThrottleMixin, throttling.UserRateThrottle):
    """Signed-in callers only. DRF's keys an anonymous caller on its address — the same count
    ``AnonRateThrottle`` keeps at a lower rate — so with both as defaults an anonymous request cost two
    throttle evaluations for one effective limit."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ScopedRateThrottle(CounterThrottleMixin, throttling.ScopedRateThrottle):
    def allow_request(self, request, view):
        # DRF's own resolves the view's scope and its rate here, before counting.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
