"""DRF throttles that fail open when the shared cache (Redis) is unreachable.

DRF's throttles keep their request history in the default cache; with Redis down, every throttled
endpoint would answer 500. Rate limiting is a protection, not a correctness rule (nginx's own
``limit_req`` zones still stand in front of login), so an outage lets the request through and logs
it, while ``/health/`` reports the cache as down.
"""
import logging

from redis.exceptions import RedisError
from rest_framework import throttling

logger = logging.getLogger(__name__)

CACHE_ERRORS = (RedisError, OSError)


class FailOpenMixin:
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as exc:
            logger.warning("throttle %s skipped: cache unavailable (%s)", type(self).__name__, exc)
            return True


class AnonRateThrottle(FailOpenMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FailOpenMixin, throttling.UserRateThrottle):
    """Signed-in callers only. DRF's keys an anonymous caller on its address — the same count
    ``AnonRateThrottle`` keeps at a lower rate — so with both as defaults an anonymous request cost two
    throttle evaluations (four cache round trips) for one effective limit."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ScopedRateThrottle(FailOpenMixin, throttling.ScopedRateThrottle):
    pass
