"""The "tracking" throttle scope: per client, counted in the shared cache (Redis when configured)."""
from rest_framework.settings import api_settings

from core.throttling import ScopedRateThrottle


class TrackingRateThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` that reads the rate when the request comes, not when the class was imported.

    DRF copies ``DEFAULT_THROTTLE_RATES`` onto the class at import, so a changed setting (an
    ``override_settings`` in a test, say) would be ignored. The client is identified as every throttle identifies
    it (``core.throttling.client_address``, the same address ``visitor_id`` hashes) — a client cannot dodge the
    limit by sending its own X-Forwarded-For.
    """

    scope_attr = "throttle_scope"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
