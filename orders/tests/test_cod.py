"""Pay on delivery (SPEC §10) on the orders side, through the real URLs: opt-ins, the phone code, every
refusal reason, the COD status machine (cash at the door, refusal at the door), no expiry."""
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from orders.models import CodPhoneCode, Order, OrderStatus, PaymentStatus
from orders.services import order_release_expired
from products.models import Product
from tests.factories import CustomerFactory, ProductFactory, StoreProductFactory, SupplierFactory

from .cod import SEND_CODE_URL, cod_body, make_cod_store, request_code
from .factories import VALID_ADDRESS, make_store

ORDERS = "/api/orders/orders/"
CHECKOUTS = "/api/orders/checkouts/"
PHONE = "+2348031234567"  # VALID_ADDRESS["phone"] normalised
pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return make_cod_store(base_price=D("1000.00"), selling_price=D("1200.00"), stock_quantity=10)


@pytest.fixture
def customer():
    return CustomerFactory()


@pytest.fixture
def client(auth_client, customer):
    return auth_client(customer)


@pytest.fixture
def code(api_client, capsys, django_capture_on_commit_callbacks):
    def get(phone=PHONE):
        return request_code(api_client, capsys, django_capture_on_commit_callbacks, phone)
    return get


def place(client, store, code, **kwargs):
    return client.post(ORDERS, cod_body(store, code, **kwargs), format="json")


def move(auth_client, order, status, **extra):
    supplier_client = auth_client(order.supplier.user)
    return supplier_client.post(f"{ORDERS}{order.pk}/update_status/", {"status": status, **extra}, format="json")


# --- opt-in ----------------------------------------------------------------------------------------------

