import json
from decimal import Decimal

import pytest
import requests
from django.db import transaction

from core.errors import InvalidTransition
from payments.ledger import ledger_audit
from payments.models import JournalEntry, Transaction, Wallet, WithdrawalRequest
from payments.services import (
    WITHDRAWAL_TRANSITIONS,
    withdrawal_complete,
    withdrawal_fee,
    withdrawal_start_transfer,
)
from payments.services.withdrawals import _lock, _transition
from tests.factories import CustomerFactory, EntrepreneurFactory

from .factories import PAYSTACK, BankMethodFactory, fund_wallet, mock_payout, paystack_sign, paystack_transfer_event

pytestmark = pytest.mark.django_db
URL = "/api/payments/withdrawals/"


@pytest.fixture
def entrepreneur(db):
    profile = EntrepreneurFactory()
    fund_wallet(profile.user, Decimal("5000.00"))
    return profile


@pytest.fixture
def bank(entrepreneur):
    return BankMethodFactory(user=entrepreneur.user)


def balance(user):
    return Wallet.objects.get(user=user).balance


def request_withdrawal(auth_client, entrepreneur, bank, amount="2000.00"):
    return auth_client(entrepreneur.user).post(URL, {"amount": amount, "payment_method": bank.pk}, format="json")


@pytest.mark.parametrize("amount,fee", [("1000.00", "50.00"), ("2500.00", "50.00"), ("2500.50", "50.01"),
                                        ("2500.25", "50.01"), ("10000.00", "200.00"), ("4999.99", "100.00")])
def test_fee_is_max_two_percent_or_fifty_half_up(amount, fee):
    assert withdrawal_fee(Decimal(amount)) == Decimal(fee)


def test_create_withdrawal_debits_balance_and_holds_in_ledger(entrepreneur, bank, auth_client):
    response = request_withdrawal(auth_client, entrepreneur, bank, "2000.00")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["processing_fee"], body["net_amount"], body["status"]) == (
        "2000.00", "50.00", "1950.00", "pending")
    assert body["reference_id"] == body["reference_id"].lower() and len(body["reference_id"]) >= 16
    assert body["destination_details"] == {"account_number": "0123456789", "bank_code": "058",
                                           "account_name": "Ada Obi Ventures", "bank_name": "GTBank"}
    assert balance(entrepreneur.user) == Decimal("3000.00")
    withdrawal = WithdrawalRequest.objects.get()
    assert list(withdrawal.status_history.values_list("status", flat=True)) == ["pending"]
    assert ledger_audit() == []
    listed = auth_client(entrepreneur.user).get(URL).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == withdrawal.pk


def test_minimum_is_1000(entrepreneur, bank, auth_client):
    response = request_withdrawal(auth_client, entrepreneur, bank, "999.99")
    assert response.status_code == 400
    assert response.json() == {"code": "validation_failed", "error": "Minimum withdrawal amount is ₦1,000.",
                               "details": {"amount": ["Minimum withdrawal amount is ₦1,000."]}}
    assert balance(entrepreneur.user) == Decimal("5000.00")


def test_over_balance_is_400(entrepreneur, bank, auth_client):
    response = request_withdrawal(auth_client, entrepreneur, bank, "5000.01")
    assert response.status_code == 400
    assert response.json() == {"code": "validation_failed", "error": "Insufficient balance.",
                               "details": {"amount": ["Your available balance is ₦5000.00."]}}
    assert request_withdrawal(auth_client, entrepreneur, bank, "5000.00").status_code == 201
    assert balance(entrepreneur.user) == Decimal("0.00")
    assert request_withdrawal(auth_client, entrepreneur, bank, "1000.00").status_code == 400


def test_payment_method_must_be_own_active_bank_account(entrepreneur, bank, auth_client):
    foreign = BankMethodFactory()
    crypto = BankMethodFactory(user=entrepreneur.user, method_type="crypto",
                               details={"wallet_address": "0xabc", "crypto_type": "USDT"})
    inactive = BankMethodFactory(user=entrepreneur.user, is_active=False)
    for method in (foreign, crypto, inactive):
        response = auth_client(entrepreneur.user).post(URL, {"amount": "1000", "payment_method": method.pk},
                                                       format="json")
        assert response.status_code == 400
        assert "payment_method" in response.json()["details"]
    assert balance(entrepreneur.user) == Decimal("5000.00")


