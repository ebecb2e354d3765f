"""The status machine: POST /api/orders/orders/<id>/update_status/ and the services behind it."""
from decimal import Decimal as D

import pytest
from django.db import transaction

from core.errors import Conflict, InvalidTransition, NotFound, PermissionDenied
from orders import hooks, services
from orders.models import ORDER_TRANSITIONS, Order, OrderStatus, OrderStatusHistory
from tests.factories import AdminFactory, CustomerFactory, SupplierFactory

from .factories import add_variation, advance_order, create_order, make_store

pytestmark = pytest.mark.django_db
S = OrderStatus
ALL = [s.value for s in OrderStatus]


def url(order):
    return f"/api/orders/orders/{order.pk}/update_status/"


def move(client, order, status, **extra):
    return client.post(url(order), {"status": status, **extra}, format="json")


@pytest.fixture
def hook_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(hooks, "_transition_hooks", [lambda **kw: calls.append(kw)])
    return calls


@pytest.fixture
def notified(monkeypatch):
    calls = []
    monkeypatch.setattr(services.transitions, "notify", lambda event, **ids: calls.append((event, ids)))
    return calls


@pytest.fixture
def store():
    return make_store(stock_quantity=10)


def stock(store):
    store.product.refresh_from_db()
    return store.product.stock_quantity


# --- every legal and illegal move (as admin, who may make any legal move) ----------------------------


LEGAL = [(f, t) for f in ALL for t in ORDER_TRANSITIONS[f] if t != S.PAID]
ILLEGAL = [(f, t) for f in ALL for t in ALL if t not in ORDER_TRANSITIONS[f] and t != S.PAID]


def test_the_table_is_the_spec():
    assert {k: set(v) for k, v in ORDER_TRANSITIONS.items()} == {
        "pending": {"paid", "cancelled"}, "paid": {"processing", "cancelled"}, "processing": {"shipped", "cancelled"},
        "shipped": {"delivered", "returned"}, "delivered": {"returned"}, "cancelled": set(), "returned": set(),
    }


@pytest.mark.parametrize(("from_status", "to_status"), LEGAL)
def test_admin_makes_every_legal_move(auth_client, store, hook_calls, from_status, to_status):
    admin = AdminFactory()
    order = create_order(store=store, quantity=2, status=from_status)
    hook_calls.clear()
    response = move(auth_client(admin), order, to_status, notes="by admin", tracking_number="TRK-9")
    assert response.status_code == 200, response.data
    assert response.data["message"] == f"Order status updated to {to_status}"
    assert response.data["order"]["status"] == to_status
    last = OrderStatusHistory.objects.filter(order=order).last()
    assert (last.previous_status, last.status, last.notes, last.created_by) == (from_status, to_status, "by admin", admin)
    assert hook_calls == [{"order": hook_calls[0]["order"], "previous_status": from_status, "new_status": to_status,
                           "actor": admin}]
    assert hook_calls[0]["order"].pk == order.pk
    restocked = to_status in (S.CANCELLED, S.RETURNED)
    assert stock(store) == (10 if restocked else 8)


@pytest.mark.parametrize(("from_status", "to_status"), ILLEGAL)
def test_every_illegal_move_is_409_naming_the_allowed_ones(auth_client, store, from_status, to_status):
    order = create_order(store=store, status=from_status)
    history_before = OrderStatusHistory.objects.filter(order=order).count()
    response = move(auth_client(AdminFactory()), order, to_status, tracking_number="TRK-9")
    assert response.status_code == 409
    allowed = list(ORDER_TRANSITIONS[from_status])
    assert response.data["details"] == {"current_status": from_status, "allowed": allowed}
    assert response.data["error"].startswith(f"Cannot move an order from {from_status} to {to_status}.")
    order.refresh_from_db()
    assert order.status == from_status
    assert OrderStatusHistory.objects.filter(order=order).count() == history_before


