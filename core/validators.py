"""Validators shared by the apps' serializers."""
from urllib.parse import urlsplit

from django.conf import settings
from rest_framework import serializers

_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_ID = 2**63 - 1  # a 64-bit primary key


def parse_id(value) -> int | None:
    """A row id from what a caller sent (a path segment, a form or JSON value): ASCII digits only — ``str.isdigit``
    also takes "²" or Arabic-Indic digits, which ``int`` then refuses or reads — within a 64-bit key (SQLite
    cannot even compare a bigger integer). ``None`` for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def url_origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, lower-cased, default port dropped; None otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def allowed_redirect_origins() -> set[str]:
    """Where we may send a shopper's browser after payment: FRONTEND_URL's and PUBLIC_BASE_URL's origins,
    plus ``PAYMENT_CALLBACK_ALLOWED_ORIGINS``."""
    candidates = [settings.FRONTEND_URL, settings.PUBLIC_BASE_URL,
                  *getattr(settings, "PAYMENT_CALLBACK_ALLOWED_ORIGINS", [])]
    return {origin for origin in map(url_origin, filter(None, candidates)) if origin}


def validate_redirect_url(value: str) -> str:
    """An open-redirect guard for URLs we hand to a payment gateway as the return address."""
    if value and url_origin(value) not in allowed_redirect_origins():
        raise serializers.ValidationError(
            "Must be an address on this shop's own site (see PAYMENT_CALLBACK_ALLOWED_ORIGINS).")
    return value
