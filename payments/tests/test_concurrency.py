"""Real races on PostgreSQL: threads with their own connections hitting the real endpoints."""
import threading
from decimal import Decimal

import pytest
import responses
from django.db import connection

from orders.models import Order
from payments.ledger import ledger_audit
from payments.models import JournalEntry, Transaction, Wallet, WithdrawalRequest
from tests.factories import EntrepreneurFactory

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
