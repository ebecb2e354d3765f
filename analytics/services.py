"""Recording analytics events. Raw IP addresses are never stored: ``visitor_id`` is a salted hash."""
import hashlib

from django.conf import settings

from .models import AnalyticsEvent


def client_ip(request) -> str:
    """The client's address; behind our proxy, the last hop nginx appended to X-Forwarded-For."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and getattr(settings, "USE_X_FORWARDED_FOR", False):
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or ""


def visitor_id_for(request) -> str:
    """sha256(salt | ip | user agent): stable per visitor, not reversible to the IP without the salt."""
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:500]
    raw = f"{settings.VISITOR_ID_SALT}|{client_ip(request)}|{user_agent}".encode()
    return hashlib.sha256(raw).hexdigest()


def event_record(*, event_type: str, request=None, entrepreneur=None, product=None, order=None,
                 metadata: dict | None = None) -> AnalyticsEvent:
    """Write one event row (one INSERT, whatever is being viewed)."""
    user = None
    visitor_id = ""
    user_agent = ""
    if request is not None:
        user = request.user if getattr(request, "user", None) and request.user.is_authenticated else None
        visitor_id = visitor_id_for(request)
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:500]
    return AnalyticsEvent.objects.create(
        event_type=event_type, user=user, entrepreneur=entrepreneur, product=product, order=order,
        metadata=metadata or {}, visitor_id=visitor_id, user_agent=user_agent,
    )
