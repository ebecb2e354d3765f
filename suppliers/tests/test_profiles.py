"""Supplier profiles: list/detail/update, admin verification, my_products, my_orders, dashboard."""
from decimal import Decimal

import pytest

from suppliers.models import SupplierProfile, SupplierVerificationLog
from tests.factories import (
    AdminFactory,
    CustomerFactory,
    EntrepreneurUserFactory,
    ProductFactory,
    SupplierFactory,
)

from .factories import make_order

pytestmark = pytest.mark.django_db
LIST = "/api/suppliers/profiles/"


def detail(pk):
    return f"/api/suppliers/profiles/{pk}/"


# --- list / detail / update ----------------------------------------------------------------------

def test_supplier_lists_only_own_profile(auth_client):
    me = SupplierFactory()
    SupplierFactory()
    response = auth_client(me.user).get(LIST)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [me.pk]


def test_admin_lists_all_profiles(auth_client):
    suppliers = [SupplierFactory(), SupplierFactory(), SupplierFactory()]
    response = auth_client(AdminFactory()).get(LIST)

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert {row["id"] for row in response.json()["results"]} == {s.pk for s in suppliers}


def test_a_supplier_user_without_a_phone_shows_null_as_the_schema_documents(auth_client, client):
    """Found by schemathesis as the supplier: ``user_phone`` was null while the schema said string."""
    me = SupplierFactory()
    me.user.phone_number = None
    me.user.save()
    assert auth_client(me.user).get(LIST).json()["results"][0]["user_phone"] is None
    field = client.get("/api/schema.json").json()["definitions"]["SupplierProfile"]["properties"]["user_phone"]
    assert field.get("x-nullable") is True


@pytest.mark.parametrize("factory", [CustomerFactory, EntrepreneurUserFactory])
def test_other_roles_get_403(auth_client, factory):
    response = auth_client(factory()).get(LIST)
    assert response.status_code == 403
    assert "error" in response.json()


def test_anonymous_gets_401(api_client):
    assert api_client.get(LIST).status_code == 401


def test_someone_elses_profile_is_404(auth_client):
    me, other = SupplierFactory(), SupplierFactory()
    client = auth_client(me.user)
    assert client.get(detail(other.pk)).status_code == 404
    assert client.patch(detail(other.pk), {"company_name": "Hijack"}, format="json").status_code == 404
    other.refresh_from_db()
    assert other.company_name != "Hijack"


def test_supplier_updates_own_profile_but_not_admin_fields(auth_client):
    me = SupplierFactory(verification_status="pending")
    response = auth_client(me.user).patch(detail(me.pk), {
        "company_name": "New Name Ltd", "phone_number": "08033334444", "address": "New address",
        "verification_status": "verified", "performance_rating": "5.00", "commission_rate": "0.00",
        "is_active": False, "business_registration": "RC-CHANGED",
    }, format="json")

    assert response.status_code == 200, response.data
    me.refresh_from_db()
    assert me.company_name == "New Name Ltd"
    assert me.phone_number == "+2348033334444"
    assert me.verification_status == "pending"
    assert me.performance_rating == Decimal("0.00")
    assert me.commission_rate == Decimal("10.00")
    assert me.is_active is True
    assert me.business_registration != "RC-CHANGED"


def test_profile_update_validation_errors(auth_client):
    me = SupplierFactory()
    response = auth_client(me.user).patch(detail(me.pk), {"phone_number": "123", "delivery_areas": {"a": 1}},
                                          format="json")
    assert response.status_code == 400
    assert set(response.json()["details"]) == {"phone_number", "delivery_areas"}


def test_admin_may_set_commission_and_rating_within_bounds(auth_client):
    supplier = SupplierFactory()
    client = auth_client(AdminFactory())
    response = client.patch(detail(supplier.pk), {"commission_rate": "12.50", "performance_rating": "4.20"},
                            format="json")
    assert response.status_code == 200, response.data
    supplier.refresh_from_db()
    assert supplier.commission_rate == Decimal("12.50")
    assert supplier.performance_rating == Decimal("4.20")

    response = client.patch(detail(supplier.pk), {"commission_rate": "50.01"}, format="json")
    assert response.status_code == 400
    assert "commission_rate" in response.json()["details"]