@pytest.mark.parametrize("from_status", ALL)
def test_nobody_asks_for_paid(auth_client, store, from_status):
    order = create_order(store=store, status=from_status)
    for user in (AdminFactory(), order.customer):
        response = move(auth_client(user), order, "paid")
        assert response.status_code == 403
        assert response.data == {"code": "paid_by_payment_only",
                                 "error": "An order becomes paid only through a confirmed payment."}
    order.refresh_from_db()
    assert order.status == from_status


def test_unknown_status_is_400(auth_client, store):
    order = create_order(store=store)
    response = move(auth_client(AdminFactory()), order, "teleported")
    assert response.status_code == 400
    assert list(response.data["details"]) == ["status"]


# --- customer ------------------------------------------------------------------------------------------


def test_customer_cancels_own_pending_order_and_stock_returns(auth_client, store, hook_calls):
    order = create_order(store=store, quantity=3)
    assert stock(store) == 7
    response = move(auth_client(order.customer), order, "cancelled", notes="Changed my mind")
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == S.CANCELLED and order.cancelled_at and order.stock_released_at
    assert stock(store) == 10
    last = order.status_history.last()
    assert (last.created_by, last.notes) == (order.customer, "Changed my mind")
    assert hook_calls[0]["new_status"] == "cancelled"


def test_second_cancel_is_409_and_does_not_restock_twice(auth_client, store):
    order = create_order(store=store, quantity=3)
    client = auth_client(order.customer)
    assert move(client, order, "cancelled").status_code == 200
    response = move(client, order, "cancelled")
    assert response.status_code == 409
    assert response.data["details"] == {"current_status": "cancelled", "allowed": []}
    assert stock(store) == 10


def test_variation_stock_returns_on_cancel(auth_client, store):
    variation = add_variation(store, stock_quantity=5)
    order = create_order(store=store, variation=variation, quantity=2)
    variation.refresh_from_db()
    assert variation.stock_quantity == 3
    assert move(auth_client(order.customer), order, "cancelled").status_code == 200
    variation.refresh_from_db()
    assert variation.stock_quantity == 5
    assert stock(store) == 10


@pytest.mark.parametrize(("from_status", "to_status"), [("paid", "cancelled"), ("paid", "processing"),
                                                        ("processing", "cancelled"), ("shipped", "delivered"),
                                                        ("shipped", "returned"), ("delivered", "returned")])
def test_customer_may_do_nothing_else(auth_client, store, from_status, to_status):
    order = create_order(store=store, status=from_status)
    response = move(auth_client(order.customer), order, to_status, tracking_number="T")
    assert response.status_code == 403
    assert response.data == {"code": "permission_denied",
                             "error": "Customers can only cancel their own orders while they are pending (unpaid)."}


def test_other_customer_gets_404(auth_client, store):
    order = create_order(store=store)
    assert move(auth_client(CustomerFactory()), order, "cancelled").status_code == 404
    order.refresh_from_db()
    assert order.status == S.PENDING


# --- supplier ------------------------------------------------------------------------------------------


def test_supplier_moves_paid_to_processing_shipped_delivered(auth_client, store, notified):
    order = create_order(store=store, status="paid")
    notified.clear()
    client = auth_client(store.supplier.user)
    assert move(client, order, "processing").status_code == 200
    response = move(client, order, "shipped")
    assert response.status_code == 400
    assert response.data == {"code": "validation_failed", "error": "A tracking number is required to mark an order as shipped.",
                             "details": {"tracking_number": ["This field is required when the status is shipped."]}}
    assert move(client, order, "shipped", tracking_number="  ").status_code == 400
    response = move(client, order, "shipped", tracking_number="GIG-123456")
    assert response.status_code == 200
    assert response.data["order"]["tracking_number"] == "GIG-123456"
    assert response.data["order"]["shipped_at"]
    response = move(client, order, "delivered", notes="Signed by customer")
    assert response.status_code == 200
    assert response.data["order"]["delivered_at"]
    assert [h["status"] for h in response.data["order"]["status_history"]] == [
        "pending", "paid", "processing", "shipped", "delivered"]
    assert notified == [("order_shipped", {"order_id": order.pk}), ("order_delivered", {"order_id": order.pk})]
    assert stock(store) == 9


