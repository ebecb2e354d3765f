"""Query budget of a payment confirmation by webhook (issue 17 item 2): no avoidable read.

A new ``charge.success`` for an order whose wallets exist (16, inside the test's transaction, so every
``atomic`` is a savepoint: 2 statements each):
- the delivery's record, INSERTed first (``ON CONFLICT (provider, event_key) DO NOTHING``: no SELECT, and no
  savepoint, since a redelivery inserts nothing rather than failing): 1;
- the payment read before the gateway is asked (no lock is held during the HTTP call): 1;
- then, in one transaction (2): the payment locked; its order locked with its supplier and entrepreneur (the
  split needs both, so neither ``order_mark_paid`` nor the earnings read or lock the order again); the payment
  UPDATE; the order's UPDATE and its history row (no savepoint of their own: a failure there fails the whole
  payment); the two wallets locked (one each, in the lines' order); the journal (one ``INSERT … ON CONFLICT
  DO NOTHING``: its idempotency check and the row), its lines (one INSERT); the two wallets' F() updates (one
  UPDATE); the two earnings rows (one INSERT);
- the delivery marked processed: 1.
"""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments.models import Transaction, Wallet

from .factories import PAYSTACK, paystack_charge_success, paystack_sign, paystack_verify_body

pytestmark = pytest.mark.django_db
HOOK = "/api/payments/webhooks/paystack/"


def _post(client, body):
    return client.post(HOOK, data=body, content_type="application/json", HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))


def test_a_payment_webhook_costs_a_fixed_budget_and_a_redelivery_two(order, api_client, rsps,
                                                                      django_assert_num_queries):
    Wallet.objects.create(user=order.entrepreneur.user, kind=Wallet.Kind.ENTREPRENEUR)
    Wallet.objects.create(user=order.supplier.user, kind=Wallet.Kind.SUPPLIER)
    txn = Transaction.objects.create(transaction_id=f"PJ-{order.order_id}-0001", order=order, user=order.customer,
                                     amount=order.total_amount, provider="paystack")
    rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
             json=paystack_verify_body(txn.transaction_id, Decimal("2900.00")))
    body = paystack_charge_success(txn.transaction_id, Decimal("2900.00"))
    with django_assert_num_queries(16):
        response = _post(api_client, body)
        assert response.status_code == 200, response.content
    assert response.json()["result"] == "payment_completed"
    # The same delivery again: the INSERT meets the unique key and inserts nothing, one read of it.
    with django_assert_num_queries(2):
        response = _post(api_client, body)
    assert response.json()["result"] == "duplicate"
    order.refresh_from_db()
    assert order.payment_status == "paid"
    assert Wallet.objects.get(user=order.entrepreneur.user).pending_balance == Decimal("520.00")
    assert Wallet.objects.get(user=order.supplier.user).pending_balance == Decimal("1800.00")


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_the_delivery_record_is_one_statement(order, api_client, rsps, monkeypatch):
    """Outside a test transaction, as in production: the record's INSERT is its own transaction (no BEGIN and
    COMMIT around it); the payment's transaction is the one BEGIN … COMMIT of the request. (The notification is
    enqueued, not sent: the tests' eager Celery would read the order for its message in the request.)"""
    monkeypatch.setattr("notifications.tasks.send_notification.delay", lambda *args, **kwargs: None)
    Wallet.objects.create(user=order.entrepreneur.user, kind=Wallet.Kind.ENTREPRENEUR)
    Wallet.objects.create(user=order.supplier.user, kind=Wallet.Kind.SUPPLIER)
    txn = Transaction.objects.create(transaction_id=f"PJ-{order.order_id}-0001", order=order, user=order.customer,
                                     amount=order.total_amount, provider="paystack")
    rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
             json=paystack_verify_body(txn.transaction_id, Decimal("2900.00")))
    body = paystack_charge_success(txn.transaction_id, Decimal("2900.00"))
    with CaptureQueriesContext(connection) as context:
        assert _post(api_client, body).json()["result"] == "payment_completed"
    statements = [q["sql"].split()[0] for q in context.captured_queries]
    assert statements[0] == "INSERT" and "webhookevent" in context.captured_queries[0]["sql"]
    assert statements.count("BEGIN") == 1 and statements.count("COMMIT") == 1, statements
    assert len(statements) == 16, "\n".join(q["sql"][:90] for q in context.captured_queries)
    assert statements[-2:] == ["COMMIT", "UPDATE"]  # then the record marked processed
    assert _post(api_client, body).json()["result"] == "duplicate"