# --- verify --------------------------------------------------------------------------------------

@pytest.fixture
def notified(monkeypatch):
    calls = []
    monkeypatch.setattr("suppliers.services.notify", lambda event, **ids: calls.append((event, ids)))
    return calls


def test_admin_verifies_supplier_records_and_notifies(auth_client, notified):
    supplier = SupplierFactory(verification_status="pending")
    admin = AdminFactory()
    response = auth_client(admin).post(f"{detail(supplier.pk)}verify/", {"status": "verified", "notes": "Docs OK"},
                                       format="json")

    assert response.status_code == 200, response.data
    assert response.json()["supplier"]["verification_status"] == "verified"
    supplier.refresh_from_db()
    assert supplier.verification_status == "verified"
    assert supplier.verified_by == admin
    assert supplier.verified_at is not None
    log = SupplierVerificationLog.objects.get(supplier=supplier)
    assert (log.status, log.notes, log.decided_by) == ("verified", "Docs OK", admin)
    assert notified == [("supplier_verified", {"supplier_id": supplier.pk})]


def test_admin_rejects_supplier(auth_client, notified):
    supplier = SupplierFactory(verification_status="verified")
    response = auth_client(AdminFactory()).post(f"{detail(supplier.pk)}verify/",
                                                {"verification_status": "rejected", "notes": "Fake RC"}, format="json")

    assert response.status_code == 200, response.data
    supplier.refresh_from_db()
    assert supplier.verification_status == "rejected"
    assert supplier.verified_at is None
    assert notified == [("supplier_rejected", {"supplier_id": supplier.pk})]


