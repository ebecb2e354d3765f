"""The "tracking" throttle scope: per client, counted in the shared cache (Redis when configured)."""
from rest_framework.settings import api_settings

from core.throttling import ScopedRateThrottle

from .services import client_ip


class TrackingRateThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` that reads the rate when the request comes, not when the class was imported.

    DRF copies ``DEFAULT_THROTTLE_RATES`` onto the class at import, so a changed setting (an
    ``override_settings`` in a test, say) would be ignored. The client is identified like
    ``visitor_id``: REMOTE_ADDR, or the hop the ``NUM_PROXIES`` trusted proxies added to X-Forwarded-For — a
    client cannot dodge the limit by sending its own X-Forwarded-For.
    """

    scope_attr = "throttle_scope"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request) or super().get_ident(request)
