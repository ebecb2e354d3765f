"""Django admin's "Needs attention" page (linked from the admin index): flagged payments, withdrawals waiting
for a Paystack OTP and failed refunds — and nothing else — each with the admin action that moves it on."""
import re
from decimal import Decimal

import pytest

from payments.models import Transaction, WithdrawalRequest
from payments.services import withdrawal_create
from tests.factories import EntrepreneurFactory

from .factories import BankMethodFactory, fund_wallet

pytestmark = pytest.mark.django_db

PAGE = "/admin/payments/transaction/needs-attention/"


@pytest.fixture
def staff_client(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    return client


def txn(order, ident, **fields):
    defaults = {"order": order, "user": order.customer, "amount": order.total_amount, "provider": "paystack"}
    return Transaction.objects.create(transaction_id=ident, **{**defaults, **fields})


def withdrawal(status):
    profile = EntrepreneurFactory()
    fund_wallet(profile.user, Decimal("5000.00"))
    created = withdrawal_create(user=profile.user, amount=Decimal("2000.00"),
                                payment_method_id=BankMethodFactory(user=profile.user).pk)
    WithdrawalRequest.objects.filter(pk=created.pk).update(status=status, transfer_code=f"TRF_{status}")
    return WithdrawalRequest.objects.get(pk=created.pk)


@pytest.fixture
def mixed(order):
    """Rows that need an admin, and rows the periodic jobs settle (or that are done)."""
    attention = {
        "mismatch": txn(order, "PJ-MISMATCH", status="failed", flagged=True, flag_reason="amount 1.00 instead of 2900.00"),
        "late": txn(order, "PJ-LATE", status="completed", flagged=True,
                    flag_reason="order is cancelled — refunded automatically"),
        "refund": txn(order, "RF-FAILED", transaction_type="refund", status="failed", flagged=True,
                      flag_reason="Refund refused: Transaction has been fully reversed",
                      metadata={"payment_reference": "PJ-OK"}),
        "otp": withdrawal("otp_required"),
    }
    fine = {
        "paid": txn(order, "PJ-OK", status="completed"),
        "pending": txn(order, "PJ-PENDING"),
        "late_refunded": txn(order, "PJ-LATE-DONE", status="reversed", flagged=True, flag_reason="refunded"),
        "refund_pending": txn(order, "RF-PENDING", transaction_type="refund", metadata={"payment_reference": "PJ-OK"}),
        "refund_done": txn(order, "RF-DONE", transaction_type="refund", status="completed",
                           metadata={"payment_reference": "PJ-OK"}),
        "processing": withdrawal("processing"),
    }
    return attention, fine


def ident(obj):
    return getattr(obj, "transaction_id", None) or obj.reference_id


def test_the_page_lists_what_needs_an_admin_and_nothing_else(staff_client, mixed):
    attention, fine = mixed
    response = staff_client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    listed = set(re.findall(r">((?:PJ|RF)-[A-Z-]+|wd_[0-9a-f]+)</a>", html))
    assert listed == {ident(obj) for obj in attention.values()}
    assert not listed & {ident(obj) for obj in fine.values()}
    assert "amount 1.00 instead of 2900.00" in html and "fully reversed" in html
    assert 'value="finalize_with_otp"' in html and 'value="retry_refund"' in html

    index = staff_client.get("/admin/").content.decode()
    assert f'href="{PAGE}"' in index


def test_the_otp_form_leads_to_the_finalize_page(staff_client, mixed):
    attention, fine = mixed
    response = staff_client.post("/admin/payments/withdrawalrequest/", {
        "action": "finalize_with_otp", "index": "0", "_selected_action": [attention["otp"].pk]})
    assert response.status_code == 200
    html = response.content.decode()
    assert attention["otp"].reference_id in html and 'name="otp"' in html


def test_the_retry_form_runs_the_retry_service_for_the_failed_refund(staff_client, mixed, monkeypatch):
    attention, fine = mixed
    retried = []

    def fake_retry(*, refund_id, admin):
        retried.append(refund_id)
        return Transaction.objects.get(pk=refund_id)

    monkeypatch.setattr("payments.services.refund_retry", fake_retry)
    response = staff_client.post("/admin/payments/transaction/", {
        "action": "retry_refund", "index": "0", "_selected_action": [attention["refund"].pk]})
    assert response.status_code == 302
    assert retried == [attention["refund"].pk]


def test_the_page_is_for_staff_only(client, mixed):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
