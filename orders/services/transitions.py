"""The status machine (SPEC §5): the one way an order changes status, and the two payment facts
(``order_mark_paid``, ``order_mark_refunded``) that the app taking the money reports.

Under the order's row lock: the move is checked against ``ORDER_TRANSITIONS``, then who may make it;
the change is saved with ``update_fields``, history is written, stock comes back once on cancel/return,
and the hooks registered in ``orders.hooks`` run in the same transaction.
"""
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from core.models import insert_rows, save_fields
from core.notifications import notify
from core.permissions import has_role, is_admin

from .. import hooks
from ..models import Order, OrderStatus, OrderStatusHistory, PaymentStatus
from ..selectors import order_ref_filter
from .reservations import release_stock

# Statuses that put the reserved units back on the shelf (once per order: see Order.stock_released_at).
RESTOCK_STATUSES = frozenset({OrderStatus.CANCELLED, OrderStatus.RETURNED})
# What the supplier of an order may do with it (SPEC §5).
SUPPLIER_MOVES = frozenset({
    (OrderStatus.PAID, OrderStatus.PROCESSING),
    (OrderStatus.PROCESSING, OrderStatus.SHIPPED),
    (OrderStatus.SHIPPED, OrderStatus.DELIVERED),
})
# Pay on delivery (SPEC §10): the supplier takes the unpaid order, ships it, and records the cash at the door —
# or the shopper's refusal (shipped → returned).
COD_SUPPLIER_MOVES = frozenset({
    (OrderStatus.PENDING, OrderStatus.PROCESSING),
    (OrderStatus.PROCESSING, OrderStatus.SHIPPED),
    (OrderStatus.SHIPPED, OrderStatus.DELIVERED),
    (OrderStatus.SHIPPED, OrderStatus.RETURNED),
})
CUSTOMER_MOVES = frozenset({(OrderStatus.PENDING, OrderStatus.CANCELLED)})
NOTIFY_ON = {OrderStatus.SHIPPED: "order_shipped", OrderStatus.DELIVERED: "order_delivered"}
MAX_TRACKING_NUMBER_LENGTH = 100


def _lock_order(order_id) -> Order:
    """Services take the numeric pk; the public ``PAY…`` order_id (or an Order) is accepted too. Its supplier and
    entrepreneur come in the same query (the money split of a paid order needs both)."""
    try:
        return (Order.objects.select_for_update(of=("self",)).select_related("supplier", "entrepreneur")
                .get(order_ref_filter(order_id)))
    except Order.DoesNotExist:
        raise NotFound("Order not found.") from None


def _check_role(order: Order, actor, to_status: str) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("You must be signed in to change an order.")
    if is_admin(actor):
        return
    move = (order.status, to_status)
    if has_role(actor, "customer") and actor.pk == order.customer_id:
        if move in CUSTOMER_MOVES:
            return
        raise PermissionDenied("Customers can only cancel their own orders while they are pending (unpaid).")
    if has_role(actor, "supplier") and actor.pk == order.supplier.user_id:
        if move in (COD_SUPPLIER_MOVES if order.is_cod else SUPPLIER_MOVES):
            return
        raise PermissionDenied("Suppliers can only move their paid orders to processing, shipped and delivered.")
    raise PermissionDenied("You are not allowed to change the status of this order.")


