"""Django admin: orders with items and history inline; status changes go through order_transition."""
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.test import Client

from orders.models import OrderStatus
from tests.factories import AdminFactory

from .factories import create_order, make_store

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/orders/order/"


@pytest.fixture
def admin_user():
    return AdminFactory(is_superuser=True)


@pytest.fixture
def browser(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def store():
    return make_store(stock_quantity=10)


def test_changelist_and_change_page_render_with_inlines(browser, store):
    order = create_order(store=store, quantity=2, status="paid")
    assert browser.get(CHANGELIST).status_code == 200
    page = browser.get(f"{CHANGELIST}{order.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert order.order_id in html and store.product.sku in html and "Payment confirmed" in html
    assert browser.get(f"{CHANGELIST}add/").status_code == 403


def test_action_shows_a_form_then_moves_orders_through_the_service(browser, admin_user, store):
    first = create_order(store=store, quantity=2, status="paid")
    second = create_order(store=store, quantity=3, status="paid")
    selected = {ACTION_CHECKBOX_NAME: [first.pk, second.pk], "action": "change_status"}
    form_page = browser.post(CHANGELIST, selected)
    assert form_page.status_code == 200
    assert b"Change order status" in form_page.content and first.order_id.encode() in form_page.content

    done = browser.post(CHANGELIST, {**selected, "apply": "1", "status": "cancelled", "notes": "Out of stock"})
    assert done.status_code == 302
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED and order.stock_released_at is not None
        last = order.status_history.last()
        assert (last.created_by, last.notes, last.previous_status) == (admin_user, "Out of stock", "paid")
    store.product.refresh_from_db()
    assert store.product.stock_quantity == 10


def test_action_reports_refused_moves(browser, store):
    order = create_order(store=store, status="processing")
    response = browser.post(CHANGELIST, {ACTION_CHECKBOX_NAME: [order.pk], "action": "change_status", "apply": "1",
                                         "status": "shipped", "tracking_number": ""})
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == [f"{order.order_id}: A tracking number is required to mark an order as shipped."]
    order.refresh_from_db()
    assert order.status == OrderStatus.PROCESSING

    response = browser.post(CHANGELIST, {ACTION_CHECKBOX_NAME: [order.pk], "action": "change_status", "apply": "1",
                                         "status": "delivered"})
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages[-1:] == [f"{order.order_id}: Cannot move an order from processing to delivered. Allowed: shipped, cancelled."]


def test_paid_is_not_offered(browser, store):
    order = create_order(store=store)
    response = browser.post(CHANGELIST, {ACTION_CHECKBOX_NAME: [order.pk], "action": "change_status", "apply": "1",
                                         "status": "paid"})
    assert response.status_code == 200  # the form re-renders with a choice error
    assert b"Select a valid choice" in response.content
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_checkout_admin_lists_and_shows_its_orders_inline(browser, store):
    from orders.services import OrderLine, checkout_create
    from tests.factories import CustomerFactory

    from .factories import VALID_ADDRESS

    other = make_store(entrepreneur=store.entrepreneur)
    checkout = checkout_create(customer=CustomerFactory(), entrepreneur_custom_url=store.custom_url,
                               items=[OrderLine(product_id=store.product.pk, quantity=1),
                                      OrderLine(product_id=other.product.pk, quantity=1)],
                               shipping_address=dict(VALID_ADDRESS))
    listing = browser.get("/admin/orders/checkout/")
    assert listing.status_code == 200 and checkout.checkout_id in listing.content.decode()
    assert browser.get("/admin/orders/checkout/", {"q": checkout.orders.first().order_id}).status_code == 200
    page = browser.get(f"/admin/orders/checkout/{checkout.pk}/change/").content.decode()
    for order in checkout.orders.all():
        assert order.order_id in page
    assert "pending" in page
    assert browser.get("/admin/orders/checkout/add/").status_code == 403
    assert browser.get(f"{CHANGELIST}{checkout.orders.first().pk}/change/").status_code == 200
