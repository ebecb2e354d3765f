"""Initialize a payment: a pending Transaction with a fresh reference, then the gateway's checkout URL.

Pays one order or a whole checkout (one charge for its total, SPEC §5.1). The gateway call happens after
the Transaction row is committed and with no lock held; confirmation is ``charges.payment_confirm``.
"""
import secrets

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from core.errors import Conflict, GatewayError, NotFound, ValidationFailed
from core.links import storefront_url
from core.money import CURRENCY
from core.validators import parse_id
from orders.models import Checkout, Order, OrderStatus, PaymentStatus
from orders.selectors import order_ref_filter

from ..gateways import gateway_for
from ..models import Transaction

TxStatus = Transaction.Status
TxType = Transaction.TransactionType


def _customer_order(*, user, order_ref) -> Order:
    if not str(order_ref or "").strip():
        raise ValidationFailed("order_id: This field is required.", details={"order_id": ["This field is required."]})
    order = (Order.objects.filter(order_ref_filter(order_ref), customer=user)
             .select_related("customer", "entrepreneur").first())
    if order is None:
        raise NotFound("Order not found.")
    return order


def _ensure_payable(order: Order) -> None:
    if order.is_cod:
        raise Conflict("This order is paid in cash on delivery, not online.", code="pay_on_delivery")
    if order.payment_status == PaymentStatus.PAID:
        raise Conflict("This order has already been paid.", code="already_paid")
    if order.status != OrderStatus.PENDING:
        raise Conflict(f"This order is {order.status} and can no longer be paid.", code="not_payable")
    if order.reserved_until and order.reserved_until < timezone.now():
        raise Conflict("The reservation for this order has expired; please place the order again.",
                       code="reservation_expired")


def _customer_checkout(*, user, checkout_ref) -> Checkout:
    ref = str(checkout_ref or "").strip()
    lookup = Q(pk=parse_id(ref)) if parse_id(ref) is not None else Q(checkout_id=ref.upper())
    checkout = (Checkout.objects.filter(lookup, customer=user).select_related("customer", "entrepreneur")
                .prefetch_related("orders").first()) if ref else None
    if checkout is None:
        raise NotFound("Checkout not found.")
    return checkout


def _ensure_checkout_payable(checkout: Checkout) -> None:
    """Every order of the checkout must still be awaiting payment: one charge pays them all or none."""
    orders = sorted(checkout.orders.all(), key=lambda o: o.pk)
    if any(o.is_cod for o in orders):
        raise Conflict("This checkout is paid in cash on delivery, not online.", code="pay_on_delivery")
    if orders and all(o.payment_status == PaymentStatus.PAID for o in orders):
        raise Conflict("This checkout has already been paid.", code="already_paid")
    unpayable = [o for o in orders if o.payment_status == PaymentStatus.PAID or o.status != OrderStatus.PENDING]
    if unpayable or not orders:
        raise Conflict(
            "Some orders of this checkout can no longer be paid together ("
            + ", ".join(f"{o.order_id} is {o.status}" for o in unpayable)
            + "); pay the remaining orders one by one.",
            details={"orders": [{"order_id": o.order_id, "status": o.status, "payment_status": o.payment_status}
                                for o in unpayable]},
            code="not_payable",
        )
    if any(o.reserved_until and o.reserved_until < timezone.now() for o in orders):
        raise Conflict("The reservation for this checkout has expired; please check out again.",
                       code="reservation_expired")


def new_payment_reference(order_or_checkout) -> str:
    # Paystack allows alphanumerics and - . = ; one fresh reference per attempt.
    number = order_or_checkout.checkout_id if isinstance(order_or_checkout, Checkout) else order_or_checkout.order_id
    return f"PJ-{number}-{secrets.token_hex(5).upper()}"


def payment_initialize(*, user, order_ref=None, checkout_ref=None, provider: str,
                       callback_url: str = "") -> tuple[Transaction, str]:
    """Create a pending Transaction with a fresh reference and ask the gateway for its checkout URL.

    Pays one order (``order_ref``: ``PAY…`` or its id) or a whole checkout (``checkout_ref``: ``CHK…``
    or its id; one Transaction for the checkout's total, SPEC §5.1) — exactly one of them.
    The gateway call happens after the Transaction row is committed and with no lock held.
    """
    client = gateway_for(provider)  # 400 for unknown providers and for the sandbox when it is off
    if bool(str(order_ref or "").strip()) == bool(str(checkout_ref or "").strip()):
        raise ValidationFailed("Give either order_id or checkout_id.",
                               details={"order_id": ["Give either order_id or checkout_id."]})
    if checkout_ref:
        checkout = _customer_checkout(user=user, checkout_ref=checkout_ref)
        _ensure_checkout_payable(checkout)
        order, amount, number = None, checkout.total_amount, {"checkout_id": checkout.checkout_id}
        reference = new_payment_reference(checkout)
        customer = checkout.customer
    else:
        order = _customer_order(user=user, order_ref=order_ref)
        _ensure_payable(order)
        checkout, amount, number = None, order.total_amount, {"order_id": order.order_id}
        reference = new_payment_reference(order)
        customer = order.customer
    # No page named: the frontend's callback if there is one, else the store's HTML pages (SPEC §9).
    callback_url = callback_url or (f"{settings.FRONTEND_URL}/payment/callback" if settings.FRONTEND_URL
                                    else storefront_url((checkout or order).entrepreneur.custom_url))
    txn = Transaction.objects.create(
        transaction_id=reference, order=order, checkout=checkout, user=user, transaction_type=TxType.PAYMENT,
        amount=amount, currency=CURRENCY, provider=provider, status=TxStatus.PENDING,
        metadata={"callback_url": callback_url, **number},
    )
    try:
        result = client.initialize(
            reference=reference, amount=amount, email=customer.email, callback_url=callback_url,
            metadata={**number, "transaction_id": reference},
            customer_name=customer.get_full_name(), phone_number=str(customer.phone_number or ""),
        )
    except GatewayError as exc:
        Transaction.objects.filter(pk=txn.pk, status=TxStatus.PENDING).update(
            status=TxStatus.FAILED, updated_at=timezone.now(),
            metadata={**txn.metadata, "initialize_error": exc.message},
        )
        raise
    txn.metadata = {**txn.metadata, "payment_url": result.payment_url}
    txn.save(update_fields=["metadata", "updated_at"])
    return txn, result.payment_url