def test_only_entrepreneurs_can_withdraw(auth_client):
    assert auth_client(CustomerFactory()).post(URL, {"amount": "1000", "payment_method": 1},
                                               format="json").status_code == 403


def test_approve_runs_the_payout_and_success_webhook_completes(entrepreneur, bank, auth_client, admin_user, api_client,
                                                               rsps, django_capture_on_commit_callbacks):
    withdrawal_id = request_withdrawal(auth_client, entrepreneur, bank, "2000.00").json()["id"]
    mock_payout(rsps)
    assert auth_client(entrepreneur.user).post(f"{URL}{withdrawal_id}/approve/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(admin_user).post(f"{URL}{withdrawal_id}/approve/", {"notes": "ok"}, format="json")
    assert response.status_code == 200
    withdrawal = WithdrawalRequest.objects.get(pk=withdrawal_id)
    assert (withdrawal.status, withdrawal.recipient_code, withdrawal.transfer_code) == (
        "processing", "RCP_t0ya41mp35flk40", "TRF_1ptvuv321ahaa7q")
    resolve, recipient, transfer = rsps.calls
    assert "account_number=0123456789" in resolve.request.url and "bank_code=058" in resolve.request.url
    assert json.loads(recipient.request.body)["type"] == "nuban"
    sent = json.loads(transfer.request.body)
    assert sent == {"source": "balance", "amount": 195000, "recipient": "RCP_t0ya41mp35flk40",
                    "reference": withdrawal.reference_id, "currency": "NGN",
                    "reason": f"Payjaro payout {withdrawal.reference_id}"}
    payout = Transaction.objects.get(transaction_type="payout")
    assert (payout.amount, payout.status, payout.withdrawal_id) == (Decimal("1950.00"), "pending", withdrawal.pk)

    body = paystack_transfer_event("transfer.success", withdrawal.reference_id, Decimal("1950.00"))
    for _ in range(3):
        hook = api_client.post("/api/payments/webhooks/paystack/", data=body, content_type="application/json",
                               HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))
        assert hook.status_code == 200
    withdrawal.refresh_from_db()
    assert withdrawal.status == "completed"
    wallet = Wallet.objects.get(user=entrepreneur.user)
    assert (wallet.balance, wallet.total_withdrawn) == (Decimal("3000.00"), Decimal("2000.00"))
    assert list(withdrawal.status_history.values_list("status", flat=True)) == [
        "pending", "approved", "processing", "completed"]
    assert Transaction.objects.get(transaction_type="payout").status == "completed"
    assert ledger_audit() == []


@pytest.mark.parametrize("event", ["transfer.failed", "transfer.reversed"])
def test_failed_or_reversed_transfer_returns_the_funds(entrepreneur, bank, auth_client, admin_user, api_client, rsps,
                                                       django_capture_on_commit_callbacks, event):
    withdrawal_id = request_withdrawal(auth_client, entrepreneur, bank, "2000.00").json()["id"]
    mock_payout(rsps)
    with django_capture_on_commit_callbacks(execute=True):
        auth_client(admin_user).post(f"{URL}{withdrawal_id}/approve/")
    withdrawal = WithdrawalRequest.objects.get(pk=withdrawal_id)
    body = paystack_transfer_event(event, withdrawal.reference_id, Decimal("1950.00"))
    api_client.post("/api/payments/webhooks/paystack/", data=body, content_type="application/json",
                    HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))
    withdrawal.refresh_from_db()
    assert withdrawal.status == "failed"
    wallet = Wallet.objects.get(user=entrepreneur.user)
    assert (wallet.balance, wallet.total_withdrawn) == (Decimal("5000.00"), Decimal("0.00"))
    assert list(withdrawal.status_history.values_list("status", flat=True)) == [
        "pending", "approved", "processing", "failed"]
    assert ledger_audit() == []