@pytest.mark.parametrize(("from_status", "to_status"), [("pending", "cancelled"), ("paid", "cancelled"),
                                                        ("processing", "cancelled"), ("shipped", "returned"),
                                                        ("delivered", "returned")])
def test_supplier_may_not_cancel_or_return(auth_client, store, from_status, to_status):
    order = create_order(store=store, status=from_status)
    response = move(auth_client(store.supplier.user), order, to_status)
    assert response.status_code == 403
    assert response.data == {"code": "permission_denied",
                             "error": "Suppliers can only move their paid orders to processing, shipped and delivered."}


def test_other_supplier_gets_404(auth_client, store):
    order = create_order(store=store, status="paid")
    assert move(auth_client(SupplierFactory().user), order, "processing").status_code == 404


# --- entrepreneur ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("from_status", "to_status"), [("pending", "cancelled"), ("paid", "processing")])
def test_entrepreneur_cannot_change_status(auth_client, store, from_status, to_status):
    order = create_order(store=store, status=from_status)
    response = move(auth_client(store.entrepreneur.user), order, to_status)
    assert response.status_code == 403
    assert response.data == {"code": "permission_denied", "error": "You are not allowed to change the status of this order."}


# --- admin -------------------------------------------------------------------------------------------------


def test_admin_return_after_delivery_restocks_once(auth_client, store):
    order = create_order(store=store, quantity=4, status="delivered")
    assert stock(store) == 6
    assert move(auth_client(AdminFactory()), order, "returned").status_code == 200
    assert stock(store) == 10
    with pytest.raises(InvalidTransition):
        services.order_transition(order_id=order.pk, to_status="returned", actor=None, system=True)
    assert stock(store) == 10


def test_staff_user_counts_as_admin(auth_client, store):
    order = create_order(store=store, status="paid")
    staff = CustomerFactory(is_staff=True)
    assert move(auth_client(staff), order, "cancelled").status_code == 200


# --- service-level details -------------------------------------------------------------------------------


def test_hook_failure_rolls_the_whole_transition_back(store, monkeypatch):
    order = create_order(store=store, quantity=2)

    def broken(**kwargs):
        raise Conflict("payments said no")

    monkeypatch.setattr(hooks, "_transition_hooks", [broken])
    with pytest.raises(Conflict):
        services.order_transition(order_id=order.pk, to_status="cancelled", actor=order.customer)
    order.refresh_from_db()
    assert order.status == S.PENDING and order.stock_released_at is None
    assert stock(store) == 8
    assert order.status_history.count() == 1


def test_non_system_call_without_actor_is_refused(store):
    order = create_order(store=store)
    with pytest.raises(PermissionDenied):
        services.order_transition(order_id=order.pk, to_status="cancelled", actor=None)


def test_system_transition_has_no_actor_in_history(store):
    order = create_order(store=store)
    services.order_transition(order_id=order.pk, to_status="cancelled", actor=None, system=True, notes="expired")
    last = order.status_history.last()
    assert (last.created_by, last.notes, last.previous_status) == (None, "expired", "pending")


def test_transition_accepts_the_public_order_id(store):
    order = create_order(store=store)
    result = services.order_transition(order_id=order.order_id, to_status="cancelled", actor=order.customer)
    assert result.pk == order.pk and result.status == S.CANCELLED


def test_unknown_order_is_not_found():
    with pytest.raises(NotFound):
        services.order_transition(order_id=987654, to_status="cancelled", actor=None, system=True)


# --- order_mark_paid -------------------------------------------------------------------------------------


def test_mark_paid(store, notified, hook_calls):
    order = create_order(store=store)
    notified.clear()
    paid = services.order_mark_paid(order_id=order.pk, payment_method="paystack")
    order.refresh_from_db()
    assert (paid.status, order.status, order.payment_status, order.payment_method) == ("paid", "paid", "paid", "paystack")
    assert order.paid_at is not None
    last = order.status_history.last()
    assert (last.previous_status, last.status, last.created_by, last.notes) == ("pending", "paid", None, "Payment confirmed")
    assert notified == [("order_paid", {"order_id": order.pk})]
    assert hook_calls == []  # payments itself is the caller
    assert stock(store) == 9  # paying keeps the reservation


