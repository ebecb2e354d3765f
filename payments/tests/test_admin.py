from decimal import Decimal

import pytest

from payments.models import Transaction, Wallet, WithdrawalRequest
from payments.services import withdrawal_create

from .factories import BankMethodFactory, fund_wallet

pytestmark = pytest.mark.django_db


def test_admin_screens_render_and_flagged_filter(client, admin_user, order):
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    Transaction.objects.create(transaction_id="PJ-FLAG", order=order, user=order.customer, amount=order.total_amount,
                               provider="paystack", flagged=True, flag_reason="amount 1.00 instead of 2900.00")
    Transaction.objects.create(transaction_id="PJ-OK", order=order, user=order.customer, amount=order.total_amount,
                               provider="paystack")
    response = client.get("/admin/payments/transaction/?flagged__exact=1")
    assert response.status_code == 200
    html = response.content.decode()
    assert "PJ-FLAG" in html and "PJ-OK" not in html
    for path in ("journalentry", "ledgerentry", "withdrawalrequest", "wallet", "webhookevent", "earnings"):
        assert client.get(f"/admin/payments/{path}/").status_code == 200
    assert client.get("/admin/payments/ledgerentry/add/").status_code == 403


def test_admin_reject_action_uses_the_service(client, admin_user):
    from tests.factories import EntrepreneurFactory

    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    profile = EntrepreneurFactory()
    fund_wallet(profile.user, Decimal("3000.00"))
    bank = BankMethodFactory(user=profile.user)
    withdrawal = withdrawal_create(user=profile.user, amount=Decimal("2000.00"), payment_method_id=bank.pk)
    response = client.post("/admin/payments/withdrawalrequest/", {"action": "reject_selected",
                                                                  "_selected_action": [withdrawal.pk]})
    assert response.status_code == 302
    withdrawal.refresh_from_db()
    assert withdrawal.status == "rejected"
    assert Wallet.objects.get(user=profile.user).balance == Decimal("3000.00")
    assert WithdrawalRequest.objects.get().status_history.last().created_by == admin_user
