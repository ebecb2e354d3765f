"""What every placement (one order, or a checkout of several) shares: the store, the channel, the numbers."""
import secrets

from django.db import IntegrityError
from django.utils import timezone

from core.dates import LAGOS
from core.errors import NotFound, ValidationFailed
from core.models import insert_unless_exists
from social.models import EntrepreneurStorefront
from social.selectors import published_storefront

from ..models import Order, SourceChannel

MAX_NOTES_LENGTH = 1000
ORDER_ID_ATTEMPTS = 5


def generate_order_id() -> str:
    """``PAY`` + yyyymmdd (Lagos date) + 8 upper-case hex digits."""
    return f"PAY{timezone.now().astimezone(LAGOS):%Y%m%d}{secrets.token_hex(4).upper()}"


def save_with_unique_number(row, *, field: str, generate) -> None:
    """Insert ``row`` (an order or a checkout) under a fresh random number in ``field``: one
    ``INSERT … ON CONFLICT (<field>) DO NOTHING`` per try (no savepoint), a new number after a collision.

    32 random bits per day make a collision rare; ORDER_ID_ATTEMPTS of them in a row is an error. Any other
    integrity error is raised by the INSERT itself (into the caller's transaction)."""
    for _attempt in range(ORDER_ID_ATTEMPTS):
        setattr(row, field, generate())
        if insert_unless_exists(row, unique_field=field):
            return
    raise IntegrityError(f"No unused {type(row).__name__} number after {ORDER_ID_ATTEMPTS} attempts.")


def save_with_unique_order_id(order: Order) -> None:
    save_with_unique_number(order, field="order_id", generate=generate_order_id)


def clean_source_channel(value) -> str:
    value = (value or "").strip().lower() if isinstance(value, str) else value
    if not value:
        return ""
    if value not in SourceChannel.values:
        raise ValidationFailed(
            f"source_channel: must be one of {', '.join(SourceChannel.values)}.",
            details={"source_channel": [f"Must be one of {', '.join(SourceChannel.values)}."]},
        )
    return value


def load_storefront(custom_url: str) -> EntrepreneurStorefront:
    custom_url = (custom_url or "").strip()
    storefront = published_storefront(custom_url) if custom_url else None
    if storefront is None:
        raise NotFound("Store not found.", details={"entrepreneur_custom_url": custom_url})
    return storefront
