"""Guest checkout and the order page (SPEC §9): the cart goes through the checkouts service (§5.1), one
payment for every parcel, and the shopper follows the order through an unguessable link.

- ``/<custom_url>/checkout/``: name, phone, email, address, city, state, notes, payment choice. The order
  belongs to the logged-in customer, or to the customer account found or created by email (created
  without a usable password). CSRF-protected, throttled per address; errors re-render with the fields kept.
- Pay on delivery (SPEC §10) is offered where the store and every parcel's supplier allow it and the total is
  within the store's maximum: "Send code" texts a 6-digit code to the phone (the form is kept), the shopper
  enters it and places the order; no gateway, the order page says what to pay the courier.
- ``/<custom_url>/orders/<token>/``: the gateway returns here (``?reference=``); the page verifies the
  payment with the gateway and shows items, totals, payment and delivery status, tracking, and "pay
  again" while unpaid. Only the token opens it (SHA-256 stored, 192 random bits); never cached, never
  indexed, and no Referer leaves it for another site.
"""
import hashlib
import logging
import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from analytics.services import event_record
from core.errors import ApplicationError, GatewayError, ValidationFailed
from core.links import storefront_url
from core.notifications import notify
from core.throttling import client_address
from orders.models import COD
from orders.services import OrderLine, checkout_create, cod_code_send, cod_code_verify, cod_offer_problem, cod_phone_clean
from orders.shipping import NIGERIAN_STATES
from payments.models import Transaction
from payments.services import payment_confirm, payment_initialize
from social.channels import ShareChannel
from social.selectors import public_storefront_get
from suppliers.models import SupplierProfile

from .cart import cart_view, clear
from .models import OrderPageToken
from .negotiation import is_preview_bot
from .pages import _image_name, _store_context, not_found_page, picture

logger = logging.getLogger(__name__)
D0 = Decimal("0.00")

FIELDS = ("full_name", "phone", "email", "address", "city", "state", "notes", "cod_code")
_LIMITS = {"full_name": 200, "phone": 32, "email": 254, "address": 500, "city": 100, "state": 100, "notes": 1000,
           "cod_code": 12}
COD_CHOICE = (COD, "Pay on delivery (cash to the courier)")
# Checkout posts per client address per window (settings.PUBLIC_CHECKOUT_ATTEMPTS / _WINDOW_SECONDS).
CHECKOUT_ATTEMPTS = 10
CHECKOUT_WINDOW_SECONDS = 600


def payment_choices() -> list[tuple[str, str]]:
    choices = []
    if settings.PAYMENTS_SANDBOX:
        choices.append(("sandbox", "Test payment (sandbox)"))
    if getattr(settings, "PAYSTACK_SECRET_KEY", ""):
        choices.append(("paystack", "Card, bank transfer or USSD (Paystack)"))
    if getattr(settings, "FLUTTERWAVE_SECRET_KEY", ""):
        choices.append(("flutterwave", "Card, bank transfer or USSD (Flutterwave)"))
    return choices


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def order_page_path(custom_url: str, token: str) -> str:
    return f"{storefront_url(custom_url)}orders/{token}/"


def _throttled(request) -> bool:
    """At most CHECKOUT_ATTEMPTS checkout posts per client address per window (fails open without a cache)."""
    key = "public-checkout:" + hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    try:
        window = int(getattr(settings, "PUBLIC_CHECKOUT_WINDOW_SECONDS", CHECKOUT_WINDOW_SECONDS))
        if cache.add(key, 1, window):
            return False
        return cache.incr(key) > int(getattr(settings, "PUBLIC_CHECKOUT_ATTEMPTS", CHECKOUT_ATTEMPTS))
    except Exception:  # noqa: BLE001 — a cache outage must not stop people from buying
        logger.warning("checkout throttle unavailable", exc_info=True)
        return False


def _cod_offered(storefront, cart) -> bool:
    """Pay on delivery is offered when the store enables it, every parcel's supplier accepts it and the total
    is within the store's maximum (the phone's own limits are checked when the order is placed)."""
    if not storefront.cod_enabled or not cart.parcels:
        return False
    suppliers = list(SupplierProfile.objects.filter(pk__in={parcel.supplier_id for parcel in cart.parcels}))
    return cod_offer_problem(storefront=storefront, suppliers=suppliers, total=cart.total) is None