def _clean_cash(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        cash = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        cash = None
    if cash is None or not cash.is_finite() or cash < 0 or cash != cash.quantize(Decimal("0.01")):
        raise ValidationFailed("cash_collected: must be an amount in naira, e.g. 16800.00.",
                               details={"cash_collected": ["A valid amount is required."]})
    return cash


def _record_cod(order: Order, to_status: str, cash: Decimal | None, now, fields: list[str]) -> None:
    """The COD facts of a move: the exact cash at delivery (then the order is paid), a refusal at the door."""
    if to_status == OrderStatus.DELIVERED:
        if cash is None:
            raise ValidationFailed("cash_collected is required to mark a pay-on-delivery order as delivered.",
                                   details={"cash_collected": ["Required: the cash collected at the door."]})
        if cash != order.total_amount:
            raise ValidationFailed(
                f"cash_collected must be the order's total, ₦{order.total_amount:,.2f} (got ₦{cash:,.2f}).",
                details={"cash_collected": [f"Must be exactly {order.total_amount}."],
                         "total_amount": str(order.total_amount)})
        order.cash_collected, order.payment_status, order.paid_at = cash, PaymentStatus.PAID, now
        fields += ["cash_collected", "payment_status", "paid_at"]
    elif cash is not None:
        raise ValidationFailed("cash_collected is recorded only when the order is delivered.",
                               details={"cash_collected": ["Only with status delivered."]})
    if to_status == OrderStatus.RETURNED and order.status == OrderStatus.SHIPPED:
        order.cod_refused_at = now
        fields.append("cod_refused_at")


def order_transition(*, order_id, to_status: str, actor, notes: str = "", tracking_number: str = "",
                     system: bool = False, cash_collected=None) -> Order:
    """The one way an order changes status (API, admin, tasks). ``paid`` comes only from ``order_mark_paid``.

    Under the order's row lock: check the move is in ORDER_TRANSITIONS (409 naming the allowed
    ones), check who may make it (unless ``system``), save, write history, restore stock once on
    cancel/return, then run the registered transition hooks (``orders.hooks``) in the same transaction.
    A pay-on-delivery order (``payment_method`` cod) follows ``COD_ORDER_TRANSITIONS``: delivered needs
    ``cash_collected`` equal to its total (the order becomes paid), and shipped → returned is a refusal at the door.
    """
    to_status = str(to_status or "").strip().lower()
    if to_status not in OrderStatus.values:
        raise ValidationFailed(f"status: {to_status!r} is not a valid order status.",
                               details={"status": [f"Must be one of {', '.join(OrderStatus.values)}."]})
    if to_status == OrderStatus.PAID:
        raise PermissionDenied("An order becomes paid only through a confirmed payment.", code="paid_by_payment_only")
    notes = (notes or "").strip()
    cash = _clean_cash(cash_collected)
    tracking_number = (tracking_number or "").strip()
    if len(tracking_number) > MAX_TRACKING_NUMBER_LENGTH:
        raise ValidationFailed(f"tracking_number: at most {MAX_TRACKING_NUMBER_LENGTH} characters.",
                               details={"tracking_number": [f"Ensure this field has no more than "
                                                            f"{MAX_TRACKING_NUMBER_LENGTH} characters."]})

    with transaction.atomic():
        order = _lock_order(order_id)
        previous = order.status
        if not order.can_transition_to(to_status):
            allowed = list(order.allowed_transitions())
            raise InvalidTransition(
                f"Cannot move an order from {previous} to {to_status}."
                + (f" Allowed: {', '.join(allowed)}." if allowed else " It is final."),
                details={"current_status": previous, "allowed": allowed},
            )
        if not system:
            _check_role(order, actor, to_status)
        if to_status == OrderStatus.SHIPPED and not tracking_number:
            raise ValidationFailed("A tracking number is required to mark an order as shipped.",
                                   details={"tracking_number": ["This field is required when the status is shipped."]})

        now = timezone.now()
        fields = ["status", "updated_at"]
        if order.is_cod:
            _record_cod(order, to_status, cash, now, fields)
        elif cash is not None:
            raise ValidationFailed("cash_collected is only for pay-on-delivery orders.",
                                   details={"cash_collected": ["This order is not paid on delivery."]})
        order.status = to_status
        if tracking_number:
            order.tracking_number = tracking_number
            fields.append("tracking_number")
        timestamp_field = {OrderStatus.SHIPPED: "shipped_at", OrderStatus.DELIVERED: "delivered_at",
                           OrderStatus.CANCELLED: "cancelled_at"}.get(to_status)
        if timestamp_field:
            setattr(order, timestamp_field, now)
            fields.append(timestamp_field)
        if to_status in RESTOCK_STATUSES and order.stock_released_at is None:
            release_stock(order)
            order.stock_released_at = now
            fields.append("stock_released_at")
        order.save(update_fields=fields)

        human = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
        OrderStatusHistory.objects.create(order=order, status=to_status, previous_status=previous, notes=notes,
                                          created_by=human)
        hooks.run_transition_hooks(order=order, previous_status=previous, new_status=to_status, actor=human)
        if to_status in NOTIFY_ON:
            notify(NOTIFY_ON[to_status], order_id=order.pk)
    return order


def order_mark_paid(*, order_id=None, locked_order: Order | None = None, notes: str = "",
                    payment_method: str = "") -> Order:
    """pending → paid after a confirmed payment. Called by payments inside its own transaction.

    Locks the order row itself (``order_id``), or takes ``locked_order``: the order the caller has already
    row-locked in its current transaction, with its supplier and entrepreneur (payments locks the orders a
    payment pays before it checks them), so it is not read and locked a second time. Anything but an unpaid
    pending order is a ``Conflict`` (the caller decides what to do with money that arrived for a cancelled
    order). Runs no transition hooks: the caller is the app that took the money.
    """
    if (order_id is None) == (locked_order is None):
        raise TypeError("order_mark_paid: give order_id or locked_order")
    if locked_order is not None and not transaction.get_connection().in_atomic_block:
        raise RuntimeError("order_mark_paid: a locked_order is only locked inside the caller's transaction")
    # With the caller's lock held, a failure here fails the caller's whole transaction: no savepoint needed.
    with transaction.atomic(savepoint=locked_order is None):
        order = locked_order if locked_order is not None else _lock_order(order_id)
        if order.is_cod:
            raise Conflict(f"Order {order.order_id} is paid on delivery, not online.",
                           details={"payment_method": order.payment_method}, code="pay_on_delivery")
        if order.status != OrderStatus.PENDING or order.payment_status == PaymentStatus.PAID:
            raise Conflict(
                f"Order {order.order_id} is not awaiting payment (status {order.status}).",
                details={"status": order.status, "payment_status": order.payment_status},
                code="not_payable",
            )
        previous = order.status
        order.status = OrderStatus.PAID
        order.payment_status = PaymentStatus.PAID
        order.paid_at = timezone.now()
        fields = ["status", "payment_status", "paid_at", "updated_at"]
        if payment_method:
            order.payment_method = payment_method[:30]
            fields.append("payment_method")
        save_fields(order, fields)
        insert_rows([OrderStatusHistory(order=order, status=OrderStatus.PAID, previous_status=previous,
                                        notes=(notes or "Payment confirmed").strip(), created_by=None)])
        notify("order_paid", order_id=order.pk)
    return order


def order_mark_refunded(*, order_id, notes: str = "") -> Order:
    """The gateway confirmed the refund of a paid order: ``payment_status`` becomes refunded, with history.

    Called by payments inside its own transaction; the order's status (cancelled/returned) is unchanged.
    Idempotent: an order already refunded is returned as it is.
    """
    with transaction.atomic():
        order = _lock_order(order_id)
        if order.payment_status == PaymentStatus.REFUNDED:
            return order
        order.payment_status = PaymentStatus.REFUNDED
        order.save(update_fields=["payment_status", "updated_at"])
        OrderStatusHistory.objects.create(order=order, status=order.status, previous_status=order.status,
                                          notes=(notes or "Payment refunded").strip(), created_by=None)
    return order
