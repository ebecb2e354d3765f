"""Supplier settlement (SPEC §6.8): the supplier's share of a paid order goes to its wallet as pending,
becomes available on the entrepreneur's release clock, is reversed on cancel/return, and is withdrawn
through the same endpoints, rules and payout as an entrepreneur's earnings.

With ``place_order``'s defaults (qty 2, base ₦1,000, price ₦1,200, supplier commission 10 %): total 2900;
entrepreneur 520, supplier 1800, platform 580.
"""
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from orders.models import Order
from orders.services import order_transition
from payments import ledger
from payments.ledger import Line, ledger_audit
from payments.models import JournalEntry, LedgerAccount, LedgerEntry, Wallet, WithdrawalRequest
from payments.services import supplier_wallet_post, wallet_journal_post
from payments.tasks import release_matured_earnings
from tests.factories import CustomerFactory, EntrepreneurFactory, SupplierFactory

from .factories import BankMethodFactory, fund_wallet
from .test_earnings import deliver, pay

pytestmark = pytest.mark.django_db
WITHDRAWALS = "/api/payments/withdrawals/"


def figures(user):
    wallet = Wallet.objects.get(user=user)
    return wallet.kind, wallet.pending_balance, wallet.balance, wallet.total_earned, wallet.total_withdrawn


def supplier_user(order):
    return order.supplier.user


def test_payment_puts_the_supplier_share_in_its_pending_balance(order):
    pay(order)
    assert figures(supplier_user(order)) == ("supplier", Decimal("1800.00"), Decimal("0.00"), Decimal("0.00"),
                                             Decimal("0.00"))
    assert figures(order.entrepreneur.user)[:3] == ("entrepreneur", Decimal("520.00"), Decimal("0.00"))
    assert ledger_audit() == []


def test_release_moves_the_supplier_share_to_available_on_the_same_clock(order):
    pay(order)
    deliver(order, days_ago=6)
    assert release_matured_earnings.delay().get() == 0
    assert figures(supplier_user(order))[1:3] == (Decimal("1800.00"), Decimal("0.00"))

    Order.objects.filter(pk=order.pk).update(delivered_at=order.delivered_at - timedelta(days=2))
    assert release_matured_earnings.delay().get() == 1
    assert release_matured_earnings.delay().get() == 0  # each share once
    assert figures(supplier_user(order)) == ("supplier", Decimal("0.00"), Decimal("1800.00"), Decimal("1800.00"),
                                             Decimal("0.00"))
    assert figures(order.entrepreneur.user)[1:4] == (Decimal("0.00"), Decimal("520.00"), Decimal("520.00"))
    keys = set(JournalEntry.objects.filter(order=order).values_list("idempotency_key", flat=True))
    assert keys == {f"payment:{order.order_id}", f"release:{order.order_id}", f"supplier_release:{order.order_id}"}
    assert ledger_audit() == []


def test_release_days_zero_releases_the_supplier_share_on_delivery(order, settings, django_capture_on_commit_callbacks):
    settings.EARNINGS_RELEASE_DAYS = 0
    pay(order)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(order)
    assert figures(supplier_user(order))[1:3] == (Decimal("0.00"), Decimal("1800.00"))
    assert ledger_audit() == []


def test_cancel_before_release_takes_the_pending_share_back(order, admin_user):
    pay(order)
    order_transition(order_id=order.pk, to_status="cancelled", actor=admin_user)
    assert figures(supplier_user(order))[1:4] == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert ledger_audit() == []


def test_return_after_release_debits_the_supplier_in_full_even_below_zero(order, admin_user):
    pay(order)
    deliver(order, days_ago=8)
    assert release_matured_earnings.delay().get() == 1
    user = supplier_user(order)
    bank = BankMethodFactory(user=user)
    from payments.services import withdrawal_create

    withdrawal_create(user=user, amount=Decimal("1000.00"), payment_method_id=bank.pk)  # 800 left
    order_transition(order_id=order.pk, to_status="returned", actor=admin_user)
    # The whole 1800 is taken back: the supplier owes 1000 (its withdrawal is still held in flight).
    assert figures(user)[1:4] == (Decimal("0.00"), Decimal("-1000.00"), Decimal("0.00"))
    assert ledger_audit() == []


