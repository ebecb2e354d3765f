"""The whole money path through the public API, as the clients would drive it (SPEC §4–§6):

supplier registers → admin verifies → product → entrepreneur + storefront + store product → customer
orders twice → pays (sandbox checkout page, and Paystack webhook) → supplier processes, ships, delivers
→ return window passes (release task) → wallet available = markup + commission → withdrawal → admin
approves → Paystack payout → transfer.success webhook → audit_ledger clean.
"""
import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
import responses
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from payments.tasks import release_matured_earnings
from tests.factories import AdminFactory
from users.models import User

PAYSTACK = "https://api.paystack.co"
ADDRESS = {"full_name": "Chinedu Okafor", "phone": "08031234567", "address": "14 Allen Avenue, Ikeja",
           "city": "Ikeja", "state": "Lagos"}


def signed(client, body: dict):
    raw = json.dumps(body).encode()
    signature = hmac.new(settings.PAYSTACK_SECRET_KEY.encode(), raw, hashlib.sha512).hexdigest()
    return client.post("/api/payments/webhooks/paystack/", data=raw, content_type="application/json",
                       HTTP_X_PAYSTACK_SIGNATURE=signature)


def register(api_client, auth_client, username, user_type, phone):
    response = api_client.post("/api/users/register/", {
        "username": username, "email": f"{username}@example.com", "phone_number": phone,
        "password": "TestPass123!", "password2": "TestPass123!", "user_type": user_type}, format="json")
    assert response.status_code == 201, response.content
    return auth_client(User.objects.get(username=username))