def test_opt_ins_default_off_and_are_set_through_their_apis(auth_client):
    plain = make_store()
    assert plain.supplier.accepts_cod is False
    assert plain.storefront.cod_enabled is False and plain.storefront.cod_max_order_value == D("50000.00")

    supplier = auth_client(plain.supplier.user)
    response = supplier.patch(f"/api/suppliers/profiles/{plain.supplier.pk}/", {"accepts_cod": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["accepts_cod"] is True

    entrepreneur = auth_client(plain.entrepreneur.user)
    response = entrepreneur.patch("/api/social/storefront/", {"cod_enabled": True, "cod_max_order_value": "20000.00"},
                                  format="json")
    assert response.status_code == 200, response.content
    assert response.json()["cod_enabled"] is True and response.json()["cod_max_order_value"] == "20000.00"
    assert entrepreneur.patch("/api/social/storefront/", {"cod_max_order_value": "-1"}, format="json").status_code == 400
    plain.supplier.refresh_from_db()
    plain.storefront.refresh_from_db()
    assert plain.supplier.accepts_cod and plain.storefront.cod_enabled
    assert plain.storefront.cod_max_order_value == D("20000.00")


# --- the phone code --------------------------------------------------------------------------------------

def test_send_code_is_anonymous_202_and_stores_only_a_hash(api_client, code, caplog):
    sent = code("08031234567")
    assert sent not in caplog.text  # the code reaches the console channel only, never a log line
    row = CodPhoneCode.objects.get(phone=PHONE)
    assert len(sent) == 6 and sent not in row.code_hash
    assert timedelta(minutes=9, seconds=59) < row.expires_at - row.created_at <= timedelta(minutes=10)


def test_send_code_refuses_a_bad_phone(api_client):
    response = api_client.post(SEND_CODE_URL, {"phone": "12345"}, format="json")
    assert response.status_code == 400
    assert "phone" in response.json()["details"]


def test_send_code_is_throttled_per_phone_and_per_address(api_client, settings):
    settings.COD_SENDS_PER_PHONE = 2
    settings.COD_SENDS_PER_ADDRESS = 3
    statuses = [api_client.post(SEND_CODE_URL, {"phone": PHONE}, format="json").status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    # Another phone from the same address: the address allows 3 in all (one of the 3 above was refused
    # by the phone limit only after the address counted it).
    assert api_client.post(SEND_CODE_URL, {"phone": "08039999999"}, format="json").status_code == 429


def test_a_new_code_retires_the_old_one(client, store, code):
    first = code()
    second = code()
    response = place(client, store, first)
    if first != second:
        assert response.status_code == 400 and response.json()["details"]["reason"] == "code_wrong"
    assert place(client, store, second).status_code == 201


def test_wrong_expired_and_exhausted_codes_are_400(client, store, code):
    right = code()
    wrong = "000000" if right != "000000" else "111111"
    response = place(client, store, wrong)
    assert response.status_code == 400
    assert response.json()["details"] == {"reason": "code_wrong", "tries_left": 4, "cod_code": ["Wrong code."]}
    for _ in range(4):
        place(client, store, wrong)
    response = place(client, store, right)  # 5 wrong tries: even the right code is refused now
    assert response.status_code == 400 and response.json()["details"]["reason"] == "code_exhausted"

    right = code()
    CodPhoneCode.objects.filter(phone=PHONE, used_at__isnull=True, retired_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    response = place(client, store, right)
    assert response.status_code == 400 and response.json()["details"]["reason"] == "code_expired"
    assert not Order.objects.exists()
    assert Product.objects.get(pk=store.product.pk).stock_quantity == 10


def test_missing_code_is_400(client, store):
    response = place(client, store, "")
    assert response.status_code == 400 and response.json()["details"]["reason"] == "code_required"


def test_a_code_is_used_once_but_survives_a_failed_placement(client, store, code):
    sent = code()
    response = place(client, store, sent, quantity=11)  # more than the 10 in stock: 409, nothing placed
    assert response.status_code == 409
    assert place(client, store, sent).status_code == 201  # the failed attempt did not use the code
    response = place(client, store, sent)
    assert response.status_code == 400 and response.json()["details"]["reason"] in {"code_expired", "code_used"}


# --- refusals: one per reason ----------------------------------------------------------------------------

def test_refused_when_the_store_does_not_enable_cod(client, store, code):
    store.storefront.cod_enabled = False
    store.storefront.save()
    response = place(client, store, code())
    assert response.status_code == 400
    assert response.json()["details"]["reason"] == "store_disabled"


def test_refused_when_a_supplier_does_not_accept_cod(client, store, code):
    store.supplier.accepts_cod = False
    store.supplier.save()
    response = place(client, store, code())
    assert response.status_code == 400
    body = response.json()
    assert body["details"]["reason"] == "supplier_not_accepting"
    assert store.supplier.company_name not in str(body)  # never names the supplier


def test_refused_above_the_store_maximum(client, store, code):
    store.storefront.cod_max_order_value = D("2000.00")
    store.storefront.save()
    assert place(client, store, code(), quantity=1).status_code == 201  # ₦1,700 ≤ ₦2,000
    response = place(client, store, code(), quantity=2)  # ₦2,900
    assert response.status_code == 400
    assert response.json()["details"] == {"reason": "over_maximum", "maximum": "2000.00", "total": "2900.00"}


def test_refused_with_three_open_cod_orders_on_the_phone(client, store, code, auth_client):
    for _ in range(3):
        assert place(client, store, code()).status_code == 201
    response = place(client, store, code())
    assert response.status_code == 400
    assert response.json()["details"]["reason"] == "phone_open_orders"
    # Another customer account with the same phone is refused too: the limit is the phone's.
    other = auth_client(CustomerFactory())
    assert other.post(ORDERS, cod_body(store, code()), format="json").json()["details"]["reason"] == "phone_open_orders"
    # Once one is delivered, the phone may order again.
    order = Order.objects.filter(cod_phone=PHONE).first()
    for status, extra in (("processing", {}), ("shipped", {"tracking_number": "T1"}),
                          ("delivered", {"cash_collected": str(order.total_amount)})):
        assert move(auth_client, order, status, **extra).status_code == 200
    assert place(client, store, code()).status_code == 201


def test_two_refused_deliveries_in_90_days_block_the_phone(client, store, code, auth_client):
    for _ in range(2):
        order = Order.objects.get(pk=place(client, store, code()).json()["id"])
        move(auth_client, order, "processing")
        move(auth_client, order, "shipped", tracking_number="T1")
        assert move(auth_client, order, "returned", notes="Refused at the door").status_code == 200
    response = place(client, store, code())
    assert response.status_code == 400
    assert response.json()["details"] == {"reason": "phone_refusals", "refused_deliveries": 2, "maximum": 2}
    # Refusals older than 90 days no longer count.
    Order.objects.filter(cod_phone=PHONE).update(cod_refused_at=timezone.now() - timedelta(days=91))
    assert place(client, store, code()).status_code == 201


def test_cod_is_refused_for_another_phone_than_the_confirmed_one(client, store, code):
    sent = code("08030000001")
    response = place(client, store, sent)  # the address's phone is 08031234567: no code was sent to it
    assert response.status_code == 400 and response.json()["details"]["reason"] == "code_expired"


# --- the COD order and its status machine ----------------------------------------------------------------

def test_cod_order_reserves_stock_and_never_expires(client, store, code, django_capture_on_commit_callbacks):
    response = place(client, store, code(), quantity=3)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["payment_method"] == "cod" and data["reserved_until"] is None
    assert data["status"] == "pending" and data["payment_status"] == "pending"
    assert data["allowed_transitions"] == ["processing", "cancelled"]
    assert Product.objects.get(pk=store.product.pk).stock_quantity == 7
    order = Order.objects.get(pk=data["id"])
    assert order.cod_phone == PHONE
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert order_release_expired(now=timezone.now() + timedelta(days=3)) == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert Product.objects.get(pk=store.product.pk).stock_quantity == 7


def test_a_cod_order_cannot_be_paid_online(client, store, code):
    order_id = place(client, store, code()).json()["order_id"]
    response = client.post("/api/payments/initialize/", {"order_id": order_id, "provider": "sandbox"}, format="json")
    assert response.status_code == 409
    assert "delivery" in response.json()["error"]


def test_supplier_walks_a_cod_order_to_delivered_with_the_exact_cash(client, store, code, auth_client):
    order = Order.objects.get(pk=place(client, store, code(), quantity=2).json()["id"])
    assert order.total_amount == D("2900.00")
    assert move(auth_client, order, "processing").status_code == 200
    response = move(auth_client, order, "shipped")
    assert response.status_code == 400 and "tracking_number" in response.json()["details"]
    assert move(auth_client, order, "shipped", tracking_number="GIG-1").status_code == 200
    for cash in (None, "2899.99", "2900.01", "abc"):
        response = move(auth_client, order, "delivered", **({"cash_collected": cash} if cash else {}))
        assert response.status_code == 400, cash
        assert "cash_collected" in response.json()["details"]
    response = move(auth_client, order, "delivered", cash_collected="2900.00")
    assert response.status_code == 200, response.content
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.payment_status == PaymentStatus.PAID
    assert order.cash_collected == D("2900.00") and order.paid_at is not None
    assert order.allowed_transitions() == ()
    assert [h.status for h in order.status_history.all()] == ["pending", "processing", "shipped", "delivered"]


def test_cash_collected_is_refused_on_a_prepaid_order(client, store, auth_client, customer):
    from .factories import create_order

    order = create_order(customer=customer, store=store, status=OrderStatus.SHIPPED)
    response = move(auth_client, order, "delivered", cash_collected=str(order.total_amount))
    assert response.status_code == 400


def test_a_customer_cannot_move_a_cod_order_forward(client, store, code):
    order_id = place(client, store, code()).json()["id"]
    response = client.post(f"{ORDERS}{order_id}/update_status/", {"status": "processing"}, format="json")
    assert response.status_code == 403
    assert client.post(f"{ORDERS}{order_id}/update_status/", {"status": "cancelled"}, format="json").status_code == 200


def test_refused_delivery_restores_stock_moves_no_money_and_shows_in_lists(client, store, code, auth_client):
    order = Order.objects.get(pk=place(client, store, code(), quantity=4).json()["id"])
    move(auth_client, order, "processing")
    move(auth_client, order, "shipped", tracking_number="T1")
    assert Product.objects.get(pk=store.product.pk).stock_quantity == 6
    assert move(auth_client, order, "returned").status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.RETURNED and order.cod_refused_at is not None
    assert order.payment_status == PaymentStatus.PENDING and order.cash_collected is None
    assert Product.objects.get(pk=store.product.pk).stock_quantity == 10
    from payments.models import JournalEntry

    assert not JournalEntry.objects.filter(order=order).exists()

    for user, url in ((store.supplier.user, "/api/orders/orders/supplier_orders/"),
                      (store.entrepreneur.user, "/api/orders/orders/entrepreneur_orders/")):
        viewer = auth_client(user)
        refused = viewer.get(url, {"refused": "true"}).json()["results"]
        assert [row["id"] for row in refused] == [order.pk] and refused[0]["cod_refused_at"]
        assert viewer.get(url, {"refused": "false"}).json()["results"] == []
        assert [row["id"] for row in viewer.get(url).json()["results"]] == [order.pk]  # no filter: all orders


# --- checkouts across suppliers --------------------------------------------------------------------------

def test_cod_checkout_across_two_suppliers_needs_both_to_accept(client, store, code):
    other = SupplierFactory(accepts_cod=False)
    bag = StoreProductFactory(storefront=store.storefront, selling_price=D("2500.00"),
                              product=ProductFactory(supplier=other, base_price=D("2000.00"), stock_quantity=5)).product
    items = [{"product_id": store.product.pk, "quantity": 1}, {"product_id": bag.pk, "quantity": 1}]
    response = client.post(CHECKOUTS, cod_body(store, code(), items=items), format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"reason": "supplier_not_accepting", "parcels": 1}
    # A one-supplier order endpoint still refuses a mixed cart as before.
    assert client.post(ORDERS, cod_body(store, code(), items=items), format="json").status_code == 400

    other.accepts_cod = True
    other.save()
    response = client.post(CHECKOUTS, cod_body(store, code(), items=items), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["payment_method"] == "cod" and data["reserved_until"] is None
    assert data["total_amount"] == "4700.00"  # 1200 + 500 + 2500 + 500
    orders = Order.objects.filter(checkout__checkout_id=data["checkout_id"]).order_by("pk")
    assert [o.payment_method for o in orders] == ["cod", "cod"]
    assert {o.cod_phone for o in orders} == {PHONE}
    assert Product.objects.get(pk=bag.pk).stock_quantity == 4
    assert client.post("/api/payments/initialize/", {"checkout_id": data["checkout_id"], "provider": "sandbox"},
                       format="json").status_code == 409


def test_cod_checkout_maximum_is_the_checkout_total(client, store, code):
    store.storefront.cod_max_order_value = D("4000.00")
    store.storefront.save()
    other = SupplierFactory(accepts_cod=True)
    bag = StoreProductFactory(storefront=store.storefront, selling_price=D("2500.00"),
                              product=ProductFactory(supplier=other, base_price=D("2000.00"), stock_quantity=5)).product
    items = [{"product_id": store.product.pk, "quantity": 1}, {"product_id": bag.pk, "quantity": 1}]
    response = client.post(CHECKOUTS, cod_body(store, code(), items=items), format="json")
    assert response.status_code == 400 and response.json()["details"]["reason"] == "over_maximum"


def test_every_parcel_of_a_cod_checkout_counts_towards_the_phones_open_orders(client, store, code):
    """A checkout places one COD order per supplier: with 2 open on the phone, a 2-parcel checkout would make 4 (the
    bound is 3) — refused, nothing placed; a 1-parcel order still fits."""
    for _ in range(2):
        assert place(client, store, code()).status_code == 201
    other = SupplierFactory(accepts_cod=True)
    bag = StoreProductFactory(storefront=store.storefront, selling_price=D("2500.00"),
                              product=ProductFactory(supplier=other, base_price=D("2000.00"), stock_quantity=5)).product
    items = [{"product_id": store.product.pk, "quantity": 1}, {"product_id": bag.pk, "quantity": 1}]
    response = client.post(CHECKOUTS, cod_body(store, code(), items=items), format="json")
    assert response.status_code == 400, response.content
    assert response.json()["details"] == {"reason": "phone_open_orders", "open_orders": 2, "new_orders": 2,
                                          "maximum": 3}
    assert "This cart is 2 pay-on-delivery parcels and this phone has 2 on their way" in response.json()["error"]
    assert Order.objects.filter(cod_phone=PHONE).count() == 2
    assert Product.objects.get(pk=bag.pk).stock_quantity == 5
    assert place(client, store, code()).status_code == 201  # the third


def test_cod_notifications_tell_the_customer_the_cash_to_prepare(client, store, code, mailoutbox,
                                                                 django_capture_on_commit_callbacks, auth_client):
    sent = code()
    with django_capture_on_commit_callbacks(execute=True):
        order_id = place(client, store, sent, quantity=2).json()["id"]
    order = Order.objects.get(pk=order_id)
    by_recipient = {mail.to[0]: mail for mail in mailoutbox}
    customer_mail = by_recipient[order.customer.email]
    assert "₦2900.00 ready" in customer_mail.body and "pay on delivery" in customer_mail.body
    assert "PAY-ON-DELIVERY" in by_recipient[store.supplier.user.email].body
    assert "cash" in by_recipient[store.entrepreneur.user.email].body
    mailoutbox.clear()
    move(auth_client, order, "processing")
    with django_capture_on_commit_callbacks(execute=True):
        move(auth_client, order, "shipped", tracking_number="T1")
    assert "please have ₦2900.00 ready in cash" in mailoutbox[0].body
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        move(auth_client, order, "delivered", cash_collected="2900.00")
    assert any("₦2900.00 paid in cash" in mail.body for mail in mailoutbox)


def test_address_phone_must_match_and_is_normalised(client, store, code):
    VALID_ADDRESS_PHONE = VALID_ADDRESS["phone"]
    assert VALID_ADDRESS_PHONE.startswith("080")
    sent = code("+234 803 123 4567")  # the same phone, written differently
    assert place(client, store, sent).status_code == 201
