import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import Order
from orders.services import order_transition
from payments.ledger import ledger_audit
from payments.models import Earnings, JournalEntry, Transaction, Wallet, WithdrawalRequest
from payments.services import sandbox_checkout_complete
from payments.tasks import release_matured_earnings
from tests.factories import EntrepreneurFactory, SupplierUserFactory

from .factories import PAYSTACK, place_order, sent_an_hour_ago

pytestmark = pytest.mark.django_db


def pay(order, provider="sandbox"):
    """Pay through the real confirm service (sandbox gateway), or fake a Paystack attempt for refund tests."""
    if provider == "sandbox":
        txn = Transaction.objects.create(transaction_id=f"PJ-{order.order_id}-SBX", order=order, user=order.customer,
                                         amount=order.total_amount, provider="sandbox")
        sandbox_checkout_complete(reference=txn.transaction_id, outcome="pay")
    order.refresh_from_db()
    assert order.payment_status == "paid"
    return order


def deliver(order, *, days_ago=0):
    supplier_user = order.supplier.user
    order_transition(order_id=order.pk, to_status="processing", actor=supplier_user)
    order_transition(order_id=order.pk, to_status="shipped", actor=supplier_user, tracking_number="GIG-123")
    order_transition(order_id=order.pk, to_status="delivered", actor=supplier_user)
    if days_ago:
        Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=days_ago))
    order.refresh_from_db()
    return order


def wallet_of(order):
    return Wallet.objects.get(user=order.entrepreneur.user)


def test_payment_credits_pending_and_release_after_return_window(order):
    pay(order)
    deliver(order, days_ago=6)
    assert release_matured_earnings.delay().get() == 0
    wallet = wallet_of(order)
    assert (wallet.pending_balance, wallet.balance) == (Decimal("520.00"), Decimal("0.00"))

    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=7, minutes=1))
    assert release_matured_earnings.delay().get() == 1
    assert release_matured_earnings.delay().get() == 0  # idempotent
    wallet = wallet_of(order)
    assert (wallet.pending_balance, wallet.balance, wallet.total_earned) == (
        Decimal("0.00"), Decimal("520.00"), Decimal("520.00"))
    earnings = {e.earning_type: e for e in Earnings.objects.filter(order=order)}
    assert earnings["markup"].amount == Decimal("400.00") and earnings["commission"].amount == Decimal("120.00")
    assert all(e.status == "paid" and e.payout_date is not None for e in earnings.values())
    profile = order.entrepreneur
    profile.refresh_from_db()
    assert (profile.total_sales, profile.total_earnings) == (Decimal("2900.00"), Decimal("520.00"))
    assert ledger_audit() == []


def test_earnings_are_recorded_at_payment_not_at_checkout(order):
    """SPEC §6.3: the payments app creates the pending earnings when the payment is confirmed."""
    assert not Earnings.objects.filter(order=order).exists()
    pay(order)
    earnings = {e.earning_type: e for e in Earnings.objects.filter(order=order)}
    assert earnings["markup"].amount == Decimal("400.00") and earnings["markup"].status == "pending"
    assert earnings["commission"].amount == Decimal("120.00") and earnings["commission"].status == "pending"
    assert earnings["markup"].entrepreneur_id == order.entrepreneur_id
    assert wallet_of(order).pending_balance == Decimal("520.00")
    assert ledger_audit() == []


def test_release_task_accepts_a_frozen_now(order):
    pay(order)
    deliver(order)
    later = (timezone.now() + timedelta(days=8)).isoformat()
    assert release_matured_earnings.delay(now=later).get() == 1
    assert wallet_of(order).balance == Decimal("520.00")


def test_unpaid_cancel_books_no_earnings_and_no_ledger(order):
    order_transition(order_id=order.pk, to_status="cancelled", actor=order.customer)
    assert not Earnings.objects.filter(order=order).exists()  # none before payment (SPEC §6.3)
    assert not JournalEntry.objects.exists()
    assert not Transaction.objects.filter(transaction_type="refund").exists()