def _clean(post, choices) -> tuple[dict, dict]:
    data = {name: (post.get(name) or "").strip()[: _LIMITS[name]] for name in FIELDS}
    data["payment"] = (post.get("payment") or "").strip()
    errors = {}
    for name in ("full_name", "phone", "email", "address", "city", "state"):
        if not data[name]:
            errors[name] = "Required."
    for name in FIELDS:  # a NUL cannot be stored (PostgreSQL refuses it): a friendly error, never a 500
        if "\x00" in data[name]:
            errors[name] = "Remove the invisible characters from this field."
    if data["email"]:
        try:
            validate_email(data["email"])
        except DjangoValidationError:
            errors["email"] = "Enter a valid email address."
    if data["state"] and data["state"] not in NIGERIAN_STATES:
        errors["state"] = "Choose a state from the list."
    if data["payment"] not in dict(choices):
        errors["payment"] = "Choose how to pay."
    return data, errors


def _send_cod_code(request, data: dict) -> tuple[str, int]:
    """The "Send code" button: text the code to the form's phone; the form comes back with its fields kept."""
    try:
        phone = cod_phone_clean(data["phone"])
        cod_code_send(phone=phone, client_address=client_address(request))
    except ApplicationError as exc:
        return exc.message, exc.status_code if exc.status_code < 500 else 400
    messages.info(request, f"We sent a 6-digit code to the phone ending {phone[-4:]}. Enter it below to place "
                           "your order. It is valid for 10 minutes.")
    return "", 200


ACCOUNT_EMAIL = ("This email belongs to a Payjaro account, so it cannot be used to check out as a guest. "
                 "Please use another email.")


def _customer_for(request, email: str):
    """The logged-in customer, else the guest account of this email (a customer account with no password, created
    here the first time). A guest checkout never lands in an account someone can sign in to: whoever registered
    this email — not necessarily its owner; registration does not prove it — would read the shopper's name,
    phone and address in its orders, and could cancel them. Such an email is refused with the same words whatever
    the account is (a supplier's or an admin's is not told apart)."""
    User = get_user_model()
    user = request.user
    if user.is_authenticated:
        return user
    customer = User.objects.filter(email__iexact=email).first()
    if customer is None:
        customer = User(username=f"guest-{secrets.token_hex(8)}", email=email.lower(),
                        user_type=User.UserType.CUSTOMER)
        customer.set_unusable_password()
        customer.save()
    elif customer.has_usable_password() or customer.user_type != User.UserType.CUSTOMER or not customer.is_active:
        raise ValidationFailed(ACCOUNT_EMAIL, details={"email": [ACCOUNT_EMAIL]})
    return customer


