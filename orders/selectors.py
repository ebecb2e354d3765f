"""Reads of orders: role-scoped querysets with their joins planned (a fixed number of queries per page)."""
from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from core.errors import NotFound
from core.permissions import has_role, is_admin
from core.validators import parse_id

from .models import Checkout, Order, OrderItem, OrderStatusHistory


def order_ref_filter(ref) -> Q:
    """The one way to find an order from what a caller holds: an ``Order``, its numeric id (int or digits),
    or its public ``PAY…`` order_id in any case. Anything else is a ``NotFound``."""
    if isinstance(ref, Order):
        return Q(pk=ref.pk)
    if isinstance(ref, int) and not isinstance(ref, bool):
        return Q(pk=ref)
    if isinstance(ref, str) and parse_id(ref) is not None:
        return Q(pk=parse_id(ref))
    if isinstance(ref, str) and ref.strip():
        return Q(order_id=ref.strip().upper())
    raise NotFound("Order not found.")


# The order in which an order's items and its history are read (here, and by ``orders.services`` when it hands
# back an order it has just written with those rows attached).
ITEM_ORDERING = ("id",)
HISTORY_ORDERING = ("created_at", "id")
CHECKOUT_ORDER_ORDERING = ("supplier_id", "id")  # a checkout's parcels
ORDER_RELATED = ("customer", "entrepreneur", "supplier", "checkout")  # joined to every order the API reads


def order_queryset() -> QuerySet[Order]:
    """Orders with everything the API serializer reads: 1 query + 1 for items + 1 for history."""
    return (
        Order.objects.select_related(*ORDER_RELATED)
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.order_by(*ITEM_ORDERING)),
            Prefetch(
                "status_history",
                queryset=OrderStatusHistory.objects.select_related("created_by").order_by(*HISTORY_ORDERING),
            ),
        )
        .order_by("-created_at", "-id")
    )


def orders_visible_to(user) -> QuerySet[Order]:
    """Customer: own orders; entrepreneur: their store's; supplier: orders of their products; admin: all."""
    qs = order_queryset()
    if is_admin(user):
        return qs
    if has_role(user, "customer"):
        return qs.filter(customer=user)
    if has_role(user, "entrepreneur"):
        return qs.filter(entrepreneur__user=user)
    if has_role(user, "supplier"):
        return qs.filter(supplier__user=user)
    return qs.none()


def orders_for_entrepreneur(user) -> QuerySet[Order]:
    return order_queryset().filter(entrepreneur__user=user)


def orders_for_supplier(user) -> QuerySet[Order]:
    return order_queryset().filter(supplier__user=user)


def orders_filter(qs: QuerySet[Order], *, status: str | None = None, date_from: date | None = None,
                  date_to: date | None = None, payment_method: str | None = None,
                  refused: bool | None = None) -> QuerySet[Order]:
    """Dates are calendar days in Lagos time, both ends inclusive. ``refused``: pay-on-delivery parcels the
    shopper refused at the door (True) or not (False)."""
    if status:
        qs = qs.filter(status=status)
    if payment_method:
        qs = qs.filter(payment_method=payment_method)
    if refused is not None:
        qs = qs.filter(cod_refused_at__isnull=not refused)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs


def order_get_for_user(*, user, pk) -> Order | None:
    return orders_visible_to(user).filter(pk=pk).first()


def checkout_queryset() -> QuerySet[Checkout]:
    """Checkouts with their orders as the API shows them: 1 query + 1 for orders + 1 items + 1 history."""
    orders = order_queryset().order_by(*CHECKOUT_ORDER_ORDERING)
    return (
        Checkout.objects.select_related("customer", "entrepreneur")
        .prefetch_related(Prefetch("orders", queryset=orders))
        .order_by("-created_at", "-id")
    )


def checkouts_visible_to(user) -> QuerySet[Checkout]:
    """Customers: their own; admins: all; anyone else: none."""
    qs = checkout_queryset()
    if is_admin(user):
        return qs
    if has_role(user, "customer"):
        return qs.filter(customer=user)
    return qs.none()


def checkout_get_for_user(*, user, pk) -> Checkout | None:
    return checkouts_visible_to(user).filter(pk=pk).first()