def test_cancel_after_payment_reverses_and_refunds_through_paystack(order, admin_user, rsps,
                                                                   django_capture_on_commit_callbacks):
    txn = Transaction.objects.create(transaction_id=f"PJ-{order.order_id}-PSK", order=order, user=order.customer,
                                     amount=order.total_amount, provider="paystack")
    from .factories import paystack_verify_body

    rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
             json=paystack_verify_body(txn.transaction_id, Decimal("2900.00"), txn_id=1004723697))
    refund_call = rsps.post(f"{PAYSTACK}/refund", json={
        "status": True, "message": "Refund has been queued for processing",
        "data": {"transaction": {"id": 1004723697, "reference": txn.transaction_id, "amount": 290000},
                 "integration": 428626, "deducted_amount": 0, "channel": None, "merchant_note": "", "customer_note": "",
                 "status": "pending", "refunded_by": "ops@payjaro.ng", "expected_at": "2026-12-03T10:00:00.000Z",
                 "currency": "NGN", "amount": 290000, "id": 3018284}})
    from payments.services import payment_confirm

    payment_confirm(reference=txn.transaction_id)
    assert wallet_of(order).pending_balance == Decimal("520.00")

    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=order.pk, to_status="cancelled", actor=admin_user, notes="Out of stock")

    sent = json.loads(refund_call.calls[0].request.body)
    assert sent == {"transaction": "1004723697", "amount": 290000}
    refund = Transaction.objects.get(transaction_type="refund")
    # Paystack said "pending": the money is on its way, not back — nothing booked as returned yet.
    assert (refund.status, refund.amount, refund.provider, refund.order_id, refund.provider_reference) == (
        "pending", Decimal("2900.00"), "paystack", order.pk, "3018284")
    order.refresh_from_db()
    assert (order.status, order.payment_status) == ("cancelled", "paid")
    assert not JournalEntry.objects.filter(entry_type="refund").exists()
    assert wallet_of(order).pending_balance == Decimal("0.00")
    assert set(Earnings.objects.filter(order=order).values_list("status", flat=True)) == {"cancelled"}
    assert JournalEntry.objects.filter(entry_type="reversal", order=order).count() == 1
    assert ledger_audit() == []

    # refund.processed (webhook, delivered twice): Paystack's GET /refund/:id confirms → booked once.
    fetch = rsps.get(f"{PAYSTACK}/refund/3018284", json={"status": True, "message": "Refund retrieved", "data": {
        "integration": 428626, "transaction": 1004723697, "dispute": None, "settlement": None, "id": 3018284,
        "domain": "test", "currency": "NGN", "amount": 290000, "status": "processed", "refunded_at": None,
        "refunded_by": "ops@payjaro.ng", "customer_note": "", "merchant_note": "", "deducted_amount": 290000,
        "fully_deducted": 1, "createdAt": "2026-12-01T10:00:00.000Z"}})
    body = json.dumps({"event": "refund.processed", "data": {
        "status": "processed", "transaction_reference": txn.transaction_id, "refund_reference": "1234567890",
        "amount": 290000, "currency": "NGN", "processor": "mastercard", "integration": 428626, "domain": "test",
        "id": "3018284"}}).encode()
    from django.test import Client

    from .factories import paystack_sign

    for _ in range(2):
        hook = Client().post("/api/payments/webhooks/paystack/", data=body, content_type="application/json",
                             HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))
        assert hook.status_code == 200
    assert fetch.call_count == 1
    refund.refresh_from_db()
    txn.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == "completed" and txn.status == "reversed"
    assert (order.status, order.payment_status) == ("cancelled", "refunded")
    assert order.status_history.filter(notes__startswith="Refunded via paystack").count() == 1
    booked = JournalEntry.objects.get(entry_type="refund")
    assert {(line.account, line.amount) for line in booked.lines.all()} == {
        ("refunds_due", Decimal("-2900.00")), ("gateway_clearing", Decimal("2900.00"))}
    assert ledger_audit() == []


