"""Suppliers get paid (SPEC §6.8, §6.10), end to end through the API:

one checkout across two suppliers → one sandbox payment → each supplier ships and delivers its parcel →
the return window passes (``manage.py release_earnings``) → the entrepreneur and both suppliers withdraw →
an admin approves → sandbox payouts complete → ``audit_ledger`` clean, every wallet equal to its ledger,
Σ shares = Σ paid totals.

Prices: the store sells supplier A's bag (base 10,000, A's commission 10 %) at 12,000 × 1 and supplier B's
beads (base 2,000, B's commission 15 %) at 2,500 × 2; entrepreneur commission 5 %, shipping 500 a parcel.
  order A: total 12,500 = entrepreneur 2,600 (markup 2,000 + commission 600) + supplier 9,000 + platform 900
  order B: total  5,500 = entrepreneur 1,250 (markup 1,000 + commission 250) + supplier 3,400 + platform 850
"""
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from orders.models import Order
from payments.ledger import ledger_audit, share_mismatches, wallet_figures_from_ledger
from payments.models import LedgerEntry, Transaction, Wallet
from tests.factories import (
    AdminFactory,
    CustomerFactory,
    EntrepreneurFactory,
    ProductFactory,
    StorefrontFactory,
    StoreProductFactory,
    SupplierFactory,
)

ADDRESS = {"full_name": "Chinedu Okafor", "phone": "08031234567", "address": "14 Allen Avenue, Ikeja",
           "city": "Ikeja", "state": "Lagos"}
BANK = {"method_type": "bank_transfer", "details": {"account_number": "0123456789", "bank_code": "058",
                                                    "account_name": "Ada Obi"}}


def wallet(client) -> tuple[str, str, str, str]:
    body = client.get("/api/payments/wallet/").json()
    return body["pending_balance"], body["available_balance"], body["total_earned"], body["total_withdrawn"]


def account_sums() -> dict[str, Decimal]:
    return {row["account"]: row["total"]
            for row in LedgerEntry.objects.values("account").annotate(total=Sum("amount")).order_by()}


