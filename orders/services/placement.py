"""What every placement (one order, or a checkout of several) shares: the store, the channel, the numbers."""
import secrets

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.dates import LAGOS
from core.errors import NotFound, ValidationFailed
from entrepreneurs.selectors import custom_url_matches
from social.models import EntrepreneurStorefront

from ..models import Order, SourceChannel

MAX_NOTES_LENGTH = 1000
ORDER_ID_ATTEMPTS = 5


def generate_order_id() -> str:
    """``PAY`` + yyyymmdd (Lagos date) + 8 upper-case hex digits."""
    return f"PAY{timezone.now().astimezone(LAGOS):%Y%m%d}{secrets.token_hex(4).upper()}"


def save_with_unique_order_id(order: Order) -> None:
    for attempt in range(ORDER_ID_ATTEMPTS):
        order.order_id = generate_order_id()
        try:
            with transaction.atomic():
                order.save(force_insert=True)
            return
        except IntegrityError:
            # 32 random bits per day make a collision rare; anything else is a real error.
            if attempt == ORDER_ID_ATTEMPTS - 1 or not Order.objects.filter(order_id=order.order_id).exists():
                raise
            order.pk = None


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


def store_matches(custom_url: str, prefix: str = "") -> Q:
    """A filter: the published store of an active entrepreneur at ``custom_url`` (any case); ``prefix`` reaches
    the store from a related model (``"storefront__"``)."""
    return (Q(custom_url_matches(custom_url, f"{prefix}entrepreneur__"))
            & Q(**{f"{prefix}entrepreneur__is_active": True, f"{prefix}is_published": True}))


def load_storefront(custom_url: str) -> EntrepreneurStorefront:
    custom_url = (custom_url or "").strip()
    storefront = (
        EntrepreneurStorefront.objects.select_related("entrepreneur").filter(store_matches(custom_url)).first()
        if custom_url else None
    )
    if storefront is None:
        raise NotFound("Store not found.", details={"entrepreneur_custom_url": custom_url})
    return storefront