def test_refund_gateway_down_keeps_refund_pending_for_reconciliation(order, admin_user, rsps,
                                                                     django_capture_on_commit_callbacks):
    import requests

    pay(order)
    Transaction.objects.filter(order=order).update(provider="paystack", provider_reference="55")
    rsps.post(f"{PAYSTACK}/refund", body=requests.Timeout("slow"))
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=order.pk, to_status="cancelled", actor=admin_user)
    refund = Transaction.objects.get(transaction_type="refund")
    assert refund.status == "pending"
    order.refresh_from_db()
    assert order.payment_status == "paid"  # not refunded until the gateway accepts
    rsps.replace("POST", f"{PAYSTACK}/refund", json={"status": True, "message": "Refund has been queued for processing",
                                                    "data": {"id": 9, "status": "pending", "amount": 290000}})
    # The timed-out call may have created a refund: the next run lists Paystack's refunds first (none here).
    rsps.get(f"{PAYSTACK}/refund", json={"status": True, "message": "Refunds retrieved", "data": []})
    Transaction.objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(hours=1))
    sent_an_hour_ago(refund)  # the timed-out call is over: it may be sent again
    from payments.tasks import reconcile_pending_transactions

    assert reconcile_pending_transactions.delay().get()["refunds"] == 1
    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.status, refund.provider_reference) == ("pending", "9")  # accepted, not done yet
    assert order.payment_status == "paid"
    # The next run checks the refund's status (the periodic check when no webhook comes).
    rsps.get(f"{PAYSTACK}/refund/9", json={"status": True, "message": "Refund retrieved",
                                           "data": {"id": 9, "status": "processed", "amount": 290000}})
    assert reconcile_pending_transactions.delay().get()["refunds"] == 1
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == "completed" and order.payment_status == "refunded"
    assert JournalEntry.objects.filter(entry_type="refund").count() == 1
    assert reconcile_pending_transactions.delay().get()["refunds"] == 0


def test_return_after_release_debits_the_available_balance(order, admin_user, django_capture_on_commit_callbacks):
    pay(order)
    deliver(order, days_ago=8)
    release_matured_earnings.delay().get()
    assert wallet_of(order).balance == Decimal("520.00")
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=order.pk, to_status="returned", actor=admin_user)
    wallet = wallet_of(order)
    assert (wallet.balance, wallet.pending_balance, wallet.total_earned) == (
        Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))
    profile = order.entrepreneur
    profile.refresh_from_db()
    assert (profile.total_sales, profile.total_earnings) == (Decimal("0.00"), Decimal("0.00"))
    order.refresh_from_db()
    assert order.payment_status == "refunded"
    assert ledger_audit() == []


