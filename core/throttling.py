"""DRF throttles counted with one atomic counter per client and window, failing open when the shared cache
(Redis) is unreachable.

DRF's own ``SimpleRateThrottle`` keeps a list of request timestamps per client: a read and a write of that
list on every request (two cache round trips, the list pickled each time), and two concurrent requests of
one client can both read the old list — one of them is lost, so a burst from many connections gets past the
limit. Here a request costs one round trip: ``INCR`` of the client's counter, its expiry set only when the
counter is new (``EXPIRE … NX``) and its remaining time read, in one pipeline. The window starts at the
client's first request and lasts the rate's period; the ``Retry-After`` of a refusal is what remains of it.
(A fixed window lets a client make up to twice the rate across the end of one window and the start of the
next; the rates here are set with that in mind.) A view applying several throttles to one request (placing an
order: the user's rate and the placement rate) counts them all in one pipeline (``OneRoundTripThrottlesMixin``).

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


def client_address(request) -> str:
    """The client's address as every throttle and per-address limit here reads it: ``REMOTE_ADDR``, or the hop the
    ``NUM_PROXIES`` trusted proxies (nginx, a load balancer before it) put in X-Forwarded-For — never a
    client-chosen value; "" when there is none."""
    return throttling.BaseThrottle().get_ident(request) or ""


def window_hits(cache, windows: list[tuple[str, int]]) -> list[tuple[int, int]]:
    """Count one request in each ``(key, period)`` window: ``(requests so far in it, seconds left)`` for each, in
    one Redis round trip however many windows (one pipeline of ``INCR``, ``EXPIRE … NX``, ``TTL`` per key)."""
    redis = redis_client(cache)
    if redis is None:
        return [_local_window_hit(cache, key, period) for key, period in windows]
    pipe = redis.pipeline(transaction=False)
    for key, period in windows:
        raw = cache.make_key(key)
        pipe.incr(raw)
        pipe.expire(raw, period, nx=True)
        pipe.ttl(raw)
    replies = pipe.execute()
    hits = []
    for index, (_key, period) in enumerate(windows):
        count, _expiry_set, ttl = replies[3 * index:3 * index + 3]
        hits.append((int(count), int(ttl) if ttl is not None and int(ttl) > 0 else period))
    return hits


def window_hit(cache, key: str, period: int) -> tuple[int, int]:
    """Count one request in ``key``'s window of ``period`` seconds: (requests so far in it, seconds left)."""
    return window_hits(cache, [(key, period)])[0]


def _local_window_hit(cache, key: str, period: int) -> tuple[int, int]:
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

    def window(self, request, view) -> tuple[str, int] | None:
        """The ``(key, period)`` this request counts in, or ``None`` when this throttle does not apply to it."""
        if self.rate is None:
            return None
        self.key = self.get_cache_key(request, view)
        return None if self.key is None else (self.key, self.duration)

    def counted(self, count: int, remaining: int) -> bool:
        """The request is allowed with ``count`` requests in its window so far and ``remaining`` seconds left."""
        self.remaining = remaining
        return count <= self.num_requests

    def allow_request(self, request, view):
        window = self.window(request, view)
        if window is None:
            return True
        try:
            ((count, remaining),) = window_hits(self.cache, [window])
        except CACHE_ERRORS as exc:
            logger.warning("throttle %s skipped: cache unavailable (%s)", type(self).__name__, exc)
            return True
        return self.counted(count, remaining)

    def wait(self):
        return getattr(self, "remaining", None)


class OneRoundTripThrottlesMixin:
    """For a view that applies several counter throttles to one request (a signed-in user placing an order: the
    user rate and the placement rate): all of them counted in one Redis round trip instead of one each. The same
    decisions as DRF's ``check_throttles`` — every throttle counts the request, the longest wait is answered —
    and the same failing open when the cache is down. A throttle that is not a counter throttle, or that decides
    in an ``allow_request`` of its own, sends the whole request down DRF's path (its decision is never skipped)."""

    def check_throttles(self, request):
        throttles = self.get_throttles()
        if not all(isinstance(throttle, CounterThrottleMixin)
                   and type(throttle).allow_request is CounterThrottleMixin.allow_request for throttle in throttles):
            return super().check_throttles(request)
        applying = []
        for throttle in throttles:
            window = throttle.window(request, self)
            if window is not None:
                applying.append((throttle, window))
        if not applying:
            return None
        durations = []
        for cache, group in _by_cache(applying):
            try:
                hits = window_hits(cache, [window for _throttle, window in group])
            except CACHE_ERRORS as exc:
                logger.warning("throttles %s skipped: cache unavailable (%s)",
                               ", ".join(type(throttle).__name__ for throttle, _window in group), exc)
                continue
            for (throttle, _window), (count, remaining) in zip(group, hits, strict=True):
                if not throttle.counted(count, remaining):
                    durations.append(throttle.wait())
        if durations:
            self.throttled(request, max((duration for duration in durations if duration is not None), default=None))
        return None


def _by_cache(applying: list) -> list:
    groups: dict[int, tuple] = {}
    for throttle, window in applying:
        groups.setdefault(id(throttle.cache), (throttle.cache, []))[1].append((throttle, window))
    return list(groups.values())


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
    def window(self, request, view):
        # DRF's own ``allow_request`` resolves the view's scope and its rate here, before counting.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return None
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().window(request, view)