def test_reversal_after_success_returns_funds_and_undoes_total_withdrawn(entrepreneur, bank, auth_client, admin_user,
                                                                         api_client, rsps,
                                                                         django_capture_on_commit_callbacks):
    withdrawal_id = request_withdrawal(auth_client, entrepreneur, bank, "2000.00").json()["id"]
    mock_payout(rsps)
    with django_capture_on_commit_callbacks(execute=True):
        auth_client(admin_user).post(f"{URL}{withdrawal_id}/approve/")
    reference = WithdrawalRequest.objects.get(pk=withdrawal_id).reference_id
    for event in ("transfer.success", "transfer.reversed"):
        body = paystack_transfer_event(event, reference, Decimal("1950.00"))
        api_client.post("/api/payments/webhooks/paystack/", data=body, content_type="application/json",
                        HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))
    wallet = Wallet.objects.get(user=entrepreneur.user)
    assert (wallet.balance, wallet.total_withdrawn) == (Decimal("5000.00"), Decimal("0.00"))
    # The bank's reversal is booked as what it is, not as a second completion.
    kinds = list(JournalEntry.objects.filter(withdrawal_id=withdrawal_id).order_by("id").values_list("entry_type", flat=True))
    assert kinds == ["withdrawal_hold", "payout_completed", "payout_reversed", "payout_failed"]
    assert ledger_audit() == []


@pytest.mark.parametrize("status", ["rejected", "failed", "completed", "processing"])
def test_only_a_pending_withdrawal_can_be_approved(entrepreneur, bank, auth_client, admin_user, status):
    withdrawal_id = request_withdrawal(auth_client, entrepreneur, bank, "2000.00").json()["id"]
    WithdrawalRequest.objects.filter(pk=withdrawal_id).update(status=status)
    response = auth_client(admin_user).post(f"{URL}{withdrawal_id}/approve/")
    assert response.status_code == 409
    assert WithdrawalRequest.objects.get(pk=withdrawal_id).status == status


def test_the_withdrawal_transitions_table_names_every_status():
    statuses = set(WithdrawalRequest.Status.values)
    assert set(WITHDRAWAL_TRANSITIONS) == statuses
    assert all(targets <= statuses for targets in WITHDRAWAL_TRANSITIONS.values())
    assert WITHDRAWAL_TRANSITIONS["rejected"] == WITHDRAWAL_TRANSITIONS["failed"] == frozenset()  # final


def test_a_move_the_table_refuses_is_an_invalid_transition(entrepreneur, bank, auth_client):
    withdrawal_id = request_withdrawal(auth_client, entrepreneur, bank, "2000.00").json()["id"]
    assert withdrawal_start_transfer(withdrawal_id=withdrawal_id)[0].status == "pending"  # only from approved
    assert withdrawal_complete(withdrawal_id=withdrawal_id).status == "pending"  # logged, left for an admin
    with pytest.raises(InvalidTransition), transaction.atomic():
        _transition(_lock(withdrawal_id), "processing")
    assert WithdrawalRequest.objects.get(pk=withdrawal_id).status == "pending"
    assert ledger_audit() == []


def test_account_name_mismatch_fails_and_returns_funds(entrepreneur, bank, auth_client, admin_user, rsps,
                                                       django_capture_on_commit_callbacks):
    withdrawal_id = request_withdrawal(auth_client, entrepreneur, bank, "2000.00").json()["id"]
    mock_payout(rsps, account_name="BELLO MUSA")
    with django_capture_on_commit_callbacks(execute=True):
        auth_client(admin_user).post(f"{URL}{withdrawal_id}/approve/")
    withdrawal = WithdrawalRequest.objects.get(pk=withdrawal_id)
    assert withdrawal.status == "failed"
    assert "Account name mismatch" in withdrawal.failure_reason
    assert len(rsps.calls) == 1  # resolve only: no recipient, no transfer
    assert balance(entrepreneur.user) == Decimal("5000.00")
    assert ledger_audit() == []


