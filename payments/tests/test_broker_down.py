"""A broker that is down after the commit (Redis away) never turns a committed money change into a 500: the task
is not enqueued, the failure is logged, and reconciliation sends what is stuck (approved withdrawals, pending
refunds) on its next run."""
from decimal import Decimal

import pytest
from kombu.exceptions import OperationalError

from payments import tasks
from payments.models import Transaction, WithdrawalRequest
from payments.services import withdrawal_create
from payments.tests.factories import BankMethodFactory, fund_wallet, place_order
from payments.tests.test_earnings import pay
from tests.factories import EntrepreneurFactory

# Real commits, so that the on_commit callbacks run as they do in production.
pytestmark = pytest.mark.django_db(transaction=True)


def _down(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_an_approval_with_the_broker_down_is_saved_and_answered(auth_client, admin_user, monkeypatch, caplog):
    profile = EntrepreneurFactory()
    fund_wallet(profile.user, Decimal("5000.00"))
    withdrawal = withdrawal_create(user=profile.user, amount="2000.00",
                                   payment_method_id=BankMethodFactory(user=profile.user).pk)
    monkeypatch.setattr(tasks.process_withdrawal_payout, "delay", _down)
    client = auth_client(admin_user)
    client.raise_request_exception = False
    response = client.post(f"/api/payments/withdrawals/{withdrawal.pk}/approve/")
    assert response.status_code == 200, response.content
    assert WithdrawalRequest.objects.get(pk=withdrawal.pk).status == "approved"  # reconciliation pays it out
    assert "Connection refused" in caplog.text


def test_a_cancel_that_schedules_a_refund_with_the_broker_down_is_answered(auth_client, admin_user, monkeypatch,
                                                                            caplog):
    order = pay(place_order())
    monkeypatch.setattr(tasks.refund_payment, "delay", _down)
    client = auth_client(admin_user)
    client.raise_request_exception = False
    response = client.post(f"/api/orders/orders/{order.pk}/update_status/", {"status": "cancelled"}, format="json")
    assert response.status_code == 200, response.content
    refund = Transaction.objects.get(transaction_type="refund", order=order)
    assert refund.status == "pending"  # reconciliation sends it
    assert "Connection refused" in caplog.text