@pytest.mark.parametrize("status", ["paid", "cancelled", "processing"])
def test_mark_paid_refuses_anything_but_pending(store, status):
    order = create_order(store=store, status=status)
    with pytest.raises(Conflict) as exc:
        services.order_mark_paid(order_id=order.order_id)
    assert exc.value.details == {"status": status, "payment_status": "paid" if status != "cancelled" else "pending"}


def test_mark_paid_by_public_order_id_and_custom_notes(store):
    order = create_order(store=store)
    services.order_mark_paid(order_id=order.order_id, notes="Paystack ref abc")
    assert Order.objects.get(pk=order.pk).status_history.last().notes == "Paystack ref abc"


def test_mark_paid_with_the_callers_lock_reads_nothing_more(store, django_assert_num_queries):
    """payments holds the order's lock already: the transition is the UPDATE and the history row, no re-read."""
    order = create_order(store=store)
    with transaction.atomic():
        locked = Order.objects.select_for_update().select_related("supplier", "entrepreneur").get(pk=order.pk)
        with django_assert_num_queries(2):
            paid = services.order_mark_paid(locked_order=locked, payment_method="paystack")
    assert paid is locked and Order.objects.get(pk=order.pk).payment_status == "paid"
    assert Order.objects.get(pk=order.pk).status_history.last().status == "paid"


def test_mark_paid_takes_one_of_order_id_and_locked_order(store):
    order = create_order(store=store)
    with pytest.raises(TypeError):
        services.order_mark_paid()
    with pytest.raises(TypeError):
        services.order_mark_paid(order_id=order.pk, locked_order=order)
    assert Order.objects.get(pk=order.pk).status == "pending"


@pytest.mark.django_db(transaction=True)
def test_a_locked_order_outside_a_transaction_is_refused(store):
    order = create_order(store=store)
    with pytest.raises(RuntimeError):
        services.order_mark_paid(locked_order=order)
    assert Order.objects.get(pk=order.pk).status == "pending"


def test_advance_helper_builds_consistent_orders(store):
    order = create_order(store=store, quantity=2)
    order = advance_order(order, "delivered")
    assert order.status == "delivered" and order.payment_status == "paid" and order.tracking_number == "TRK-0001"
    assert order.total_amount == D("2900.00")


# --- order_mark_refunded and the hook registry ------------------------------------------------------------


def test_mark_refunded_sets_payment_status_with_history_and_is_idempotent(store):
    order = create_order(store=store, status="paid")
    services.order_transition(order_id=order.pk, to_status="cancelled", actor=None, system=True)
    refunded = services.order_mark_refunded(order_id=order.order_id, notes="Refunded via paystack (RF-1)")
    order.refresh_from_db()
    assert (refunded.pk, order.status, order.payment_status) == (order.pk, "cancelled", "refunded")
    last = order.status_history.last()
    assert (last.previous_status, last.status, last.notes, last.created_by) == (
        "cancelled", "cancelled", "Refunded via paystack (RF-1)", None)
    count = order.status_history.count()
    services.order_mark_refunded(order_id=order.pk)
    assert order.status_history.count() == count


def test_transition_hooks_run_in_order_inside_the_transition(store, monkeypatch):
    seen = []
    monkeypatch.setattr(hooks, "_transition_hooks", [])
    first = lambda **kw: seen.append(("first", kw["new_status"], Order.objects.get(pk=kw["order"].pk).status))  # noqa: E731
    hooks.register_transition_hook(first)
    hooks.register_transition_hook(first)  # registering twice is a no-op
    hooks.register_transition_hook(lambda **kw: seen.append(("second", kw["previous_status"], kw["actor"])))
    order = create_order(store=store)
    services.order_transition(order_id=order.pk, to_status="cancelled", actor=order.customer)
    assert seen == [("first", "cancelled", "cancelled"), ("second", "pending", order.customer)]
    assert len(hooks.registered_transition_hooks()) == 2