@pytest.mark.django_db
def test_checkout_of_two_suppliers_pays_everyone_out(api_client, auth_client, settings,
                                                     django_capture_on_commit_callbacks):
    settings.PAYSTACK_SECRET_KEY = ""  # sandbox on (test settings), no Paystack key: sandbox payouts (§6.10)
    supplier_a = SupplierFactory(commission_rate=Decimal("10.00"))
    supplier_b = SupplierFactory(commission_rate=Decimal("15.00"))
    bag = ProductFactory(supplier=supplier_a, base_price=Decimal("10000.00"))
    beads = ProductFactory(supplier=supplier_b, base_price=Decimal("2000.00"))
    shop = EntrepreneurFactory(commission_rate=Decimal("5.00"))
    store = StorefrontFactory(entrepreneur=shop)
    StoreProductFactory(storefront=store, product=bag, selling_price=Decimal("12000.00"))
    StoreProductFactory(storefront=store, product=beads, selling_price=Decimal("2500.00"))
    customer, admin = auth_client(CustomerFactory()), auth_client(AdminFactory())
    entrepreneur = auth_client(shop.user)
    suppliers = [auth_client(supplier_a.user), auth_client(supplier_b.user)]

    # 1. One checkout, two parcels, one sandbox payment.
    response = customer.post("/api/orders/checkouts/", {
        "entrepreneur_custom_url": shop.custom_url, "shipping_address": ADDRESS,
        "items": [{"product_id": bag.pk, "quantity": 1}, {"product_id": beads.pk, "quantity": 2}]}, format="json")
    assert response.status_code == 201, response.content
    checkout = response.json()
    assert [o["total_amount"] for o in checkout["orders"]] == ["12500.00", "5500.00"]
    response = customer.post("/api/payments/initialize/", {"checkout_id": checkout["checkout_id"],
                                                           "provider": "sandbox"}, format="json")
    assert response.status_code == 200 and response.json()["amount"] == "18000.00"
    page = api_client.post(response.json()["payment_url"].removeprefix("http://testserver"), {"outcome": "pay"})
    assert page.status_code == 200

    assert wallet(entrepreneur) == ("3850.00", "0.00", "0.00", "0.00")
    assert wallet(suppliers[0]) == ("9000.00", "0.00", "0.00", "0.00")
    assert wallet(suppliers[1]) == ("3400.00", "0.00", "0.00", "0.00")

    # 2. Each supplier ships and delivers its own parcel; the share stays pending through the return window.
    for client, order in zip(suppliers, checkout["orders"], strict=True):
        for step in ({"status": "processing"}, {"status": "shipped", "tracking_number": "GIG-7"},
                     {"status": "delivered"}):
            assert client.post(f"/api/orders/orders/{order['id']}/update_status/", step,
                               format="json").status_code == 200
    out = StringIO()
    call_command("release_earnings", stdout=out)
    assert "0 order(s)" in out.getvalue()
    assert wallet(suppliers[0])[:2] == ("9000.00", "0.00")

    # 3. The return window passes: the periodic release (its management command) frees all three shares.
    Order.objects.filter(checkout__checkout_id=checkout["checkout_id"]).update(
        delivered_at=timezone.now() - timedelta(days=settings.EARNINGS_RELEASE_DAYS, minutes=1))
    call_command("release_earnings", stdout=out)
    assert "Released the earnings of 2 order(s)." in out.getvalue()
    assert wallet(entrepreneur) == ("0.00", "3850.00", "3850.00", "0.00")
    assert wallet(suppliers[0]) == ("0.00", "9000.00", "9000.00", "0.00")
    assert wallet(suppliers[1]) == ("0.00", "3400.00", "3400.00", "0.00")
    dashboard = suppliers[1].get("/api/suppliers/profiles/dashboard/").json()
    assert (dashboard["total_revenue"], dashboard["pending_balance"], dashboard["available_balance"],
            dashboard["total_withdrawn"]) == ("3400.00", "0.00", "3400.00", "0.00")

    # 4. Everyone withdraws everything to their own bank account (fee max(2 %, ₦50)).
    withdrawals = []
    for client, amount, fee, net in ((entrepreneur, "3850.00", "77.00", "3773.00"),
                                     (suppliers[0], "9000.00", "180.00", "8820.00"),
                                     (suppliers[1], "3400.00", "68.00", "3332.00")):
        method = client.post("/api/payments/payment-methods/", BANK, format="json")
        assert method.status_code == 201, method.content
        response = client.post("/api/payments/withdrawals/", {"amount": amount, "payment_method": method.json()["id"]},
                               format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["amount"], body["processing_fee"], body["net_amount"], body["status"]) == (
            amount, fee, net, "pending")
        withdrawals.append(body)
        assert wallet(client)[1] == "0.00"

    # 5. The admin approves each; the sandbox transfer provider pays them out through the same service path.
    for body in withdrawals:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(f"/api/payments/withdrawals/{body['id']}/approve/")
        assert response.status_code == 200, response.content
    for client, body in zip((entrepreneur, *suppliers), withdrawals, strict=True):
        listed = client.get("/api/payments/withdrawals/").json()["results"]
        assert [(w["id"], w["status"]) for w in listed] == [(body["id"], "completed")]
    assert wallet(entrepreneur) == ("0.00", "0.00", "3850.00", "3850.00")
    assert wallet(suppliers[0]) == ("0.00", "0.00", "9000.00", "9000.00")
    assert wallet(suppliers[1]) == ("0.00", "0.00", "3400.00", "3400.00")
    payouts = Transaction.objects.filter(transaction_type="payout").order_by("pk")
    assert [(t.provider, t.status, t.amount) for t in payouts] == [
        ("sandbox", "completed", Decimal("3773.00")), ("sandbox", "completed", Decimal("8820.00")),
        ("sandbox", "completed", Decimal("3332.00"))]

    # 6. The books: audit clean, every wallet = its ledger, Σ shares = Σ paid totals, where the money went.
    out = StringIO()
    call_command("audit_ledger", stdout=out)
    assert "Σ shares = Σ paid order totals = 18000.00 over 2 order(s)" in out.getvalue()
    assert "3 wallets match (2 of suppliers)" in out.getvalue()
    assert ledger_audit() == []
    expected = wallet_figures_from_ledger()
    for wallet_row in Wallet.objects.all():
        assert {name: getattr(wallet_row, name) for name in expected[wallet_row.user_id]} == expected[wallet_row.user_id]
    assert share_mismatches() == ([], {"orders": Decimal("2"), "shares": Decimal("18000.00"),
                                       "totals": Decimal("18000.00")})
    sums = account_sums()
    assert sums["platform_revenue"] == Decimal("2075.00")  # 900 + 850 + fees 77 + 180 + 68
    assert sums["gateway_clearing"] == Decimal("-2075.00")  # 18000 in, 3773 + 8820 + 3332 paid out
    for account in ("entrepreneur_pending", "entrepreneur_available", "supplier_payable", "supplier_available",
                    "payouts_in_flight"):
        assert sums[account] == Decimal("0.00"), account
