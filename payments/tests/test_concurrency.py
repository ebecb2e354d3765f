"""Real races on PostgreSQL: threads with their own connections hitting the real endpoints."""
import threading
from decimal import Decimal

import pytest
import responses
from django.db import connection

from orders.models import Order
from payments.ledger import ledger_audit
from payments.models import JournalEntry, Transaction, Wallet, WithdrawalRequest
from tests.factories import EntrepreneurFactory, SupplierFactory

from .factories import PAYSTACK, BankMethodFactory, fund_wallet, paystack_charge_success, paystack_sign, paystack_verify_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_concurrently(funcs):
    barrier = threading.Barrier(len(funcs))
    results = [None] * len(funcs)

    def worker(index, func):
        try:
            barrier.wait()
            results[index] = func()
        except Exception as exc:  # surfaced by the assertions below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(funcs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_webhooks_and_verify_racing_pay_once(order, auth_client):
    from rest_framework.test import APIClient

    txn = Transaction.objects.create(transaction_id=f"PJ-{order.order_id}-RACE", order=order, user=order.customer,
                                     amount=order.total_amount, provider="paystack")
    body = paystack_charge_success(txn.transaction_id, Decimal("2900.00"))
    signature = paystack_sign(body)

    def webhook():
        return APIClient().post("/api/payments/webhooks/paystack/", data=body, content_type="application/json",
                                HTTP_X_PAYSTACK_SIGNATURE=signature).status_code

    def verify():
        return auth_client(order.customer).get(f"/api/payments/verify/{txn.transaction_id}/").status_code

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
                 json=paystack_verify_body(txn.transaction_id, Decimal("2900.00")))
        results = run_concurrently([webhook, verify] * 4)
    assert results == [200] * 8, results
    order = Order.objects.get(pk=order.pk)
    assert (order.status, order.payment_status) == ("paid", "paid")
    assert order.status_history.filter(status="paid").count() == 1
    assert JournalEntry.objects.filter(entry_type="payment").count() == 1
    assert Wallet.objects.get(user=order.entrepreneur.user).pending_balance == Decimal("520.00")
    assert Transaction.objects.get(pk=txn.pk).status == "completed"
    assert ledger_audit() == []


def test_ten_concurrent_withdrawals_never_overdraw(auth_client):
    entrepreneur = EntrepreneurFactory()
    fund_wallet(entrepreneur.user, Decimal("5000.00"))
    bank = BankMethodFactory(user=entrepreneur.user)

    def withdraw():
        return auth_client(entrepreneur.user).post("/api/payments/withdrawals/",
                                                   {"amount": "1000.00", "payment_method": bank.pk},
                                                   format="json").status_code

    results = run_concurrently([withdraw] * 10)
    assert sorted(results) == [201] * 5 + [400] * 5, results
    wallet = Wallet.objects.get(user=entrepreneur.user)
    assert wallet.balance == Decimal("0.00")
    assert WithdrawalRequest.objects.count() == 5
    assert ledger_audit() == []


def test_concurrent_supplier_withdrawals_never_overdraw(auth_client):
    """A supplier with ₦1,500 available asks for ₦1,000 twice at the same instant: one is taken, one is a 400."""
    supplier = SupplierFactory()
    fund_wallet(supplier.user, Decimal("1500.00"))
    bank = BankMethodFactory(user=supplier.user)

    def withdraw():
        return auth_client(supplier.user).post("/api/payments/withdrawals/",
                                               {"amount": "1000.00", "payment_method": bank.pk},
                                               format="json").status_code

    results = run_concurrently([withdraw] * 2)
    assert sorted(results) == [201, 400], results
    wallet = Wallet.objects.get(user=supplier.user)
    assert (wallet.kind, wallet.balance) == ("supplier", Decimal("500.00"))
    assert WithdrawalRequest.objects.filter(user=supplier.user).count() == 1
    assert ledger_audit() == []


def test_checkout_webhooks_and_verify_racing_pay_every_order_once(auth_client):
    """One charge for a checkout of two suppliers' orders: 4 webhooks + 4 verifies at the same instant →
    each order paid once, one payment journal per order, the charge completed once."""
    from rest_framework.test import APIClient

    from orders.services import OrderLine, checkout_create
    from orders.tests.factories import VALID_ADDRESS, make_store
    from tests.factories import CustomerFactory

    a = make_store()
    b = make_store(entrepreneur=a.entrepreneur)
    checkout = checkout_create(customer=CustomerFactory(), entrepreneur_custom_url=a.custom_url,
                               shipping_address=dict(VALID_ADDRESS),
                               items=[OrderLine(product_id=a.product.pk, quantity=1),
                                      OrderLine(product_id=b.product.pk, quantity=1)])
    txn = Transaction.objects.create(transaction_id=f"PJ-{checkout.checkout_id}-RACE", checkout=checkout,
                                     user=checkout.customer, amount=checkout.total_amount, provider="paystack")
    assert checkout.total_amount == Decimal("3400.00")
    body = paystack_charge_success(txn.transaction_id, Decimal("3400.00"))
    signature = paystack_sign(body)

    def webhook():
        return APIClient().post("/api/payments/webhooks/paystack/", data=body, content_type="application/json",
                                HTTP_X_PAYSTACK_SIGNATURE=signature).status_code

    def verify():
        return auth_client(checkout.customer).get(f"/api/payments/verify/{txn.transaction_id}/").status_code

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
                 json=paystack_verify_body(txn.transaction_id, Decimal("3400.00")))
        results = run_concurrently([webhook, verify] * 4)
    assert results == [200] * 8, results
    orders = list(Order.objects.filter(checkout=checkout))
    assert len(orders) == 2
    for order in orders:
        assert (order.status, order.payment_status) == ("paid", "paid")
        assert order.status_history.filter(status="paid").count() == 1
        assert JournalEntry.objects.filter(entry_type="payment", order=order).count() == 1
    assert JournalEntry.objects.filter(entry_type="payment").count() == 2
    assert Wallet.objects.get(user=a.entrepreneur.user).pending_balance == Decimal("520.00")  # 2 × (200 + 60)
    assert Transaction.objects.get(pk=txn.pk).status == "completed"
    assert ledger_audit() == []
