"""Pay on delivery, the money side (SPEC §10), end to end through the API.

Prices: supplier A (commission 10 %, accepts COD) sells a dress (base 10,000) that the store sells at 16,300;
entrepreneur commission 5 %, shipping 500. One dress on delivery:
  total 16,800 = entrepreneur 7,115 (markup 6,300 + commission 815) + supplier 9,000 + platform 685.
The supplier's courier collects 16,800 in cash: the supplier keeps it, so its available balance is debited
16,800 and its 9,000 share goes to pending (released on the usual clock) — it owes 7,800 = total − its share.
"""
from datetime import timedelta
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from orders.models import Order
from orders.tests.cod import cod_body, make_cod_store, request_code
from payments.ledger import ledger_audit, share_mismatches
from payments.models import Earnings, JournalEntry, LedgerEntry
from tests.factories import CustomerFactory, ProductFactory, StoreProductFactory, SupplierFactory

pytestmark = pytest.mark.django_db
BANK = {"method_type": "bank_transfer", "details": {"account_number": "0123456789", "bank_code": "058",
                                                    "account_name": "Ada Obi"}}
ORDERS = "/api/orders/orders/"


@pytest.fixture
def store():
    return make_cod_store(base_price=D("10000.00"), selling_price=D("16300.00"), stock_quantity=10)


@pytest.fixture
def people(store, auth_client):
    return {"customer": auth_client(CustomerFactory()), "entrepreneur": auth_client(store.entrepreneur.user),
            "supplier": auth_client(store.supplier.user)}


@pytest.fixture
def code(api_client, capsys, django_capture_on_commit_callbacks):
    return lambda phone="08031234567": request_code(api_client, capsys, django_capture_on_commit_callbacks, phone)


def wallet(client) -> tuple[str, str, str, str]:
    body = client.get("/api/payments/wallet/").json()
    return body["pending_balance"], body["available_balance"], body["total_earned"], body["total_withdrawn"]


def deliver(supplier, order_id, cash=None):
    for step in ({"status": "processing"}, {"status": "shipped", "tracking_number": "GIG-7"},
                 {"status": "delivered", **({"cash_collected": cash} if cash else {})}):
        response = supplier.post(f"{ORDERS}{order_id}/update_status/", step, format="json")
        assert response.status_code == 200, response.content


def release_all(settings):
    Order.objects.filter(status="delivered").update(
        delivered_at=timezone.now() - timedelta(days=settings.EARNINGS_RELEASE_DAYS, minutes=1))
    call_command("release_earnings", stdout=StringIO())


def withdraw(client, amount):
    method = client.post("/api/payments/payment-methods/", BANK, format="json")
    assert method.status_code == 201, method.content
    return client.post("/api/payments/withdrawals/", {"amount": amount, "payment_method": method.json()["id"]},
                       format="json")


def audit_clean():
    out = StringIO()
    call_command("audit_ledger", stdout=out)  # raises CommandError (exit 1) on any problem
    assert ledger_audit() == []
    return out.getvalue()


def test_cod_happy_path_then_the_supplier_debt_is_settled_by_a_prepaid_sale(store, people, code, settings,
                                                                             api_client):
    settings.PAYSTACK_SECRET_KEY = ""  # sandbox payments
    customer, entrepreneur, supplier = people["customer"], people["entrepreneur"], people["supplier"]

    # 1. Code → COD order → processing → shipped → delivered with the exact cash.
    response = customer.post(ORDERS, cod_body(store, code()), format="json")
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["total_amount"] == "16800.00"
    deliver(supplier, order["id"], cash="16800.00")

    # 2. Earnings pending; the supplier holds the cash, its wallet down by the total, its share pending.
    assert wallet(entrepreneur) == ("7115.00", "0.00", "0.00", "0.00")
    assert wallet(supplier) == ("9000.00", "-16800.00", "0.00", "0.00")
    assert sorted(Earnings.objects.filter(order_id=order["id"]).values_list("earning_type", "amount", "status")) == [
        ("commission", D("815.00"), "pending"), ("markup", D("6300.00"), "pending")]
    (journal,) = JournalEntry.objects.filter(order_id=order["id"])
    assert journal.entry_type == "cod_collected" and journal.idempotency_key == f"payment:{order['order_id']}"
    lines = sorted((line.account, line.amount) for line in LedgerEntry.objects.filter(journal=journal))
    assert lines == sorted([("entrepreneur_pending", D("7115.00")), ("supplier_cash", D("-16800.00")),
                            ("supplier_payable", D("9000.00")), ("platform_revenue", D("685.00")),
                            ("supplier_cash", D("16800.00")), ("supplier_available", D("-16800.00"))])
    audit_clean()

    # 3. The return window passes: both shares released. The supplier now owes exactly total − its share.
    release_all(settings)
    assert wallet(entrepreneur) == ("0.00", "7115.00", "7115.00", "0.00")
    assert wallet(supplier) == ("0.00", "-7800.00", "9000.00", "0.00")
    assert set(Earnings.objects.filter(order_id=order["id"]).values_list("status", flat=True)) == {"paid"}

    # 4. The entrepreneur withdraws its earnings; the supplier, in debt, cannot withdraw.
    response = withdraw(entrepreneur, "7115.00")
    assert response.status_code == 201, response.content
    response = withdraw(supplier, "1000.00")
    assert response.status_code == 400 and "negative" in response.json()["error"]

    # 5. A prepaid order of the same supplier: its share settles the debt, and the wallet is positive again.
    other = StoreProductFactory(storefront=store.storefront, selling_price=D("6000.00"),
                                product=ProductFactory(supplier=store.supplier, base_price=D("5000.00"))).product
    response = customer.post(ORDERS, {"entrepreneur_custom_url": store.custom_url,
                                      "items": [{"product_id": other.pk, "quantity": 2}],
                                      "shipping_address": cod_body(store, "")["shipping_address"]}, format="json")
    prepaid = response.json()
    pay = customer.post("/api/payments/initialize/", {"order_id": prepaid["order_id"], "provider": "sandbox"},
                        format="json")
    assert pay.status_code == 200, pay.content
    assert api_client.post(pay.json()["payment_url"].removeprefix("http://testserver"), {"outcome": "pay"}).status_code == 200
    assert wallet(supplier) == ("9000.00", "-7800.00", "9000.00", "0.00")
    deliver(supplier, prepaid["id"])
    release_all(settings)
    assert wallet(supplier) == ("0.00", "1200.00", "18000.00", "0.00")
    response = withdraw(supplier, "1200.00")
    assert response.status_code == 201, response.content
    assert wallet(supplier)[1] == "0.00"

    # 6. The books: clean; the COD sale is a sale like the prepaid one; the dashboards count the cash.
    out = audit_clean()
    assert "Σ shares = Σ paid order totals = 29300.00 over 2 order(s)" in out  # 16,800 + 12,500
    assert share_mismatches()[0] == []
    dashboard = supplier.get("/api/suppliers/profiles/dashboard/").json()
    assert (dashboard["total_revenue"], dashboard["cod_revenue"], dashboard["refused_deliveries"]) == (
        "18000.00", "16800.00", 0)
    analytics = entrepreneur.get("/api/analytics/entrepreneur/?days=30").json()
    assert (analytics["total_orders"], analytics["total_revenue"], analytics["cod_revenue"]) == (
        2, "29300.00", "16800.00")


