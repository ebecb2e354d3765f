"""Pay on delivery (SPEC §10): the phone code, and who may place a COD order.

1. ``cod_code_send(phone=…, client_address=…)`` — ``POST /api/orders/cod/send-code/`` and the HTML checkout's
   "send code": a 6-digit code, stored as an HMAC only, sent by SMS through ``notify("cod_phone_code")``
   (printed to the console where Twilio is not configured). Throttled per phone and per client address.
2. ``cod_code_verify(phone=…, code=…)`` — before the order's transaction: a wrong guess is counted and
   committed (5 at most), whatever happens to the order afterwards.
3. ``cod_check_placement(…)`` — inside the order's transaction: the code is consumed under its row lock
   (which also serialises two placements for one phone), then the opt-ins, the store's maximum and the
   phone's limits are checked. Any refusal is a 400 whose ``code`` and ``details.reason`` say which.
"""
import hashlib
import logging
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from core.errors import ApplicationError, ValidationFailed
from core.notifications import notify
from core.throttling import CACHE_ERRORS
from users.phone import normalize_phone

from ..models import COD_OPEN_STATUSES, CodPhoneCode, Order

logger = logging.getLogger(__name__)

COD_CODE_DIGITS = 6
COD_CODE_TTL_MINUTES = 10
COD_CODE_MAX_ATTEMPTS = 5
# A phone may not hold more open COD orders than this, nor have refused this many COD deliveries lately.
COD_MAX_OPEN_ORDERS = 3
COD_MAX_REFUSALS = 2
COD_REFUSAL_WINDOW_DAYS = 90
# send-code: per phone and per client address, in a sliding-ish fixed window (settings may override).
COD_SENDS_PER_PHONE = 3
COD_SENDS_PER_ADDRESS = 10
COD_SEND_WINDOW_SECONDS = 3600


class CodRefused(ValidationFailed):
    """A COD order that is not allowed (400); ``code`` names the reason."""


class TooManyCodes(ApplicationError):
    status_code = 429
    code = "throttled"
    default_message = "Too many codes requested. Please wait before asking for another."


def cod_phone_clean(phone) -> str:
    """A Nigerian phone in E.164, or a 400 on ``phone``."""
    try:
        value = normalize_phone(str(phone or "").strip()) if str(phone or "").strip() else ""
    except DjangoValidationError:
        value = ""
    if not value.startswith("+234"):
        raise ValidationFailed("phone: Enter a Nigerian phone number, e.g. 08012345678.",
                               details={"phone": ["Enter a Nigerian phone number, e.g. 08012345678 or +2348012345678."]})
    return value


def _code_hash(phone: str, code: str) -> str:
    return salted_hmac("orders.cod-phone-code", f"{phone}:{code}", algorithm="sha256").hexdigest()


def _over_limit(kind: str, key: str, limit: int, window: int) -> bool:
    """Count one send for ``key``; True once it goes past ``limit`` in the window (fails open without a cache)."""
    cache_key = f"cod-send:{kind}:" + hashlib.sha256(key.encode()).hexdigest()[:32]
    try:
        if cache.add(cache_key, 1, window):
            return False
        return cache.incr(cache_key) > limit
    except CACHE_ERRORS:  # a cache outage must not stop shoppers from confirming their phone
        logger.warning("COD send-code throttle unavailable", exc_info=True)
        return False


def cod_code_send(*, phone, client_address: str = "") -> CodPhoneCode:
    """Send a fresh code to ``phone`` (older live codes of the phone are retired). 429 past the limits."""
    phone = cod_phone_clean(phone)
    window = int(getattr(settings, "COD_SEND_WINDOW_SECONDS", COD_SEND_WINDOW_SECONDS))
    if (_over_limit("address", client_address or "-", int(getattr(settings, "COD_SENDS_PER_ADDRESS",
                                                                   COD_SENDS_PER_ADDRESS)), window)
            or _over_limit("phone", phone, int(getattr(settings, "COD_SENDS_PER_PHONE", COD_SENDS_PER_PHONE)), window)):
        raise TooManyCodes()
    code = f"{secrets.randbelow(10 ** COD_CODE_DIGITS):0{COD_CODE_DIGITS}d}"
    now = timezone.now()
    with transaction.atomic():
        CodPhoneCode.objects.filter(phone=phone, used_at__isnull=True, retired_at__isnull=True).update(retired_at=now)
        row = CodPhoneCode.objects.create(phone=phone, code_hash=_code_hash(phone, code),
                                          expires_at=now + timedelta(minutes=COD_CODE_TTL_MINUTES))
        # The code itself travels only to the SMS (or console) task; the database keeps the HMAC.
        notify("cod_phone_code", code_id=row.pk, phone=phone, code=code)
    return row


def _live_code(phone: str, *, lock: bool) -> CodPhoneCode | None:
    qs = CodPhoneCode.objects.filter(phone=phone, used_at__isnull=True, retired_at__isnull=True)
    if lock:
        qs = qs.select_for_update()
    return qs.order_by("-created_at", "-id").first()