def test_return_after_release_takes_the_share_back_even_while_it_sits_in_a_withdrawal(
        order, admin_user, auth_client, django_capture_on_commit_callbacks):
    """SPEC §6.3: an already-released share is debited. The entrepreneur has withdrawn everything (held in flight)
    when the order is returned: the balance goes negative (withdrawals wait), and when the withdrawal is rejected
    the held money comes back — less the returned order's share, which is no longer the entrepreneur's (it used to
    be absorbed by the platform and then handed back whole with the rejected withdrawal)."""
    from django.db.models import Sum

    from payments.services import withdrawal_create, withdrawal_reject

    from .factories import BankMethodFactory, fund_wallet

    user = order.entrepreneur.user
    fund_wallet(user, Decimal("1000.00"))  # other, earlier earnings
    pay(order)
    deliver(order, days_ago=8)
    release_matured_earnings.delay().get()
    assert wallet_of(order).balance == Decimal("1520.00")
    bank = BankMethodFactory(user=user)
    held = withdrawal_create(user=user, amount=Decimal("1520.00"), payment_method_id=bank.pk)
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=order.pk, to_status="returned", actor=admin_user)
    assert wallet_of(order).balance == Decimal("-520.00")
    response = auth_client(user).post("/api/payments/withdrawals/", {"amount": "1000.00", "payment_method": bank.pk},
                                      format="json")
    assert response.status_code == 400 and "negative" in response.json()["error"]
    # The held request would pay the taken-back share out after all: approving it is refused while the wallet owes.
    response = auth_client(admin_user).post(f"/api/payments/withdrawals/{held.pk}/approve/")
    assert response.status_code == 409, response.content
    assert response.json()["details"] == {"balance": "-520.00"}
    assert WithdrawalRequest.objects.get(pk=held.pk).status == "pending"
    assert ledger_audit() == []
    withdrawal_reject(withdrawal_id=held.pk, admin=admin_user)
    wallet = wallet_of(order)
    assert (wallet.balance, wallet.pending_balance) == (Decimal("1000.00"), Decimal("0.00"))
    assert JournalEntry.objects.get(order=order, entry_type="reversal").lines.filter(
        account="platform_revenue").aggregate(total=Sum("amount"))["total"] == Decimal("-580.00")  # its own share only
    assert ledger_audit() == []


def test_an_approved_withdrawal_is_not_paid_out_once_its_wallet_went_negative(order, admin_user, rsps):
    """Approved while the wallet held it; before the transfer (the task delayed: broker down, reconciliation later)
    the order is returned and its released share taken back: the payout would pay that share out after all. It is
    failed instead, no transfer sent, and its amount is back in the balance (settling what is owed)."""
    from payments.services import withdrawal_approve, withdrawal_create, withdrawal_payout_execute

    from .factories import BankMethodFactory, fund_wallet, mock_payout

    user = order.entrepreneur.user
    fund_wallet(user, Decimal("1000.00"))
    pay(order)
    deliver(order, days_ago=8)
    release_matured_earnings.delay().get()
    held = withdrawal_create(user=user, amount=Decimal("1520.00"), payment_method_id=BankMethodFactory(user=user).pk)
    withdrawal_approve(withdrawal_id=held.pk, admin=admin_user)  # its task not run yet
    order_transition(order_id=order.pk, to_status="returned", actor=admin_user)
    assert wallet_of(order).balance == Decimal("-520.00")
    mock_payout(rsps)
    withdrawal = withdrawal_payout_execute(withdrawal_id=held.pk)
    assert withdrawal.status == "failed" and "balance went negative" in withdrawal.failure_reason
    assert not [c for c in rsps.calls if c.request.method == "POST" and c.request.url.endswith("/transfer")]
    assert wallet_of(order).balance == Decimal("1000.00")
    assert ledger_audit() == []


def test_return_before_release_reverses_pending(order, admin_user):
    pay(order)
    deliver(order)
    order_transition(order_id=order.pk, to_status="returned", actor=admin_user)
    assert wallet_of(order).pending_balance == Decimal("0.00")
    assert release_matured_earnings.delay(now=(timezone.now() + timedelta(days=30)).isoformat()).get() == 0
    assert ledger_audit() == []


# --- APIs ---

def test_wallet_endpoint(order, auth_client):
    pay(order)
    response = auth_client(order.entrepreneur.user).get("/api/payments/wallet/")
    assert response.status_code == 200
    body = response.json()
    assert (body["balance"], body["available_balance"], body["pending_balance"], body["currency"]) == (
        "0.00", "0.00", "520.00", "NGN")
    assert auth_client(order.customer).get("/api/payments/wallet/").status_code == 403


def test_wallet_endpoint_without_wallet_returns_zeros(auth_client):
    entrepreneur = EntrepreneurFactory()
    body = auth_client(entrepreneur.user).get("/api/payments/wallet/").json()
    assert body["balance"] == "0.00" and body["pending_balance"] == "0.00"
    assert not Wallet.objects.exists()