@pytest.mark.django_db
def test_full_money_path(api_client, auth_client, django_capture_on_commit_callbacks):
    admin = auth_client(AdminFactory())

    # 1. Supplier registers (no auth) and is verified by an admin.
    response = api_client.post("/api/suppliers/profiles/register/", {
        "username": "acme", "email": "sales@acme.ng", "phone_number": "08098765432", "password": "TestPass123!",
        "password2": "TestPass123!", "company_name": "Acme Nigeria Ltd", "business_registration": "RC765432",
        "address": "3 Marina, Lagos", "contact_person": "Ngozi Eze"}, format="json")
    assert response.status_code == 201, response.content
    supplier_id = response.json()["supplier"]["id"]
    supplier = auth_client(User.objects.get(username="acme"))
    response = admin.post(f"/api/suppliers/profiles/{supplier_id}/verify/", {"status": "verified"}, format="json")
    assert response.status_code == 200, response.content

    # 2. Supplier lists a product.
    response = supplier.post("/api/suppliers/products/", {
        "name": "Ankara Tote Bag", "description": "Handmade", "sku": "ANK-TOTE-1", "base_price": "10000.00",
        "suggested_markup": "20.00", "stock_quantity": 20}, format="json")
    assert response.status_code == 201, response.content
    product_id = response.json()["id"]

    # 3. Entrepreneur: account, profile, published storefront, store product at ₦12,000.
    entrepreneur = register(api_client, auth_client, "ada", "entrepreneur", "08031111111")
    assert entrepreneur.post("/api/entrepreneurs/profile/", {"business_name": "Ada's Bags", "custom_url": "ada-bags"},
                             format="json").status_code == 201
    assert entrepreneur.post("/api/social/storefront/", {"is_published": True, "seo_title": "Ada's Bags"},
                             format="json").status_code == 201
    response = entrepreneur.post("/api/social/store-products/", {"product": product_id, "selling_price": "12000.00"},
                                 format="json")
    assert response.status_code == 201, response.content

    # 4. Customer orders twice (1 bag each): subtotal 10000, markup 2000, commission 5 % of 12000 = 600,
    #    shipping 500 → total 12500; entrepreneur share 2600 per order.
    customer = register(api_client, auth_client, "chinedu", "customer", "08032222222")
    orders = []
    for _ in range(2):
        response = customer.post("/api/orders/orders/", {
            "entrepreneur_custom_url": "ada-bags", "items": [{"product_id": product_id, "quantity": 1}],
            "shipping_address": ADDRESS}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert Decimal(body["total_amount"]) == Decimal("12500.00")
        orders.append(body)

    # 5a. First order paid on the sandbox checkout page (the offline demo path).
    response = customer.post("/api/payments/initialize/", {"order_id": orders[0]["order_id"], "provider": "sandbox"},
                             format="json")
    assert response.status_code == 200, response.content
    checkout_path = response.json()["payment_url"].removeprefix("http://testserver")
    page = api_client.post(checkout_path, {"outcome": "pay"})
    assert page.status_code == 200 and "Payment completed" in page.content.decode()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        # 5b. Second order paid through Paystack: initialize, then the charge.success webhook (re-verified).
        rsps.post(f"{PAYSTACK}/transaction/initialize", json={
            "status": True, "message": "Authorization URL created",
            "data": {"authorization_url": "https://checkout.paystack.com/abc", "access_code": "abc", "reference": "x"}})
        response = customer.post("/api/payments/initialize/", {"order_id": orders[1]["id"], "provider": "paystack"},
                                 format="json")
        assert response.status_code == 200, response.content
        reference = response.json()["reference"]
        rsps.get(f"{PAYSTACK}/transaction/verify/{reference}", json={
            "status": True, "message": "Verification successful",
            "data": {"id": 4099260516, "status": "success", "reference": reference, "amount": 1250000,
                     "currency": "NGN", "gateway_response": "Successful", "paid_at": "2026-11-26T10:00:00.000Z"}})
        response = signed(api_client, {"event": "charge.success",
                                       "data": {"id": 4099260516, "reference": reference, "amount": 1250000}})
        assert response.status_code == 200 and response.json()["result"] == "payment_completed"

        for order in orders:
            assert customer.get(f"/api/orders/orders/{order['id']}/").json()["payment_status"] == "paid"

        # 6. Supplier processes, ships, delivers both orders.
        for order in orders:
            for step in ({"status": "processing"}, {"status": "shipped", "tracking_number": "GIG-42"},
                         {"status": "delivered"}):
                response = supplier.post(f"/api/orders/orders/{order['id']}/update_status/", step, format="json")
                assert response.status_code == 200, response.content

        wallet = entrepreneur.get("/api/payments/wallet/").json()
        assert (wallet["balance"], wallet["pending_balance"]) == ("0.00", "5200.00")

        # 7. The return window passes: the periodic task releases the earnings.
        assert release_matured_earnings.delay(now=(timezone.now() + timedelta(days=8)).isoformat()).get() == 2
        wallet = entrepreneur.get("/api/payments/wallet/").json()
        assert (wallet["available_balance"], wallet["pending_balance"], wallet["total_earned"]) == (
            "5200.00", "0.00", "5200.00")
        summary = entrepreneur.get("/api/payments/earnings/summary/").json()
        assert (summary["total_markup"], summary["total_commission"], summary["total_sales"]) == (
            "4000.00", "1200.00", "25000.00")

        # 8. Withdrawal of everything to a verified bank account; admin approves; Paystack pays out.
        response = entrepreneur.post("/api/payments/payment-methods/", {
            "method_type": "bank_transfer", "is_default": True,
            "details": {"account_number": "0123456789", "bank_code": "058", "account_name": "Ada Obi"}}, format="json")
        assert response.status_code == 201, response.content
        response = entrepreneur.post("/api/payments/withdrawals/",
                                     {"amount": "5200.00", "payment_method": response.json()["id"]}, format="json")
        assert response.status_code == 201, response.content
        withdrawal = response.json()
        assert (withdrawal["processing_fee"], withdrawal["net_amount"]) == ("104.00", "5096.00")

        rsps.get(f"{PAYSTACK}/bank/resolve", json={"status": True, "message": "Account number resolved",
                                                    "data": {"account_number": "0123456789", "account_name": "ADA OBI"}})
        rsps.post(f"{PAYSTACK}/transferrecipient", json={"status": True, "message": "Transfer recipient created",
                                                          "data": {"recipient_code": "RCP_e2e", "type": "nuban"}})
        transfer = rsps.post(f"{PAYSTACK}/transfer", json={
            "status": True, "message": "Transfer has been queued",
            "data": {"status": "pending", "transfer_code": "TRF_e2e", "reference": withdrawal["reference_id"]}})
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(f"/api/payments/withdrawals/{withdrawal['id']}/approve/")
        assert response.status_code == 200, response.content
        assert json.loads(transfer.calls[0].request.body)["amount"] == 509600

    response = signed(api_client, {"event": "transfer.success",
                                   "data": {"id": 1, "reference": withdrawal["reference_id"], "status": "success",
                                            "transfer_code": "TRF_e2e", "amount": 509600}})
    assert response.status_code == 200
    listed = entrepreneur.get("/api/payments/withdrawals/").json()["results"]
    assert listed[0]["status"] == "completed"
    wallet = entrepreneur.get("/api/payments/wallet/").json()
    assert (wallet["balance"], wallet["total_withdrawn"]) == ("0.00", "5200.00")

    # 9. Every journal balances and every wallet matches its entries.
    out = StringIO()
    call_command("audit_ledger", stdout=out)
    assert "Ledger OK" in out.getvalue()


@pytest.mark.django_db
def test_multi_supplier_checkout_path(api_client, auth_client):
    """Two suppliers' products in one store → one checkout, two parcels → one payment → each supplier ships
    its own parcel → audit_ledger clean."""
    admin = auth_client(AdminFactory())
    suppliers, products = [], []
    for n, (name, price) in enumerate((("Acme Bags Ltd", "10000.00"), ("Lagos Beads Co", "2000.00"))):
        response = api_client.post("/api/suppliers/profiles/register/", {
            "username": f"sup{n}", "email": f"sales{n}@example.ng", "phone_number": f"0809876543{n}",
            "password": "TestPass123!", "company_name": name, "business_registration": f"RC10000{n}",
            "address": "3 Marina, Lagos", "contact_person": "Ngozi Eze", "delivery_areas": ["Lagos", "Ogun"]},
            format="json")
        assert response.status_code == 201, response.content
        assert admin.post(f"/api/suppliers/profiles/{response.json()['supplier']['id']}/verify/",
                          {"status": "verified"}, format="json").status_code == 200
        supplier = auth_client(User.objects.get(username=f"sup{n}"))
        response = supplier.post("/api/suppliers/products/", {
            "name": f"Product {n}", "sku": f"SKU-E2E-{n}", "base_price": price, "stock_quantity": 5}, format="json")
        assert response.status_code == 201, response.content
        suppliers.append(supplier)
        products.append(response.json()["id"])

    entrepreneur = register(api_client, auth_client, "bisi", "entrepreneur", "08033333333")
    assert entrepreneur.post("/api/entrepreneurs/profile/", {"business_name": "Bisi's", "custom_url": "bisi"},
                             format="json").status_code == 201
    assert entrepreneur.post("/api/social/storefront/", {"is_published": True}, format="json").status_code == 201
    for product_id, price in zip(products, ("12000.00", "2500.00"), strict=True):
        assert entrepreneur.post("/api/social/store-products/", {"product": product_id, "selling_price": price},
                                 format="json").status_code == 201
    assert entrepreneur.post("/api/social/store-products/", {"product": products[1], "selling_price": "20000.01"},
                             format="json").status_code == 400  # above 10× base

    customer = register(api_client, auth_client, "emeka", "customer", "08034444444")
    cart = {"entrepreneur_custom_url": "bisi", "shipping_address": ADDRESS,
            "items": [{"product_id": products[0], "quantity": 1}, {"product_id": products[1], "quantity": 2}]}
    refused = customer.post("/api/orders/orders/", cart, format="json")
    assert refused.status_code == 400 and refused.json()["details"]["checkout_url"] == "/api/orders/checkouts/"
    assert customer.post("/api/orders/checkouts/", {**cart, "shipping_address": {**ADDRESS, "state": "Kano"}},
                         format="json").status_code == 400  # outside both suppliers' delivery areas
    response = customer.post("/api/orders/checkouts/", cart, format="json")
    assert response.status_code == 201, response.content
    checkout = response.json()
    # 12000 + 500 and 2 × 2500 + 500
    assert [o["total_amount"] for o in checkout["orders"]] == ["12500.00", "5500.00"]
    assert checkout["total_amount"] == "18000.00" and checkout["status"] == "pending"

    # one payment for the whole checkout (sandbox checkout page)
    response = customer.post("/api/payments/initialize/", {"checkout_id": checkout["checkout_id"],
                                                           "provider": "sandbox"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["amount"] == "18000.00"
    page = api_client.post(response.json()["payment_url"].removeprefix("http://testserver"), {"outcome": "pay"})
    assert page.status_code == 200 and "Checkout is paid" in page.content.decode()
    assert customer.get(f"/api/orders/checkouts/{checkout['id']}/").json()["status"] == "paid"
    wallet = entrepreneur.get("/api/payments/wallet/").json()
    # markup 2000 + commission 600 on the bag, 2 × 500 + 250 on the beads
    assert wallet["pending_balance"] == "3850.00"

    # each supplier sees and ships only its own parcel, without the store's markup or commission
    for supplier, order in zip(suppliers, checkout["orders"], strict=True):
        listed = supplier.get("/api/orders/orders/").json()["results"]
        assert [o["order_id"] for o in listed] == [order["order_id"]]
        assert "markup_amount" not in listed[0] and "commission_amount" not in listed[0]
        for step in ({"status": "processing"}, {"status": "shipped", "tracking_number": "GIG-7"}):
            assert supplier.post(f"/api/orders/orders/{order['id']}/update_status/", step,
                                 format="json").status_code == 200
    out = StringIO()
    call_command("audit_ledger", stdout=out)
    assert "Ledger OK" in out.getvalue()


@pytest.mark.django_db
def test_pay_on_delivery_path(api_client, auth_client, capsys, django_capture_on_commit_callbacks):
    """Both sides opt in through their APIs → the shopper confirms the phone with the SMS code (printed to the
    console here) → a COD order → the supplier delivers and records the cash → the return window passes → the
    entrepreneur is paid, the supplier's wallet owes total − its share → audit_ledger clean."""
    from orders.tests.cod import code_from_console

    admin = auth_client(AdminFactory())
    response = api_client.post("/api/suppliers/profiles/register/", {
        "username": "kano", "email": "sales@kano.ng", "phone_number": "08098765439", "password": "TestPass123!",
        "password2": "TestPass123!", "company_name": "Kano Leather Ltd", "business_registration": "RC765439",
        "address": "3 Bank Road, Kano", "contact_person": "Musa Bello"}, format="json")
    assert response.status_code == 201, response.content
    supplier_id = response.json()["supplier"]["id"]
    assert admin.post(f"/api/suppliers/profiles/{supplier_id}/verify/", {"status": "verified"},
                      format="json").status_code == 200
    supplier = auth_client(User.objects.get(username="kano"))
    assert supplier.patch(f"/api/suppliers/profiles/{supplier_id}/", {"accepts_cod": True},
                          format="json").json()["accepts_cod"] is True
    product = supplier.post("/api/suppliers/products/", {"name": "Leather Sandals", "sku": "SKU-COD-1",
                                                         "base_price": "8000.00", "stock_quantity": 3}, format="json")
    assert product.status_code == 201, product.content

    entrepreneur = register(api_client, auth_client, "tolu", "entrepreneur", "08035555555")
    assert entrepreneur.post("/api/entrepreneurs/profile/", {"business_name": "Tolu's", "custom_url": "tolu"},
                             format="json").status_code == 201
    assert entrepreneur.post("/api/social/storefront/", {"is_published": True, "cod_enabled": True},
                             format="json").status_code == 201
    assert entrepreneur.post("/api/social/store-products/", {"product": product.json()["id"],
                                                             "selling_price": "10000.00"}, format="json").status_code == 201

    customer = register(api_client, auth_client, "ada", "customer", "08036666666")
    capsys.readouterr()
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post("/api/orders/cod/send-code/", {"phone": ADDRESS["phone"]},
                               format="json").status_code == 202
    code = code_from_console(capsys.readouterr().out, "+2348031234567")
    response = customer.post("/api/orders/orders/", {
        "entrepreneur_custom_url": "tolu", "shipping_address": ADDRESS, "payment_method": "cod", "cod_code": code,
        "items": [{"product_id": product.json()["id"], "quantity": 1}]}, format="json")
    assert response.status_code == 201, response.content
    order = response.json()
    # 10,000 + 500 = 10,500: entrepreneur 2,000 + 500, supplier 8,000 − 10 % = 7,200, platform 800
    assert (order["total_amount"], order["payment_method"], order["reserved_until"]) == ("10500.00", "cod", None)

    for step in ({"status": "processing"}, {"status": "shipped", "tracking_number": "GIG-9"},
                 {"status": "delivered", "cash_collected": "10500.00"}):
        assert supplier.post(f"/api/orders/orders/{order['id']}/update_status/", step,
                             format="json").status_code == 200
    assert customer.get(f"/api/orders/orders/{order['id']}/").json()["payment_status"] == "paid"
    from orders.models import Order

    Order.objects.filter(pk=order["id"]).update(delivered_at=timezone.now() - timedelta(days=30))
    release_matured_earnings()
    wallet = entrepreneur.get("/api/payments/wallet/").json()
    assert (wallet["balance"], wallet["pending_balance"]) == ("2500.00", "0.00")
    wallet = supplier.get("/api/payments/wallet/").json()
    assert (wallet["balance"], wallet["pending_balance"]) == ("-3300.00", "0.00")  # owes 10,500 − 7,200
    out = StringIO()
    call_command("audit_ledger", stdout=out)
    assert "Ledger OK" in out.getvalue()


@pytest.mark.django_db
def test_a_deactivated_user_account_stops_selling(api_client, auth_client):
    """A supplier's or an entrepreneur's user account deactivated (they can no longer sign in to ship or to answer
    shoppers): their profile follows, so the products leave the catalog and the store's pages, and an order for
    them is refused — no money flows to an account nobody can use."""
    from django.core.cache import cache

    from entrepreneurs.models import EntrepreneurProfile
    from orders.tests.factories import VALID_ADDRESS, make_store
    from suppliers.models import SupplierProfile
    from tests.factories import CustomerFactory

    cache.clear()
    store = make_store(base_price=Decimal("1000.00"), selling_price=Decimal("1200.00"))
    other = make_store()  # another store, selling the same supplier's product
    customer = auth_client(CustomerFactory())

    def order(custom_url, product):
        return customer.post("/api/orders/orders/", {"entrepreneur_custom_url": custom_url, "shipping_address":
                                                     dict(VALID_ADDRESS), "items": [{"product_id": product.pk,
                                                                                     "quantity": 1}]}, format="json")

    assert api_client.get(f"/api/products/products/{store.product.pk}/").status_code == 200
    supplier_user = store.supplier.user
    supplier_user.is_active = False
    supplier_user.save()
    assert SupplierProfile.objects.get(pk=store.supplier.pk).is_active is False
    assert api_client.get(f"/api/products/products/{store.product.pk}/").status_code == 404
    assert store.product.pk not in [p["id"] for p in api_client.get("/api/products/products/").json()["results"]]
    assert order(store.custom_url, store.product).status_code in (400, 404, 409)

    assert api_client.get(f"/{other.custom_url}/", HTTP_ACCEPT="application/json").status_code == 200
    owner = other.entrepreneur.user
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    assert EntrepreneurProfile.objects.get(pk=other.entrepreneur.pk).is_active is False
    assert api_client.get(f"/{other.custom_url}/", HTTP_ACCEPT="application/json").status_code == 404
    assert order(other.custom_url, other.product).status_code in (400, 404)

    owner.is_active = True  # back: the profile is the admin's to reactivate
    owner.save()
    assert EntrepreneurProfile.objects.get(pk=other.entrepreneur.pk).is_active is False