def cod_code_verify(*, phone: str, code) -> CodPhoneCode:
    """Check ``code`` for ``phone`` (E.164) in a transaction of its own, so a wrong guess stays counted."""
    code = str(code or "").strip()
    wrong_left = None
    with transaction.atomic():
        row = _live_code(phone, lock=True)
        if row is None or row.expires_at <= timezone.now():
            raise CodRefused("cod_code: The code has expired or was never sent. Ask for a new code.",
                             details={"reason": "code_expired", "cod_code": ["Expired or not sent."]},
                             code="cod_code_expired")
        if row.attempts >= COD_CODE_MAX_ATTEMPTS:
            raise CodRefused("cod_code: Too many wrong tries. Ask for a new code.",
                             details={"reason": "code_exhausted", "cod_code": ["Too many wrong tries."]},
                             code="cod_code_exhausted")
        if not (code.isascii() and code.isdigit() and len(code) == COD_CODE_DIGITS
                and constant_time_compare(row.code_hash, _code_hash(phone, code))):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            wrong_left = COD_CODE_MAX_ATTEMPTS - row.attempts
    if wrong_left is not None:
        raise CodRefused(f"cod_code: That code is not right ({wrong_left} tries left).",
                         details={"reason": "code_wrong", "tries_left": wrong_left, "cod_code": ["Wrong code."]},
                         code="cod_code_wrong")
    return row


def _refuse(reason: str, message: str, **details) -> CodRefused:
    return CodRefused(message, details={"reason": reason, **details}, code=f"cod_{reason}")


def cod_offer_problem(*, storefront, suppliers, total: Decimal) -> CodRefused | None:
    """Why this store cannot take this cart on delivery (None: it can). No lock, no write: the HTML checkout
    uses it to decide whether to offer COD at all."""
    if not storefront.cod_enabled:
        return _refuse("store_disabled", "Pay on delivery is not offered by this store.")
    refusing = [supplier for supplier in suppliers if not supplier.accepts_cod]
    if refusing:
        # Never name the supplier to a shopper: say how many parcels cannot be paid on delivery.
        return _refuse("supplier_not_accepting",
                       f"Pay on delivery is not available for {len(refusing)} of the {len(suppliers)} parcel(s) in "
                       "this cart. Pay online, or remove those items.", parcels=len(refusing))
    if total > storefront.cod_max_order_value:
        return _refuse("over_maximum",
                       f"Pay on delivery is available for orders up to ₦{storefront.cod_max_order_value:,.2f}; "
                       f"this one is ₦{total:,.2f}. Pay online, or order less.",
                       maximum=str(storefront.cod_max_order_value), total=str(total))
    return None


def cod_phone_problem(*, phone: str, now=None, new_orders: int = 1) -> CodRefused | None:
    """Why this phone may not place ``new_orders`` more COD orders (None: it may) — a checkout places one per
    supplier, and every one of them counts towards the phone's COD_MAX_OPEN_ORDERS."""
    now = now or timezone.now()
    phone_orders = Order.objects.filter(cod_phone=phone)
    open_orders = phone_orders.filter(status__in=COD_OPEN_STATUSES).count()
    if open_orders + new_orders > COD_MAX_OPEN_ORDERS:
        if open_orders >= COD_MAX_OPEN_ORDERS:
            message = (f"This phone already has {open_orders} pay-on-delivery orders on their way (at most "
                       f"{COD_MAX_OPEN_ORDERS}). Pay online, or wait for one to be delivered.")
        else:
            message = (f"This cart is {new_orders} pay-on-delivery parcels and this phone has {open_orders} on their "
                       f"way: at most {COD_MAX_OPEN_ORDERS} at once. Pay online, or order from fewer suppliers.")
        return _refuse("phone_open_orders", message, open_orders=open_orders, new_orders=new_orders,
                       maximum=COD_MAX_OPEN_ORDERS)
    refusals = phone_orders.filter(cod_refused_at__gte=now - timedelta(days=COD_REFUSAL_WINDOW_DAYS)).count()
    if refusals >= COD_MAX_REFUSALS:
        return _refuse("phone_refusals",
                       f"Pay on delivery is not available for this phone: {refusals} deliveries were refused in the "
                       f"last {COD_REFUSAL_WINDOW_DAYS} days. Please pay online.",
                       refused_deliveries=refusals, maximum=COD_MAX_REFUSALS)
    return None


def cod_check_before_placement(*, storefront, suppliers, total: Decimal, phone: str, code) -> CodPhoneCode:
    """Outside the placement's transaction: the store and suppliers allow it, the phone may, the code is right."""
    problem = (cod_offer_problem(storefront=storefront, suppliers=suppliers, total=total)
               or cod_phone_problem(phone=phone, new_orders=len(suppliers)))
    if problem is not None:
        raise problem
    if not str(code or "").strip():
        raise _refuse("code_required", "cod_code: Confirm the phone first: ask for a code and enter it.",
                      cod_code=["This field is required for pay on delivery."])
    return cod_code_verify(phone=phone, code=code)


def cod_consume_code(*, code_row: CodPhoneCode, new_orders: int = 1, now=None) -> None:
    """Inside the placement's transaction: use the code once, under its row lock — which also serialises two
    placements for one phone, so the phone's limits are re-checked here (for the ``new_orders`` it places)
    without a race."""
    now = now or timezone.now()
    locked = CodPhoneCode.objects.select_for_update().filter(pk=code_row.pk).first()
    if locked is None or locked.used_at is not None or locked.retired_at is not None:
        raise _refuse("code_used", "cod_code: This code was already used. Ask for a new code.",
                      cod_code=["Already used."])
    problem = cod_phone_problem(phone=locked.phone, now=now, new_orders=new_orders)
    if problem is not None:
        raise problem
    locked.used_at = now
    locked.save(update_fields=["used_at"])