def test_earnings_list_is_own_only_and_paginated(auth_client, django_assert_max_num_queries):
    mine = EntrepreneurFactory()
    for _ in range(3):
        pay(place_order(entrepreneur=mine))  # earnings exist once paid (SPEC §6.3)
    pay(place_order())  # someone else's
    client = auth_client(mine.user)
    with django_assert_max_num_queries(6):
        response = client.get("/api/payments/earnings/?page_size=4")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 6 and len(body["results"]) == 4 and body["next"]
    assert {row["earning_type"] for row in body["results"]} <= {"markup", "commission"}
    assert all(row["order_id"].startswith("PAY") for row in body["results"])
    other = Earnings.objects.exclude(entrepreneur=mine).first()
    assert client.get(f"/api/payments/earnings/{other.pk}/").status_code == 404
    assert auth_client(SupplierUserFactory()).get("/api/payments/earnings/").status_code == 403


def test_earnings_summary(order, auth_client, django_assert_max_num_queries):
    pay(order)
    deliver(order, days_ago=8)
    release_matured_earnings.delay().get()
    second = place_order(entrepreneur=order.entrepreneur)
    pay(second)
    place_order(entrepreneur=order.entrepreneur)  # unpaid: not counted as pending earnings
    client = auth_client(order.entrepreneur.user)
    with django_assert_max_num_queries(5):
        response = client.get("/api/payments/earnings/summary/")
    assert response.status_code == 200
    assert response.json() == {
        "available_balance": "520.00", "pending_balance": "520.00", "total_earned": "520.00",
        "total_withdrawn": "0.00", "total_markup": "400.00", "total_commission": "120.00",
        "pending_earnings": "520.00", "total_sales": "2900.00", "performance_tier": "bronze", "currency": "NGN",
    }


def test_zero_release_days_releases_on_delivery_after_commit(order, settings, django_capture_on_commit_callbacks):
    settings.EARNINGS_RELEASE_DAYS = 0
    pay(order)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deliver(order)
    assert wallet_of(order).balance == Decimal("0.00")  # not inside the delivery's transaction
    for callback in callbacks:
        callback()
    wallet = wallet_of(order)
    assert (wallet.pending_balance, wallet.balance, wallet.total_earned) == (
        Decimal("0.00"), Decimal("520.00"), Decimal("520.00"))
    assert JournalEntry.objects.filter(entry_type="release", order=order).count() == 1
    assert release_matured_earnings.delay().get() == 0  # nothing left for the periodic run
    assert ledger_audit() == []


def test_default_release_days_wait_for_the_return_window(order, django_capture_on_commit_callbacks):
    pay(order)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(order)
    assert wallet_of(order).balance == Decimal("0.00")


def test_orders_that_raise_never_fill_a_release_run(monkeypatch, caplog):
    """Orders whose release raises stay first in the run's order (delivered earliest): the run pages past them, so
    the shares of the orders behind them are released all the same — and a run that stops at its cap still says
    how many raised."""
    from payments.services import earnings

    monkeypatch.setattr(earnings, "RELEASE_PER_RUN", 2)
    orders = [deliver(pay(place_order()), days_ago=30 - n) for n in range(5)]  # delivered in this order
    broken = {orders[0].pk, orders[1].pk, orders[2].pk}
    release = earnings.earnings_release_order

    def release_or_raise(*, order_pk, now=None):
        if order_pk in broken:
            raise RuntimeError("a broken order")
        return release(order_pk=order_pk, now=now)

    monkeypatch.setattr(earnings, "earnings_release_order", release_or_raise)
    with caplog.at_level("ERROR", logger="payments.services.earnings"):
        assert earnings.earnings_release_matured() == 2
    assert "3 order(s) raised and wait for an admin; 2 released" in caplog.text
    assert {o.pk for o in orders if JournalEntry.objects.filter(order=o, entry_type="release").exists()} == {
        orders[3].pk, orders[4].pk}
    assert ledger_audit() == []