def test_verify_sends_the_email_after_commit(auth_client, django_capture_on_commit_callbacks, mailoutbox):
    supplier = SupplierFactory(verification_status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(AdminFactory()).post(f"{detail(supplier.pk)}verify/", {"status": "verified"},
                                                    format="json")
    assert response.status_code == 200
    assert [supplier.user.email] in [message.to for message in mailoutbox]


def test_verify_bad_status_is_400(auth_client, notified):
    supplier = SupplierFactory(verification_status="pending")
    response = auth_client(AdminFactory()).post(f"{detail(supplier.pk)}verify/", {"status": "pending"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["details"]
    assert notified == []
    assert not SupplierVerificationLog.objects.exists()


def test_supplier_cannot_verify_itself(auth_client, notified):
    supplier = SupplierFactory(verification_status="pending")
    response = auth_client(supplier.user).post(f"{detail(supplier.pk)}verify/", {"status": "verified"}, format="json")
    assert response.status_code == 403
    supplier.refresh_from_db()
    assert supplier.verification_status == "pending"


def test_verify_unknown_supplier_is_404(auth_client):
    response = auth_client(AdminFactory()).post(f"{detail(999999)}verify/", {"status": "verified"}, format="json")
    assert response.status_code == 404


def test_admin_action_calls_the_same_service(client, notified):
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from suppliers.admin import SupplierProfileAdmin

    admin_user = AdminFactory(is_superuser=True)
    pending = SupplierFactory(verification_status="pending")
    model_admin = SupplierProfileAdmin(SupplierProfile, site)
    request = RequestFactory().post("/admin/", {"apply": "1", "reason": "Documents checked"})
    request.user = admin_user
    model_admin.message_user = lambda *args, **kwargs: None
    model_admin.verify_suppliers(request, SupplierProfile.objects.filter(pk=pending.pk))

    pending.refresh_from_db()
    assert pending.verification_status == "verified"
    assert SupplierVerificationLog.objects.filter(supplier=pending, decided_by=admin_user).count() == 1
    assert notified == [("supplier_verified", {"supplier_id": pending.pk})]


# --- my_products / my_orders / dashboard ---------------------------------------------------------

def test_my_products_lists_own_products_including_inactive(auth_client):
    me = SupplierFactory(verification_status="pending")
    mine = [ProductFactory(supplier=me), ProductFactory(supplier=me, is_active=False)]
    ProductFactory()
    response = auth_client(me.user).get(f"{LIST}my_products/")

    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {p.pk for p in mine}

    response = auth_client(me.user).get(f"{LIST}my_products/?is_active=false")
    assert [row["id"] for row in response.json()["results"]] == [mine[1].pk]


@pytest.mark.parametrize("action", ["my_products", "my_orders", "dashboard"])
def test_supplier_actions_are_403_for_other_roles(auth_client, action):
    response = auth_client(EntrepreneurUserFactory()).get(f"{LIST}{action}/")
    assert response.status_code == 403


def test_supplier_user_without_profile_gets_404(auth_client):
    from tests.factories import SupplierUserFactory

    response = auth_client(SupplierUserFactory()).get(f"{LIST}dashboard/")
    assert response.status_code == 404


def test_my_orders_lists_only_own_orders_in_fixed_queries(auth_client, django_assert_max_num_queries):
    me, other = SupplierFactory(), SupplierFactory()
    product = ProductFactory(supplier=me, base_price=Decimal("1000.00"))
    for _ in range(6):
        make_order(supplier=me, items=[(product, 2, Decimal("1200.00"))])
    make_order(supplier=other, items=[(ProductFactory(supplier=other), 1, Decimal("1500.00"))])
    client = auth_client(me.user)

    with django_assert_max_num_queries(4):  # user, profile, count, orders (items are on the detail route)
        response = client.get(f"{LIST}my_orders/?page_size=3")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 6
    assert len(body["results"]) == 3
    first = body["results"][0]
    assert first["subtotal"] == "2000.00"
    assert "items" not in first
    assert first["shipping_address"]["city"] == "Ikeja"
    items = client.get(f"/api/orders/orders/{first['id']}/").json()["items"]
    assert items[0]["quantity"] == 2 and items[0]["base_price"] == "1000.00"

    response = client.get(f"{LIST}my_orders/?status=shipped")
    assert response.json()["count"] == 0


def _paid(order):
    """Confirm ``order``'s payment the way payments does (the 'payment' journal, both wallets' pending)."""
    from django.db import transaction

    from payments.models import Transaction
    from payments.services import earnings_record_payment

    txn = Transaction.objects.create(transaction_id=f"PJ-{order.order_id}", order=order, user=order.customer,
                                     amount=order.total_amount, provider="sandbox", status="completed")
    with transaction.atomic():
        earnings_record_payment(order=order, txn=txn)
    return order


def test_dashboard_figures_and_query_budget(auth_client, django_assert_max_num_queries):
    from django.db import transaction

    from payments.services import earnings_reverse_for_order

    me = SupplierFactory(performance_rating=Decimal("4.50"))  # commission_rate 10 %
    phone = ProductFactory(supplier=me, name="Phone", base_price=Decimal("1000.00"))
    case = ProductFactory(supplier=me, name="Case", base_price=Decimal("100.00"))
    ProductFactory(supplier=me, is_active=False)
    other = SupplierFactory()
    _paid(make_order(supplier=other, items=[(ProductFactory(supplier=other), 9, Decimal("5000.00"))],
                     status="delivered", payment_status="paid"))

    # paid & delivered: 3 phones at 1200 (total 4100) → my share 3000 − 10 % = 2700
    _paid(make_order(supplier=me, items=[(phone, 3, Decimal("1200.00"))], status="delivered", payment_status="paid"))
    # paid & processing: 5 cases at 150 (total 1250) → my share 500 − 10 % = 450
    _paid(make_order(supplier=me, items=[(case, 5, Decimal("150.00"))], status="processing", payment_status="paid"))
    # pending (unpaid), and paid then cancelled (the reversal takes its share back): not revenue
    make_order(supplier=me, items=[(phone, 1, Decimal("1200.00"))], status="pending", payment_status="pending")
    cancelled = _paid(make_order(supplier=me, items=[(phone, 7, Decimal("1200.00"))], status="cancelled",
                                 payment_status="refunded"))
    with transaction.atomic():
        earnings_reverse_for_order(order=cancelled, reason="cancelled")

    client = auth_client(me.user)
    with django_assert_max_num_queries(9):  # user + profile + 5 aggregate queries + ledger revenue + wallet
        response = client.get(f"{LIST}dashboard/")

    assert response.status_code == 200, response.data
    body = response.json()
    assert body["total_products"] == 3
    assert body["active_products"] == 2
    assert body["total_orders"] == 4
    assert body["total_revenue"] == "3150.00"  # its share: 2700 + 450 (not the 5350 the customers paid)
    assert (body["pending_balance"], body["available_balance"], body["total_withdrawn"]) == ("3150.00", "0.00", "0.00")
    assert body["pending_orders"] == 1
    assert body["completed_orders"] == 1
    assert body["orders_by_status"] == {"pending": 1, "paid": 0, "processing": 1, "shipped": 0, "delivered": 1,
                                        "cancelled": 1, "returned": 0}
    assert len(body["recent_orders"]) == 4
    assert body["top_products"] == [
        {"product_id": case.pk, "name": "Case", "sku": case.sku, "quantity_sold": 5, "revenue": "750.00"},
        {"product_id": phone.pk, "name": "Phone", "sku": phone.sku, "quantity_sold": 3, "revenue": "3600.00"},
    ]
    assert body["verification_status"] == "verified"
    assert body["performance_rating"] == "4.50"


def test_dashboard_query_count_does_not_grow_with_orders(auth_client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    me = SupplierFactory()
    product = ProductFactory(supplier=me)
    client = auth_client(me.user)
    make_order(supplier=me, items=[(product, 1, Decimal("1200.00"))], payment_status="paid", status="paid")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{LIST}dashboard/")
    for _ in range(15):
        make_order(supplier=me, items=[(ProductFactory(supplier=me), 1, Decimal("1200.00"))], payment_status="paid",
                   status="paid")
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(f"{LIST}dashboard/")
    assert response.json()["total_orders"] == 16
    assert len(response.json()["top_products"]) == 5
    assert len(response.json()["recent_orders"]) == 5


def test_dashboard_selector_is_reusable():
    from analytics.supplier_dashboard import supplier_dashboard

    me = SupplierFactory()
    data = supplier_dashboard(supplier=me)
    assert data["total_revenue"] == Decimal("0.00")
    assert data["top_products"] == [] and data["recent_orders"] == []


def test_delivery_areas_are_nigerian_states_stored_canonical(auth_client):
    me = SupplierFactory()
    client = auth_client(me.user)
    response = client.patch(detail(me.pk), {"delivery_areas": ["lagos state", "Abuja", "Ogun", "LAGOS"]}, format="json")
    assert response.status_code == 200, response.content
    me.refresh_from_db()
    assert me.delivery_areas == ["Lagos", "FCT", "Ogun"]
    response = client.patch(detail(me.pk), {"delivery_areas": ["Lagos", "Accra", 7]}, format="json")
    assert response.status_code == 400
    assert "Accra" in response.json()["details"]["delivery_areas"][0]
    me.refresh_from_db()
    assert me.delivery_areas == ["Lagos", "FCT", "Ogun"]


def test_my_orders_is_supplier_orders_without_the_entrepreneurs_money(auth_client):
    me = SupplierFactory()
    product = ProductFactory(supplier=me, base_price=Decimal("1000.00"))
    make_order(supplier=me, items=[(product, 2, Decimal("1200.00"))])
    client = auth_client(me.user)

    mine = client.get(f"{LIST}my_orders/").json()
    assert mine == client.get("/api/orders/orders/supplier_orders/").json()
    order = mine["results"][0]
    assert "markup_amount" not in order and "commission_amount" not in order
    detail = client.get(f"/api/orders/orders/{order['id']}/").json()
    assert "markup_amount" not in detail and "commission_amount" not in detail
    assert set(detail["items"][0]) == {"id", "product_id", "variation_id", "product_name", "product_sku", "quantity",
                                      "base_price"}
    assert client.get(f"{LIST}my_orders/?status=lost").status_code == 400