def test_account_name_match_ignores_case_and_spacing(entrepreneur, bank, auth_client, admin_user, rsps,
                                                     django_capture_on_commit_callbacks):
    withdrawal_id = request_withdrawal(auth_client, entrepreneur, bank).json()["id"]
    mock_payout(rsps, account_name="  ada  OBI ventures ")
    with django_capture_on_commit_callbacks(execute=True):
        auth_client(admin_user).post(f"{URL}{withdrawal_id}/approve/")
    assert WithdrawalRequest.objects.get(pk=withdrawal_id).status == "processing"


def test_inconclusive_transfer_is_retried_with_the_same_reference(entrepreneur, bank, auth_client, admin_user, rsps,
                                                                  django_capture_on_commit_callbacks):
    withdrawal_id = request_withdrawal(auth_client, entrepreneur, bank).json()["id"]
    mock_payout(rsps)
    rsps.replace("POST", f"{PAYSTACK}/transfer", body=requests.Timeout("slow"))
    with django_capture_on_commit_callbacks(execute=True):
        auth_client(admin_user).post(f"{URL}{withdrawal_id}/approve/")
    withdrawal = WithdrawalRequest.objects.get(pk=withdrawal_id)
    transfers = [json.loads(c.request.body) for c in rsps.calls if c.request.url.endswith("/transfer")]
    assert len(transfers) == 3 and {t["reference"] for t in transfers} == {withdrawal.reference_id}
    assert withdrawal.status == "processing" and withdrawal.transfer_code == ""
    assert balance(entrepreneur.user) == Decimal("3000.00")  # still held, not returned, not paid

    # A later retry (reconciliation) that gets "duplicate reference" does not fail it: the webhook decides.
    rsps.replace("POST", f"{PAYSTACK}/transfer", status=400,
                 json={"status": False, "message": "Transfer reference already exists"})
    from payments.services import withdrawal_payout_execute

    assert withdrawal_payout_execute(withdrawal_id=withdrawal_id).status == "processing"


def test_conclusive_transfer_refusal_fails_and_returns_funds(entrepreneur, bank, auth_client, admin_user, rsps,
                                                             django_capture_on_commit_callbacks):
    withdrawal_id = request_withdrawal(auth_client, entrepreneur, bank).json()["id"]
    mock_payout(rsps)
    rsps.replace("POST", f"{PAYSTACK}/transfer", status=400,
                 json={"status": False, "message": "Your balance is not enough to fulfil this request"})
    # Final only once Paystack says it holds no transfer under our reference.
    verify = rsps.get(f"{PAYSTACK}/transfer/verify/{WithdrawalRequest.objects.get(pk=withdrawal_id).reference_id}",
                      status=404, json={"status": False, "message": "Transfer not found"})
    with django_capture_on_commit_callbacks(execute=True):
        auth_client(admin_user).post(f"{URL}{withdrawal_id}/approve/")
    withdrawal = WithdrawalRequest.objects.get(pk=withdrawal_id)
    assert verify.call_count == 1
    assert withdrawal.status == "failed"
    assert balance(entrepreneur.user) == Decimal("5000.00")
    assert ledger_audit() == []


def test_reject_returns_funds(entrepreneur, bank, auth_client, admin_user):
    withdrawal_id = request_withdrawal(auth_client, entrepreneur, bank, "2000.00").json()["id"]
    response = auth_client(admin_user).post(f"{URL}{withdrawal_id}/reject/", {"notes": "Suspicious"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert balance(entrepreneur.user) == Decimal("5000.00")
    again = auth_client(admin_user).post(f"{URL}{withdrawal_id}/reject/")
    assert again.status_code == 409
    assert auth_client(admin_user).post(f"{URL}{withdrawal_id}/approve/").status_code == 409
    assert ledger_audit() == []


def test_withdrawals_of_others_are_404(entrepreneur, bank, auth_client):
    withdrawal_id = request_withdrawal(auth_client, entrepreneur, bank).json()["id"]
    other = EntrepreneurFactory()
    assert auth_client(other.user).get(f"{URL}{withdrawal_id}/").status_code == 404
    assert auth_client(other.user).get(URL).json()["count"] == 0