def test_a_refused_delivery_moves_no_money(store, people, code):
    order = people["customer"].post(ORDERS, cod_body(store, code(), quantity=2), format="json").json()
    supplier = people["supplier"]
    for step in ({"status": "processing"}, {"status": "shipped", "tracking_number": "T"}, {"status": "returned"}):
        assert supplier.post(f"{ORDERS}{order['id']}/update_status/", step, format="json").status_code == 200
    assert not JournalEntry.objects.exists() and not Earnings.objects.exists()
    assert wallet(supplier) == ("0.00", "0.00", "0.00", "0.00")
    dashboard = supplier.get("/api/suppliers/profiles/dashboard/").json()
    assert (dashboard["refused_deliveries"], dashboard["cod_revenue"], dashboard["total_revenue"]) == (1, "0.00", "0.00")
    audit_clean()


def test_cod_checkout_across_two_suppliers_debits_each_its_own(store, people, code, settings, auth_client):
    other_supplier = SupplierFactory(accepts_cod=True, commission_rate=D("15.00"))
    beads = StoreProductFactory(storefront=store.storefront, selling_price=D("2500.00"),
                                product=ProductFactory(supplier=other_supplier, base_price=D("2000.00"))).product
    body = cod_body(store, code(), items=[{"product_id": store.product.pk, "quantity": 1},
                                          {"product_id": beads.pk, "quantity": 2}])
    response = people["customer"].post("/api/orders/checkouts/", body, format="json")
    assert response.status_code == 201, response.content
    orders = response.json()["orders"]
    assert [o["total_amount"] for o in orders] == ["16800.00", "5500.00"]
    deliver(people["supplier"], orders[0]["id"], cash="16800.00")
    assert wallet(people["supplier"])[:2] == ("9000.00", "-16800.00")
    # Beads: subtotal 4,000 → supplier 3,400; it holds 5,500 in cash, so it owes 2,100.
    beads_supplier = auth_client(other_supplier.user)
    deliver(beads_supplier, orders[1]["id"], cash="5500.00")
    release_all(settings)
    assert wallet(people["supplier"])[:2] == ("0.00", "-7800.00")
    assert wallet(beads_supplier)[:2] == ("0.00", "-2100.00")
    assert wallet(people["entrepreneur"])[:2] == ("0.00", "8365.00")  # 7,115 + markup 1,000 + commission 250
    audit_clean()


def test_with_no_return_window_cod_earnings_are_released_at_delivery(store, people, code, settings,
                                                                     django_capture_on_commit_callbacks):
    settings.EARNINGS_RELEASE_DAYS = 0
    order = people["customer"].post(ORDERS, cod_body(store, code()), format="json").json()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(people["supplier"], order["id"], cash="16800.00")
    assert wallet(people["entrepreneur"]) == ("0.00", "7115.00", "7115.00", "0.00")
    assert wallet(people["supplier"]) == ("0.00", "-7800.00", "9000.00", "0.00")
    audit_clean()


def test_audit_catches_cash_that_is_not_in_the_ledger(store, people, code):
    order = people["customer"].post(ORDERS, cod_body(store, code()), format="json").json()
    Order.objects.filter(pk=order["id"]).update(cash_collected=D("16800.00"), status="delivered")
    assert ledger_audit() == [f"order {order['order_id']}: cash collected on delivery but not in the ledger"]
    with pytest.raises(CommandError, match="1 problem"):  # manage.py exits non-zero
        call_command("audit_ledger", stdout=StringIO(), stderr=StringIO())
