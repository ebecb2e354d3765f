import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .exceptions import error_body

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def health(request):
    """200 when the database and the cache answer, 503 otherwise."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 — any driver error means "down"; reported, not raised
        logger.warning("health: database check failed: %s", exc)
        checks["database"] = "error"
    try:
        cache.set("health:ping", "pong", 5)
        checks["cache"] = "ok" if cache.get("health:ping") == "pong" else "error"
    except Exception as exc:  # noqa: BLE001 — any cache client error means "down"
        logger.warning("health: cache check failed: %s", exc)
        checks["cache"] = "error"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


def not_found(request, exception=None):
    return JsonResponse(error_body("Not found.", "not_found"), status=404)


def server_error(request):
    return JsonResponse(error_body("Internal server error.", "server_error"), status=500)
