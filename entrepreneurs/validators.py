"""The one rule for a storefront address (``/<custom_url>/``), used by the model, the API and admin."""
import re

from django.core.exceptions import ValidationError

CUSTOM_URL_MIN_LENGTH = 3
CUSTOM_URL_MAX_LENGTH = 50
# Lower-case letters, digits, hyphens and underscores; starts and ends with a letter or digit.
_CUSTOM_URL_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?\Z")


def normalize_custom_url(value: str) -> str:
    """Storefront addresses are case-insensitive and stored lower-case."""
    return (value or "").strip().lower()


def validate_custom_url(value: str) -> None:
    """Format, length and reserved words. Uniqueness is checked by the caller (and the database)."""
    from .models import RESERVED_CUSTOM_URLS

    normalized = normalize_custom_url(value)
    if not CUSTOM_URL_MIN_LENGTH <= len(normalized) <= CUSTOM_URL_MAX_LENGTH:
        raise ValidationError(
            f"Must be {CUSTOM_URL_MIN_LENGTH}–{CUSTOM_URL_MAX_LENGTH} characters long.", code="length"
        )
    if not _CUSTOM_URL_RE.match(normalized):
        raise ValidationError(
            "Use only letters, digits, hyphens and underscores, starting and ending with a letter or digit.",
            code="invalid",
        )
    if normalized in RESERVED_CUSTOM_URLS:
        raise ValidationError(f"'{normalized}' is reserved; choose another address.", code="reserved")