def test_an_order_released_before_supplier_wallets_gets_its_supplier_share_released(order):
    """Orders released before suppliers were settled have a 'release' journal only: the next run releases
    the supplier's share, once."""
    pay(order)
    deliver(order, days_ago=8)
    with transaction.atomic():
        wallet_journal_post(entry_type=JournalEntry.EntryType.RELEASE, idempotency_key=ledger.release_key(order),
                            order=order,
                            lines=[Line(LedgerAccount.ENTREPRENEUR_PENDING, Decimal("-520.00"), order.entrepreneur.user_id),
                                   Line(LedgerAccount.ENTREPRENEUR_AVAILABLE, Decimal("520.00"),
                                        order.entrepreneur.user_id)])
    assert release_matured_earnings.delay().get() == 1
    assert release_matured_earnings.delay().get() == 0
    assert figures(supplier_user(order))[1:3] == (Decimal("0.00"), Decimal("1800.00"))
    assert figures(order.entrepreneur.user)[2] == Decimal("520.00")  # not released twice
    assert ledger_audit() == []


# --- withdrawals by suppliers: the same endpoints and rules -----------------------------------------

def test_supplier_withdraws_through_the_same_endpoints(order, auth_client, admin_user, settings,
                                                       django_capture_on_commit_callbacks):
    settings.PAYSTACK_SECRET_KEY = ""  # the sandbox pays out (SPEC §6.10)
    pay(order)
    deliver(order, days_ago=8)
    release_matured_earnings.delay().get()
    client = auth_client(supplier_user(order))
    wallet = client.get("/api/payments/wallet/").json()
    assert (wallet["balance"], wallet["available_balance"], wallet["pending_balance"], wallet["total_earned"]) == (
        "1800.00", "1800.00", "0.00", "1800.00")

    response = client.post("/api/payments/payment-methods/", {
        "method_type": "bank_transfer", "details": {"account_number": "0123456789", "bank_code": "058",
                                                    "account_name": "Ada Obi"}}, format="json")
    assert response.status_code == 201, response.content
    method = response.json()["id"]
    assert client.post(WITHDRAWALS, {"amount": "999.99", "payment_method": method}, format="json").status_code == 400
    response = client.post(WITHDRAWALS, {"amount": "1800.01", "payment_method": method}, format="json")
    assert response.json() == {"code": "validation_failed", "error": "Insufficient balance.",
                               "details": {"amount": ["Your available balance is ₦1800.00."]}}
    response = client.post(WITHDRAWALS, {"amount": "1500.00", "payment_method": method}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["processing_fee"], body["net_amount"], body["status"]) == (
        "1500.00", "50.00", "1450.00", "pending")
    withdrawal = WithdrawalRequest.objects.get(pk=body["id"])
    assert (withdrawal.user_id, withdrawal.entrepreneur_id) == (supplier_user(order).pk, None)
    assert [row["id"] for row in client.get(WITHDRAWALS).json()["results"]] == [withdrawal.pk]
    assert auth_client(order.entrepreneur.user).get(WITHDRAWALS).json()["count"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(admin_user).post(f"{WITHDRAWALS}{withdrawal.pk}/approve/")
    assert response.status_code == 200, response.content
    assert client.get(f"{WITHDRAWALS}{withdrawal.pk}/").json()["status"] == "completed"
    assert figures(supplier_user(order))[2:] == (Decimal("300.00"), Decimal("1800.00"), Decimal("1500.00"))
    assert ledger_audit() == []


def test_rejected_supplier_withdrawal_returns_the_funds(auth_client, admin_user):
    supplier = SupplierFactory()
    fund_wallet(supplier.user, Decimal("2000.00"))
    bank = BankMethodFactory(user=supplier.user)
    body = auth_client(supplier.user).post(WITHDRAWALS, {"amount": "2000.00", "payment_method": bank.pk},
                                           format="json").json()
    assert figures(supplier.user)[2] == Decimal("0.00")
    assert auth_client(admin_user).post(f"{WITHDRAWALS}{body['id']}/reject/").status_code == 200
    assert figures(supplier.user)[2] == Decimal("2000.00")
    assert ledger_audit() == []


def test_a_negative_supplier_wallet_cannot_withdraw(auth_client):
    supplier = SupplierFactory()
    bank = BankMethodFactory(user=supplier.user)
    owe = [Line(LedgerAccount.SUPPLIER_AVAILABLE, Decimal("-500.00"), supplier.user_id),
           Line(LedgerAccount.PLATFORM_REVENUE, Decimal("500.00"))]
    with transaction.atomic():
        # e.g. pay on delivery: what the supplier owes out of the cash it holds (not a reversal of earnings)
        supplier_wallet_post(supplier_user_id=supplier.user_id, entry_type=JournalEntry.EntryType.PAYMENT,
                             idempotency_key="test-owe:1", lines=owe, description="owes")
    assert figures(supplier.user)[2] == Decimal("-500.00")
    response = auth_client(supplier.user).post(WITHDRAWALS, {"amount": "1000.00", "payment_method": bank.pk},
                                               format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_failed", "error": "Your balance is negative (₦-500.00): withdrawals wait until it is positive again.",
        "details": {"amount": ["Your available balance is ₦-500.00."]}}
    assert WithdrawalRequest.objects.count() == 0
    assert ledger_audit() == []


def test_only_a_wallet_balance_may_go_negative():
    supplier = SupplierFactory()
    Wallet.objects.create(user=supplier.user, kind=Wallet.Kind.SUPPLIER, balance=Decimal("-1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Wallet.objects.filter(user=supplier.user).update(pending_balance=Decimal("-1.00"))


def test_customers_still_cannot_withdraw_or_see_a_wallet(auth_client):
    client = auth_client(CustomerFactory())
    assert client.get("/api/payments/wallet/").status_code == 403
    assert client.post(WITHDRAWALS, {"amount": "1000", "payment_method": 1}, format="json").status_code == 403


# --- supplier_wallet_post: the seam for pay on delivery ----------------------------------------------

def test_supplier_wallet_post_moves_the_wallet_once_and_refuses_foreign_lines():
    supplier, other = SupplierFactory(), SupplierFactory()
    lines = [Line(LedgerAccount.GATEWAY_CLEARING, Decimal("-700.00")),
             Line(LedgerAccount.SUPPLIER_AVAILABLE, Decimal("700.00"), supplier.user_id)]
    with transaction.atomic():
        first = supplier_wallet_post(supplier_user_id=supplier.user_id, entry_type=JournalEntry.EntryType.PAYMENT,
                                     idempotency_key="test-cod:1", lines=lines)
        again = supplier_wallet_post(supplier_user_id=supplier.user_id, entry_type=JournalEntry.EntryType.PAYMENT,
                                     idempotency_key="test-cod:1", lines=lines)
    assert first is not None and again is None
    assert figures(supplier.user)[1:3] == (Decimal("0.00"), Decimal("700.00"))
    with pytest.raises(ValueError, match="must belong"), transaction.atomic():
        supplier_wallet_post(supplier_user_id=supplier.user_id, entry_type=JournalEntry.EntryType.PAYMENT,
                             idempotency_key="test-cod:2",
                             lines=[*lines, Line(LedgerAccount.SUPPLIER_AVAILABLE, Decimal("1.00"), other.user_id),
                                    Line(LedgerAccount.GATEWAY_CLEARING, Decimal("-1.00"))])
    with pytest.raises(ValueError, match="supplier wallet|not a supplier"), transaction.atomic():
        entrepreneur = EntrepreneurFactory()
        supplier_wallet_post(supplier_user_id=entrepreneur.user_id, entry_type=JournalEntry.EntryType.PAYMENT,
                             idempotency_key="test-cod:3",
                             lines=[Line(LedgerAccount.GATEWAY_CLEARING, Decimal("-1.00")),
                                    Line(LedgerAccount.SUPPLIER_AVAILABLE, Decimal("1.00"), entrepreneur.user_id)])
    assert ledger_audit() == []


# --- audit_ledger covers supplier wallets and the shares -----------------------------------------------

def test_audit_fails_when_a_supplier_wallet_drifts(order):
    pay(order)
    out = StringIO()
    call_command("audit_ledger", stdout=out)
    assert "(1 of suppliers)" in out.getvalue()
    assert "Σ shares = Σ paid order totals = 2900.00 over 1 order(s)" in out.getvalue()

    Wallet.objects.filter(user=supplier_user(order)).update(pending_balance=Decimal("1799.99"))
    err = StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("audit_ledger", stdout=StringIO(), stderr=err)
    assert (f"wallet of user {order.supplier.user_id}: pending_balance is 1799.99, ledger says 1800.00"
            in err.getvalue())


def test_audit_fails_when_shares_do_not_sum_to_the_order_total(order):
    pay(order)
    Order.objects.filter(pk=order.pk).update(total_amount=Decimal("2901.00"))
    assert ledger_audit() == [f"order {order.order_id}: shares sum to 2900.00, its total is 2901.00"]


def test_audit_fails_when_a_supplier_line_lands_in_an_entrepreneur_wallet(order):
    pay(order)
    user_id = order.entrepreneur.user_id
    with transaction.atomic():
        ledger.ledger_post(entry_type=JournalEntry.EntryType.RELEASE, idempotency_key="test-wrong-kind",
                           lines=[Line(LedgerAccount.GATEWAY_CLEARING, Decimal("-1.00")),
                                  Line(LedgerAccount.SUPPLIER_AVAILABLE, Decimal("1.00"), user_id)])
    problems = ledger_audit()
    assert f"entrepreneur wallet of user {user_id} has lines on supplier_available" in problems
    assert LedgerEntry.objects.filter(user_id=user_id, account="supplier_available").count() == 1


# --- Django admin: owners of wallets and withdrawals -----------------------------------------------------

def test_admin_lists_show_the_wallet_kind_and_the_withdrawal_owner(client, admin_user):
    from payments.services import withdrawal_create

    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    supplier, shop = SupplierFactory(company_name="Lagos Beads Co"), EntrepreneurFactory(custom_url="ada-bags")
    for user in (supplier.user, shop.user):
        fund_wallet(user, Decimal("1000.00"))
        withdrawal_create(user=user, amount=Decimal("1000.00"), payment_method_id=BankMethodFactory(user=user).pk)

    html = client.get("/admin/payments/withdrawalrequest/").content.decode()
    assert "Supplier: Lagos Beads Co" in html and "Entrepreneur: ada-bags" in html
    html = client.get("/admin/payments/wallet/?kind__exact=supplier").content.decode()
    assert supplier.user.username in html and shop.user.username not in html
    assert client.get("/admin/payments/withdrawalrequest/?q=Lagos+Beads").status_code == 200


def test_a_supplier_hears_about_its_own_withdrawal():
    from notifications.messages import build_messages
    from payments.services import withdrawal_create

    supplier = SupplierFactory()
    fund_wallet(supplier.user, Decimal("1000.00"))
    withdrawal = withdrawal_create(user=supplier.user, amount=Decimal("1000.00"),
                                   payment_method_id=BankMethodFactory(user=supplier.user).pk)
    emails = [m for m in build_messages("withdrawal_failed", {"withdrawal_id": withdrawal.pk}) if m.channel == "email"]
    assert [m.to for m in emails] == [supplier.user.email]
    assert withdrawal.reference_id in emails[0].subject


@pytest.mark.parametrize("new_rate", [Decimal("0.00"), Decimal("30.00")])
def test_a_commission_rate_changed_after_the_sale_releases_what_the_sale_booked(order, new_rate):
    """The supplier's share is priced at the sale; an admin changing its commission rate afterwards changes nothing of
    that order: the release moves what the payment booked (more would break the pending balance, less strand it)."""
    pay(order)
    type(order.supplier).objects.filter(pk=order.supplier_id).update(commission_rate=new_rate)
    deliver(order, days_ago=30)
    assert release_matured_earnings.delay().get() == 1
    assert figures(supplier_user(order))[1:4] == (Decimal("0.00"), Decimal("1800.00"), Decimal("1800.00"))
    assert ledger_audit() == []


@pytest.mark.parametrize("new_rate", [Decimal("0.00"), Decimal("30.00")])
def test_a_commission_rate_changed_after_the_sale_reverses_what_the_sale_booked(order, admin_user, new_rate):
    pay(order)
    type(order.supplier).objects.filter(pk=order.supplier_id).update(commission_rate=new_rate)
    order_transition(order_id=order.pk, to_status="cancelled", actor=admin_user)
    assert figures(supplier_user(order))[1:4] == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    assert ledger_audit() == []


def test_one_order_that_cannot_be_released_does_not_hold_back_the_others(order, monkeypatch):
    from payments.services import earnings

    other = pay_another_order()
    pay(order)
    deliver(order, days_ago=30)
    deliver(other, days_ago=30)
    real = earnings.earnings_release_order

    def broken_for_the_first(*, order_pk, now=None):
        if order_pk == order.pk:
            raise RuntimeError("a broken order")
        return real(order_pk=order_pk, now=now)

    monkeypatch.setattr(earnings, "earnings_release_order", broken_for_the_first)
    assert release_matured_earnings.delay().get() == 1
    assert figures(other.entrepreneur.user)[1:3] == (Decimal("0.00"), Decimal("520.00"))


def pay_another_order():
    from .factories import place_order

    other = place_order()
    pay(other)
    return other


def _priced_order(*, selling_price, quantity):
    from orders.services import OrderLine, order_create
    from orders.tests.factories import VALID_ADDRESS
    from tests.factories import ProductFactory, StorefrontFactory, StoreProductFactory

    entrepreneur = EntrepreneurFactory(commission_rate=Decimal("10.00"))
    product = ProductFactory(base_price=Decimal("1000.00"), stock_quantity=50)  # its supplier takes 10 %
    StoreProductFactory(storefront=StorefrontFactory(entrepreneur=entrepreneur), product=product,
                        selling_price=selling_price)
    return order_create(customer=CustomerFactory(), entrepreneur_custom_url=entrepreneur.custom_url,
                        items=[OrderLine(product_id=product.pk, quantity=quantity)],
                        shipping_address=dict(VALID_ADDRESS))


def test_an_order_is_split_at_the_supplier_rate_it_was_priced_with(settings):
    """The commission cap is priced with the supplier's rate at placement (10 % of the base: ₦1,000 of ₦10,000); an
    admin lowering the rate to 2 % before the payment must not split the order at 2 % — the platform's share would
    go negative (₦10,000 − ₦200 to the supplier + ₦21,000 markup + ₦1,000 commission out of a ₦30,500 total)."""
    settings.SHIPPING_FEE_NGN = Decimal("500")
    order = _priced_order(selling_price=Decimal("3000.00"), quantity=10)
    assert (order.commission_amount, order.supplier_commission_rate) == (Decimal("1000.00"), Decimal("10.00"))
    supplier = order.supplier
    supplier.commission_rate = Decimal("2.00")
    supplier.save()
    pay(order)
    journal = JournalEntry.objects.get(order=order, entry_type="payment")
    shares = {line.account: line.amount for line in journal.lines.all()}
    assert shares[LedgerAccount.SUPPLIER_PAYABLE] == Decimal("9000.00")  # 10,000 − 10 %
    assert shares[LedgerAccount.ENTREPRENEUR_PENDING] == Decimal("21000.00")  # markup 20,000 + commission 1,000
    assert shares[LedgerAccount.PLATFORM_REVENUE] == Decimal("500.00")  # 30,500 − the two: the shipping fee
    assert ledger_audit() == []


def test_the_supplier_sees_the_share_its_wallet_was_booked(auth_client):
    order = pay(_priced_order(selling_price=Decimal("1200.00"), quantity=1))
    supplier = order.supplier
    supplier.commission_rate = Decimal("20.00")  # changed after the sale
    supplier.save()
    response = auth_client(supplier.user).get(f"/api/orders/orders/{order.pk}/")
    assert response.status_code == 200, response.content
    assert Decimal(response.json()["supplier_share"]) == ledger.booked_split(order).supplier == Decimal("900.00")


def test_orders_placed_before_the_rate_was_kept_get_the_rate_their_sale_booked():
    """Migration orders 0007: a sold order gets the rate that booked its supplier share (the supplier's rate was
    changed since), an unsold one its supplier's rate of today; the supplier's view then shows the booked share."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("orders.migrations.0007_backfill_supplier_commission_rate")
    sold = pay(_priced_order(selling_price=Decimal("1200.00"), quantity=3))  # booked at 10 %: 3000 − 300
    unsold = _priced_order(selling_price=Decimal("1200.00"), quantity=1)
    for order, rate in ((sold, "17.50"), (unsold, "12.25")):
        order.supplier.commission_rate = Decimal(rate)
        order.supplier.save()
    Order.objects.filter(pk__in=[sold.pk, unsold.pk]).update(supplier_commission_rate=None)  # as placed before
    sold.refresh_from_db()
    assert sold.platform_rate == Decimal("17.50")  # the fallback until the backfill
    migration.backfill(apps, None)
    rates = dict(Order.objects.filter(pk__in=[sold.pk, unsold.pk]).values_list("pk", "supplier_commission_rate"))
    assert rates == {sold.pk: Decimal("10.00"), unsold.pk: Decimal("12.25")}
    assert ledger.booked_split(sold).supplier == Decimal("2700.00")
    assert migration.rate_for(Decimal("3000.00"), Decimal("2700.00"), Decimal("17.50")) == Decimal("10.00")
    assert migration.rate_for(Decimal("333.33"), Decimal("300.00"), Decimal("5.00")) == Decimal("10.00")  # 33.33
    assert migration.rate_for(Decimal("0.00"), Decimal("0.00"), Decimal("5.00")) == Decimal("5.00")