def _redirect(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _private(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    # A Referer never carries the token's path (not to other sites, not into our own view events or logs);
    # "origin" rather than "no-referrer", which would make Chrome post Origin: null and fail the CSRF check.
    response["Referrer-Policy"] = "origin"
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def checkout_page(request, custom_url: str):
    try:
        storefront = public_storefront_get(custom_url=custom_url)
    except ApplicationError as exc:
        return not_found_page(request, exc.message)
    context = _store_context(storefront)
    store = context["store"]

    def describe(listing):
        return "", picture(_image_name(listing.product), listing.product.name)

    cart = cart_view(request.session, storefront=storefront, describe=describe)
    if not cart.parcels:
        messages.info(request, "Your cart is empty.")
        return _redirect(store["cart_url"])
    choices = payment_choices() + ([COD_CHOICE] if _cod_offered(storefront, cart) else [])
    data = {name: "" for name in FIELDS}
    if request.user.is_authenticated:
        data["email"] = request.user.email
    data["payment"] = (choices or [("", "")])[0][0]
    errors: dict = {}
    error = ""
    status = 200
    if request.method == "POST":
        data, errors = _clean(request.POST, choices)
        if _throttled(request):
            error, status = "Too many checkout attempts from your network. Please wait a few minutes.", 429
        elif request.POST.get("action") == "send_code" and COD in dict(choices):
            data["payment"] = COD  # asking for the code is choosing pay on delivery
            if errors.get("phone"):
                error, status = "Enter your phone number first.", 400
            else:
                errors = {}
                error, status = _send_cod_code(request, data)
        elif errors:
            error, status = "Please correct the fields below.", 400
        elif request.POST.get("cart_fingerprint") != cart.fingerprint:
            # A price, a quantity or a line changed since the page was shown (SPEC §5: a changed price is never
            # taken silently): the page again, with the cart as it is now, to confirm.
            error, status = ("Your cart changed since you opened this page (a price, a quantity or an item). "
                             "Check the new total below and place the order again."), 409
        else:
            try:
                return _place(request, storefront, store, cart, data)
            except ApplicationError as exc:
                error, status = exc.message, exc.status_code if exc.status_code < 500 else 400
    context.update({"cart": cart, "data": data, "errors": errors, "error": error, "states": NIGERIAN_STATES,
                    "payments": choices, "cod": data["payment"] == COD, "cod_offered": COD in dict(choices),
                    "meta": None})
    return _private(render(request, "public/checkout.html", context, status=status))


def _place(request, storefront, store: dict, cart, data: dict):
    customer = _customer_for(request, data["email"])
    items = [OrderLine(product_id=line.product_id, variation_id=line.variation_id, quantity=line.quantity,
                       unit_price=line.unit_price) for parcel in cart.parcels for line in parcel.lines]
    source = request.session.get("payjaro_src")
    token = secrets.token_urlsafe(24)
    if data["payment"] == COD and data["cod_code"]:
        # Checked on its own first, so a wrong guess stays counted even though the placement below is atomic.
        cod_code_verify(phone=cod_phone_clean(data["phone"]), code=data["cod_code"])
    with transaction.atomic():
        checkout = checkout_create(
            customer=customer, entrepreneur_custom_url=store["custom_url"], items=items,
            shipping_address={key: data[key] for key in ("full_name", "phone", "address", "city", "state")},
            notes=data["notes"], source_channel=source if source in ShareChannel.values else "",
            payment_method=data["payment"], cod_code=data["cod_code"],
        )
        OrderPageToken.objects.create(checkout=checkout, token_hash=token_hash(token))
    link = order_page_path(store["custom_url"], token)
    clear(request.session, storefront.pk)
    if not is_preview_bot(request):
        event_record(request=request, event_type="checkout", entrepreneur=storefront.entrepreneur,
                     metadata={"checkout_id": checkout.checkout_id, "parcels": len(cart.parcels),
                               **({"src": source} if source in ShareChannel.values else {})})
    # The order-page link by email and SMS, like every notification (after commit, never raised into us).
    notify("checkout_placed", checkout_id=checkout.pk, order_link=link)
    if checkout.payment_method == COD:
        return _redirect(link)  # nothing to pay online: the courier collects the cash
    return _pay(request, checkout, customer, data["payment"], link)


def _pay(request, checkout, customer, provider: str, link: str):
    try:
        _, payment_url = payment_initialize(user=customer, checkout_ref=checkout.checkout_id, provider=provider,
                                            callback_url=link)
    except ApplicationError as exc:
        messages.error(request, f"We could not start the payment: {exc.message} You can try again below.")
        return _redirect(link)
    return _redirect(payment_url)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def order_page(request, custom_url: str, token: str):
    access = (OrderPageToken.objects.select_related("checkout__entrepreneur", "checkout__customer")
              .filter(token_hash=token_hash(token)).first())
    if access is None or access.checkout.entrepreneur.custom_url != custom_url.lower():
        response = _private(not_found_page(request, "This order link is not valid."))
        # Django would log "Not Found: <path>": a mistyped link is still most of somebody's token.
        response._has_been_logged = True
        return response
    checkout = access.checkout
    try:
        storefront = public_storefront_get(custom_url=custom_url)
        context = _store_context(storefront)
    except ApplicationError:
        context = {"site_name": "Payjaro"}
    link = order_page_path(checkout.entrepreneur.custom_url, token)
    if request.method == "POST":
        provider = (request.POST.get("payment") or "").strip()
        if provider not in dict(payment_choices()):
            messages.error(request, "Choose how to pay.")
            return _redirect(link)
        return _pay(request, checkout, checkout.customer, provider, link)
    reference = (request.GET.get("reference") or request.GET.get("trxref") or request.GET.get("tx_ref") or "").strip()
    if reference and Transaction.objects.filter(transaction_id=reference, checkout=checkout).exists():
        try:
            payment_confirm(reference=reference)
        except (ApplicationError, GatewayError) as exc:
            messages.error(request, f"We could not check the payment yet: {exc.message}")
    orders = list(checkout.orders.prefetch_related("items__variation").order_by("id"))
    status = checkout.status if orders else "pending"
    unpaid = [order for order in orders if order.payment_status != "paid" and order.status == "pending"]
    cod = checkout.payment_method == COD
    cod_due = sum((order.total_amount for order in orders
                   if order.payment_status != "paid" and order.status not in ("cancelled", "returned")), D0)
    context.update({
        "checkout": checkout, "orders": orders, "status": status, "meta": None, "cod": cod, "cod_due": cod_due,
        "can_pay": not cod and bool(orders) and len(unpaid) == len(orders), "payments": payment_choices(),
        "order_link": link,
    })
    return _private(render(request, "public/order.html", context))
