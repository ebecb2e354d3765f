"""SPEC §6.9, §6.10: every payout reaches a final state — otp → otp_required → finalized in Django admin;
a lost webhook made up for by check_payouts; 429/5xx retried and never final; reversal after completion
returns the funds once; sandbox payouts complete offline through the same path."""
import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from payments.ledger import ledger_audit
from payments.models import Transaction, Wallet, WithdrawalRequest
from tests.factories import EntrepreneurFactory

from .factories import PAYSTACK, BankMethodFactory, fund_wallet, mock_payout, paystack_sign, paystack_transfer_event

pytestmark = pytest.mark.django_db
URL = "/api/payments/withdrawals/"


@pytest.fixture
def entrepreneur(db):
    profile = EntrepreneurFactory()
    fund_wallet(profile.user, Decimal("5000.00"))
    return profile


@pytest.fixture
def withdrawal(entrepreneur, auth_client):
    bank = BankMethodFactory(user=entrepreneur.user)
    response = auth_client(entrepreneur.user).post(URL, {"amount": "2000.00", "payment_method": bank.pk}, format="json")
    assert response.status_code == 201, response.content
    return WithdrawalRequest.objects.get(pk=response.json()["id"])


def approve(auth_client, admin_user, withdrawal, capture):
    with capture(execute=True):
        response = auth_client(admin_user).post(f"{URL}{withdrawal.pk}/approve/")
    assert response.status_code == 200, response.content
    withdrawal.refresh_from_db()
    return withdrawal


def wallet(entrepreneur):
    w = Wallet.objects.get(user=entrepreneur.user)
    return w.balance, w.total_withdrawn


def history(withdrawal):
    return list(withdrawal.status_history.values_list("status", flat=True))


def transfer_verify_body(reference, status="success"):
    """GET /transfer/verify/:reference — documented shape (trimmed)."""
    return {"status": True, "message": "Transfer retrieved",
            "data": {"amount": 195000, "currency": "NGN", "domain": "test", "id": 37272792, "reason": "Payjaro payout",
                     "reference": reference, "source": "balance", "status": status,
                     "transfer_code": "TRF_1ptvuv321ahaa7q", "recipient": {"recipient_code": "RCP_t0ya41mp35flk40"}}}


def test_otp_then_admin_finalize_completes(entrepreneur, withdrawal, auth_client, admin_user, client, rsps,
                                           django_capture_on_commit_callbacks):
    mock_payout(rsps, transfer_status="otp")
    withdrawal = approve(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    assert (withdrawal.status, withdrawal.transfer_code) == ("otp_required", "TRF_1ptvuv321ahaa7q")
    assert wallet(entrepreneur) == (Decimal("3000.00"), Decimal("0.00"))

    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    listing = client.get("/admin/payments/withdrawalrequest/?status__exact=otp_required")
    assert withdrawal.reference_id in listing.content.decode()
    form = client.post("/admin/payments/withdrawalrequest/", {"action": "finalize_with_otp",
                                                              "_selected_action": [withdrawal.pk]})
    assert form.status_code == 200 and 'name="otp"' in form.content.decode()

    finalize = rsps.post(f"{PAYSTACK}/transfer/finalize_transfer", json={
        "status": True, "message": "Transfer has been queued",
        "data": {"domain": "test", "amount": 195000, "currency": "NGN", "reference": withdrawal.reference_id,
                 "source": "balance", "reason": "Payjaro payout", "status": "success",
                 "transfer_code": "TRF_1ptvuv321ahaa7q", "id": 37272792}})
    done = client.post("/admin/payments/withdrawalrequest/", {
        "action": "finalize_with_otp", "_selected_action": [withdrawal.pk], "confirm": "yes", "otp": "928783"})
    assert done.status_code == 302
    assert json.loads(finalize.calls[0].request.body) == {"transfer_code": "TRF_1ptvuv321ahaa7q", "otp": "928783"}
    withdrawal.refresh_from_db()
    assert withdrawal.status == "completed"
    assert history(withdrawal) == ["pending", "approved", "processing", "otp_required", "processing", "completed"]
    assert wallet(entrepreneur) == (Decimal("3000.00"), Decimal("2000.00"))
    assert ledger_audit() == []


def test_refused_otp_leaves_it_waiting(entrepreneur, withdrawal, auth_client, admin_user, rsps,
                                       django_capture_on_commit_callbacks):
    from core.errors import ValidationFailed
    from payments.services import withdrawal_finalize_otp

    mock_payout(rsps, transfer_status="otp")
    withdrawal = approve(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    rsps.post(f"{PAYSTACK}/transfer/finalize_transfer", status=400,
              json={"status": False, "message": "Invalid OTP"})
    with pytest.raises(ValidationFailed, match="Invalid OTP"):
        withdrawal_finalize_otp(withdrawal_id=withdrawal.pk, otp="111111", admin=admin_user)
    withdrawal.refresh_from_db()
    assert withdrawal.status == "otp_required"
    assert wallet(entrepreneur) == (Decimal("3000.00"), Decimal("0.00"))


def test_lost_success_webhook_is_completed_by_check_payouts(entrepreneur, withdrawal, auth_client, admin_user, rsps,
                                                            django_capture_on_commit_callbacks, settings):
    mock_payout(rsps)  # transfer answered "pending"; the transfer.success webhook never arrives
    withdrawal = approve(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    assert withdrawal.status == "processing"
    verify = rsps.get(f"{PAYSTACK}/transfer/verify/{withdrawal.reference_id}",
                      json=transfer_verify_body(withdrawal.reference_id))

    out = StringIO()
    call_command("check_payouts", stdout=out)  # too recent (PAYOUT_CHECK_AFTER_MINUTES=10): left alone
    assert verify.call_count == 0 and "'checked': 0" in out.getvalue()

    WithdrawalRequest.objects.filter(pk=withdrawal.pk).update(updated_at=timezone.now() - timedelta(minutes=11))
    call_command("check_payouts", stdout=out)
    assert verify.call_count == 1 and "'completed': 1" in out.getvalue()
    withdrawal.refresh_from_db()
    assert withdrawal.status == "completed"
    assert wallet(entrepreneur) == (Decimal("3000.00"), Decimal("2000.00"))
    assert Transaction.objects.get(transaction_type="payout").status == "completed"
    assert ledger_audit() == []

    settings.PAYOUT_CHECK_AFTER_MINUTES = 0
    call_command("check_payouts", stdout=out)  # settled: not verified again
    assert verify.call_count == 1


@pytest.mark.parametrize("gateway_status,final", [("failed", "failed"), ("reversed", "failed"),
                                                  ("otp", "otp_required"), ("pending", "processing")])
def test_check_payouts_applies_the_gateway_word(entrepreneur, withdrawal, auth_client, admin_user, rsps, settings,
                                                django_capture_on_commit_callbacks, gateway_status, final):
    settings.PAYOUT_CHECK_AFTER_MINUTES = 0
    mock_payout(rsps)
    withdrawal = approve(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    rsps.get(f"{PAYSTACK}/transfer/verify/{withdrawal.reference_id}",
             json=transfer_verify_body(withdrawal.reference_id, status=gateway_status))
    call_command("check_payouts", stdout=StringIO())
    withdrawal.refresh_from_db()
    assert withdrawal.status == final
    expected_balance = Decimal("5000.00") if final == "failed" else Decimal("3000.00")
    assert wallet(entrepreneur) == (expected_balance, Decimal("0.00"))
    assert ledger_audit() == []


def test_429_then_success_is_retried_not_failed(entrepreneur, withdrawal, auth_client, admin_user, rsps,
                                                django_capture_on_commit_callbacks):
    mock_payout(rsps)
    rsps.replace("POST", f"{PAYSTACK}/transfer", status=429, json={"status": False, "message": "Too many requests"})
    rsps.add("POST", f"{PAYSTACK}/transfer", json={
        "status": True, "message": "Transfer has been queued",
        "data": {"reference": withdrawal.reference_id, "status": "success", "transfer_code": "TRF_1ptvuv321ahaa7q",
                 "amount": 195000, "currency": "NGN", "id": 37272792}})
    withdrawal = approve(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    transfers = [c for c in rsps.calls if c.request.url == f"{PAYSTACK}/transfer"]
    assert len(transfers) == 2
    assert {json.loads(c.request.body)["reference"] for c in transfers} == {withdrawal.reference_id}
    assert withdrawal.status == "completed"
    assert ledger_audit() == []


@pytest.mark.parametrize("status", [429, 500, 503])
def test_gateway_outage_is_never_final(entrepreneur, withdrawal, auth_client, admin_user, rsps, settings,
                                       django_capture_on_commit_callbacks, status):
    settings.PAYOUT_CHECK_AFTER_MINUTES = 0
    mock_payout(rsps)
    rsps.replace("POST", f"{PAYSTACK}/transfer", status=status, json={"status": False, "message": "busy"})
    withdrawal = approve(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    assert withdrawal.status == "processing" and withdrawal.transfer_code == ""
    assert wallet(entrepreneur) == (Decimal("3000.00"), Decimal("0.00"))
    # verify answering an outage too: still processing, nothing returned, nothing paid
    Transaction.objects.filter(transaction_type="payout").update(provider_reference="TRF_x")
    WithdrawalRequest.objects.filter(pk=withdrawal.pk).update(transfer_code="TRF_x")
    rsps.get(f"{PAYSTACK}/transfer/verify/{withdrawal.reference_id}", status=status, json={"status": False})
    call_command("check_payouts", stdout=StringIO())
    withdrawal.refresh_from_db()
    assert withdrawal.status == "processing"
    assert ledger_audit() == []


def test_reversal_after_completion_returns_the_funds_once(entrepreneur, withdrawal, auth_client, admin_user,
                                                          api_client, rsps, django_capture_on_commit_callbacks):
    mock_payout(rsps, transfer_status="success")
    withdrawal = approve(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    assert withdrawal.status == "completed"
    first = paystack_transfer_event("transfer.reversed", withdrawal.reference_id, Decimal("1950.00"))
    second = first.replace(b'"id": 37272792', b'"id": 37272793')  # a distinct delivery of the same reversal
    for body in (first, first, second):
        response = api_client.post("/api/payments/webhooks/paystack/", data=body, content_type="application/json",
                                   HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))
        assert response.status_code == 200
    withdrawal.refresh_from_db()
    assert withdrawal.status == "failed"
    assert wallet(entrepreneur) == (Decimal("5000.00"), Decimal("0.00"))
    assert ledger_audit() == []


def test_sandbox_payout_completes_offline(entrepreneur, withdrawal, auth_client, admin_user, rsps, settings,
                                          django_capture_on_commit_callbacks):
    settings.PAYSTACK_SECRET_KEY = ""  # sandbox on (test settings), no Paystack key: the sandbox pays out
    withdrawal = approve(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    assert len(rsps.calls) == 0
    assert withdrawal.status == "completed"
    assert withdrawal.recipient_code == "RCP_sandbox_058_0123456789"
    assert withdrawal.transfer_code == f"TRF_sandbox_{withdrawal.reference_id}"
    assert history(withdrawal) == ["pending", "approved", "processing", "completed"]
    payout = Transaction.objects.get(transaction_type="payout")
    assert (payout.provider, payout.status, payout.amount) == ("sandbox", "completed", Decimal("1950.00"))
    assert wallet(entrepreneur) == (Decimal("3000.00"), Decimal("2000.00"))
    assert ledger_audit() == []


def test_with_a_paystack_key_the_sandbox_does_not_pay_out(entrepreneur, withdrawal, auth_client, admin_user, rsps,
                                                          django_capture_on_commit_callbacks):
    mock_payout(rsps)
    withdrawal = approve(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    assert withdrawal.status == "processing" and len(rsps.calls) == 3


DUPLICATE = {"status": False, "message": "Transfer reference already exists"}


def _approved_not_run(auth_client, admin_user, withdrawal, capture):
    """Approved, its payout task queued but not run yet."""
    with capture(execute=False):
        assert auth_client(admin_user).post(f"{URL}{withdrawal.pk}/approve/").status_code == 200
    withdrawal.refresh_from_db()
    return withdrawal


@pytest.mark.parametrize("gateway_status,final", [("pending", "processing"), ("success", "completed")])
def test_a_run_refused_as_a_duplicate_of_a_racing_run_follows_paystack_not_the_refusal(
        entrepreneur, withdrawal, auth_client, admin_user, api_client, rsps, django_capture_on_commit_callbacks,
        gateway_status, final):
    """Two runs of one payout (a redelivered task, reconciliation): the first moved it to processing and its transfer
    reached Paystack; the second sends the same reference and is refused as a duplicate. The refusal is not final:
    the reference is verified and Paystack's word applies — the funds are never handed back for a paid transfer."""
    from payments.services import withdrawal_payout_execute, withdrawal_start_transfer

    withdrawal = _approved_not_run(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    mock_payout(rsps)
    assert withdrawal_start_transfer(withdrawal_id=withdrawal.pk)[1] is True  # the first run's move (and its send)
    rsps.replace("POST", f"{PAYSTACK}/transfer", status=400, json=DUPLICATE)
    verify = rsps.get(f"{PAYSTACK}/transfer/verify/{withdrawal.reference_id}",
                      json=transfer_verify_body(withdrawal.reference_id, status=gateway_status))
    assert withdrawal_payout_execute(withdrawal_id=withdrawal.pk).status == final  # the second run
    assert verify.call_count == 1
    withdrawal.refresh_from_db()
    assert withdrawal.transfer_code == "TRF_1ptvuv321ahaa7q"  # recorded: payouts_check follows it from now on
    assert wallet(entrepreneur)[0] == Decimal("3000.00")  # held or paid out, never handed back
    body = paystack_transfer_event("transfer.success", withdrawal.reference_id, Decimal("1950.00"))
    response = api_client.post("/api/payments/webhooks/paystack/", data=body, content_type="application/json",
                               HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))
    assert response.status_code == 200
    withdrawal.refresh_from_db()
    assert withdrawal.status == "completed"
    assert wallet(entrepreneur) == (Decimal("3000.00"), Decimal("2000.00"))
    assert ledger_audit() == []


def test_a_run_that_did_not_start_the_transfer_never_fails_it_on_a_refusal_it_cannot_check(
        entrepreneur, withdrawal, auth_client, admin_user, rsps, django_capture_on_commit_callbacks, monkeypatch):
    """The racing run read the withdrawal while it was still approved; the other run moved it to processing (and
    sent it) while this one resolved the account. This run's refusal, with Paystack's verify unavailable, leaves the
    withdrawal processing (the funds held), never failed."""
    from payments.gateways.paystack import PaystackClient
    from payments.services import withdrawal_payout_execute, withdrawal_start_transfer

    withdrawal = _approved_not_run(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    mock_payout(rsps)
    rsps.replace("POST", f"{PAYSTACK}/transfer", status=400, json=DUPLICATE)
    rsps.get(f"{PAYSTACK}/transfer/verify/{withdrawal.reference_id}", status=503, json={"status": False})
    resolve = PaystackClient.resolve_account

    def resolve_while_the_other_run_starts(self, **kwargs):
        withdrawal_start_transfer(withdrawal_id=withdrawal.pk)  # the other run, between this one's read and move
        return resolve(self, **kwargs)

    monkeypatch.setattr(PaystackClient, "resolve_account", resolve_while_the_other_run_starts)
    assert withdrawal_payout_execute(withdrawal_id=withdrawal.pk).status == "processing"
    assert wallet(entrepreneur)[0] == Decimal("3000.00")
    assert ledger_audit() == []


def test_check_payouts_follows_a_transfer_whose_answer_was_lost(entrepreneur, withdrawal, auth_client, admin_user,
                                                                rsps, settings, django_capture_on_commit_callbacks):
    """The transfer call timed out (it may have reached Paystack): no transfer code. check_payouts verifies it by our
    reference all the same — a lost webhook never strands the money — and records the code Paystack has."""
    import requests

    settings.PAYOUT_CHECK_AFTER_MINUTES = 0
    mock_payout(rsps)
    rsps.replace("POST", f"{PAYSTACK}/transfer", body=requests.Timeout("slow"))
    withdrawal = approve(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    assert (withdrawal.status, withdrawal.transfer_code) == ("processing", "")

    unknown = rsps.get(f"{PAYSTACK}/transfer/verify/{withdrawal.reference_id}", status=404,
                       json={"status": False, "message": "Transfer not found"})
    out = StringIO()
    call_command("check_payouts", stdout=out)  # not at Paystack: left for reconciliation to send again
    assert unknown.call_count == 1 and "'errors': 1" in out.getvalue()
    withdrawal.refresh_from_db()
    assert withdrawal.status == "processing"

    rsps.replace("GET", f"{PAYSTACK}/transfer/verify/{withdrawal.reference_id}",
                 json=transfer_verify_body(withdrawal.reference_id))
    call_command("check_payouts", stdout=out)
    withdrawal.refresh_from_db()
    assert (withdrawal.status, withdrawal.transfer_code) == ("completed", "TRF_1ptvuv321ahaa7q")
    assert Transaction.objects.get(transaction_type="payout").provider_reference == "TRF_1ptvuv321ahaa7q"
    assert wallet(entrepreneur) == (Decimal("3000.00"), Decimal("2000.00"))
    assert ledger_audit() == []


def test_a_racing_run_refused_at_the_recipient_stage_leaves_the_sent_transfer_alone(
        entrepreneur, withdrawal, auth_client, admin_user, rsps, django_capture_on_commit_callbacks, monkeypatch):
    """This run read the withdrawal while it was approved; the other run moved it to processing and sent the
    transfer while this one resolved the account, which the bank refused this time (422). The refusal says nothing
    of the transfer the other run sent: the withdrawal stays processing, the funds held — never handed back."""
    from payments.gateways.paystack import PaystackClient
    from payments.services import withdrawal_payout_execute, withdrawal_start_transfer

    withdrawal = _approved_not_run(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    mock_payout(rsps)
    rsps.replace("GET", f"{PAYSTACK}/bank/resolve", status=422,
                 json={"status": False, "message": "Could not resolve account name. Check parameters or try again."})
    resolve = PaystackClient.resolve_account

    def refused_while_the_other_run_starts(self, **kwargs):
        withdrawal_start_transfer(withdrawal_id=withdrawal.pk)  # the other run, between this one's read and move
        return resolve(self, **kwargs)  # the bank's 422

    monkeypatch.setattr(PaystackClient, "resolve_account", refused_while_the_other_run_starts)
    assert withdrawal_payout_execute(withdrawal_id=withdrawal.pk).status == "processing"
    assert wallet(entrepreneur)[0] == Decimal("3000.00")
    assert ledger_audit() == []


def test_not_found_after_an_unanswered_attempt_is_not_final_until_the_copy_can_no_longer_be_in_flight(
        entrepreneur, withdrawal, auth_client, admin_user, rsps, django_capture_on_commit_callbacks, settings):
    """The first transfer call times out (Paystack may be taking it up), the retry is refused, and verify does not
    show the reference yet: left processing, the funds held. Reconciliation sends it again once the copy can no
    longer be in flight; refused, and Paystack still holding nothing, the withdrawal fails and the funds go back."""
    import requests

    from payments.gateways import unanswered_call_window
    from payments.services import withdrawal_payout_execute
    from payments.services.reconciliation import payments_reconcile

    withdrawal = _approved_not_run(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    mock_payout(rsps)
    rsps.replace("POST", f"{PAYSTACK}/transfer", body=requests.Timeout("slow"))
    rsps.add("POST", f"{PAYSTACK}/transfer", status=400, json={"status": False, "message": "Invalid transfer"})
    verify = rsps.get(f"{PAYSTACK}/transfer/verify/{withdrawal.reference_id}", status=404,
                      json={"status": False, "message": "Transfer not found"})
    assert withdrawal_payout_execute(withdrawal_id=withdrawal.pk).status == "processing"
    assert verify.call_count == 1
    assert wallet(entrepreneur)[0] == Decimal("3000.00")

    # A run (a redelivered task) while the first copy may still be in flight: not final either.
    rsps.replace("POST", f"{PAYSTACK}/transfer", status=400, json={"status": False, "message": "Invalid transfer"})
    assert withdrawal_payout_execute(withdrawal_id=withdrawal.pk).status == "processing"
    assert wallet(entrepreneur)[0] == Decimal("3000.00")

    # Reconciliation's resend, once the last send is long over (it picks the withdrawal up only then).
    assert payments_reconcile()["payouts"] == 0  # just sent: not picked up
    last_send = timezone.now() - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES, seconds=1)
    assert timezone.now() - last_send > unanswered_call_window()
    WithdrawalRequest.objects.filter(pk=withdrawal.pk).update(updated_at=last_send)
    payments_reconcile()
    withdrawal.refresh_from_db()
    assert withdrawal.status == "failed"
    assert wallet(entrepreneur)[0] == Decimal("5000.00")
    assert ledger_audit() == []


def test_two_runs_sending_one_payout_claim_each_send(
        entrepreneur, withdrawal, auth_client, admin_user, rsps, django_capture_on_commit_callbacks):
    """Reconciliation and a redelivered task both pick up a processing withdrawal whose transfer went unanswered: the
    run that read it before the other's send lost the claim and sends nothing; a run after that send treats a
    refusal with Paystack holding nothing yet as not final (the other copy may still be in flight)."""
    import requests

    from payments.services import withdrawal_payout_execute
    from payments.services.payouts import _claim_send

    withdrawal = _approved_not_run(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    mock_payout(rsps)
    rsps.replace("POST", f"{PAYSTACK}/transfer", body=requests.Timeout("slow"))
    assert withdrawal_payout_execute(withdrawal_id=withdrawal.pk).status == "processing"  # unanswered thrice
    withdrawal.refresh_from_db()
    seen = withdrawal.updated_at
    WithdrawalRequest.objects.filter(pk=withdrawal.pk).update(updated_at=seen - timedelta(minutes=15))
    stale = seen - timedelta(minutes=15)
    assert _claim_send(withdrawal.pk, stale) is True  # run R1 claims and sends (its answer lost)
    assert _claim_send(withdrawal.pk, stale) is False  # run R2 read the same row before R1's send: no second copy

    sends = len([c for c in rsps.calls if c.request.method == "POST" and c.request.url.endswith("/transfer")])
    rsps.replace("POST", f"{PAYSTACK}/transfer", status=400, json={"status": False, "message": "Invalid transfer"})
    rsps.get(f"{PAYSTACK}/transfer/verify/{withdrawal.reference_id}", status=404,
             json={"status": False, "message": "Transfer not found"})
    assert withdrawal_payout_execute(withdrawal_id=withdrawal.pk).status == "processing"  # R2 run again, after R1
    assert len([c for c in rsps.calls if c.request.method == "POST" and c.request.url.endswith("/transfer")]) == sends + 1
    assert wallet(entrepreneur)[0] == Decimal("3000.00")


def test_check_payouts_gives_every_processing_withdrawal_its_turn(
        entrepreneur, withdrawal, auth_client, admin_user, rsps, settings, monkeypatch,
        django_capture_on_commit_callbacks):
    """More withdrawals stay processing than one run checks (Paystack keeps them pending, or does not know one): the
    least recently checked go first, so the third is verified on the second run instead of the first two again —
    and checking leaves updated_at (reconciliation's resend clock) alone."""
    from payments.services import payouts

    settings.PAYOUT_CHECK_AFTER_MINUTES = 0
    monkeypatch.setattr(payouts, "PAYOUTS_CHECK_PER_RUN", 2)
    fund_wallet(entrepreneur.user, Decimal("4000.00"))
    bank = entrepreneur.user.payment_methods.first()
    others = []
    for _ in range(2):
        response = auth_client(entrepreneur.user).post(URL, {"amount": "2000.00", "payment_method": bank.pk},
                                                       format="json")
        assert response.status_code == 201, response.content
        others.append(WithdrawalRequest.objects.get(pk=response.json()["id"]))
    mock_payout(rsps)
    withdrawals = []
    for number, pending in enumerate([withdrawal, *others]):
        rsps.replace("POST", f"{PAYSTACK}/transfer", json={
            "status": True, "message": "Transfer has been queued",
            "data": {"reference": pending.reference_id, "amount": 195000, "currency": "NGN", "status": "pending",
                     "transfer_code": f"TRF_turn{number}", "id": 37272792 + number}})
        withdrawals.append(approve(auth_client, admin_user, pending, django_capture_on_commit_callbacks))
    assert [w.status for w in withdrawals] == ["processing"] * 3
    verifies = {w.reference_id: rsps.get(f"{PAYSTACK}/transfer/verify/{w.reference_id}",
                                         json=transfer_verify_body(w.reference_id, status="pending"))
                for w in withdrawals[1:]}
    unknown = withdrawals[0].reference_id  # Paystack holds no transfer under it (left to reconciliation)
    verifies[unknown] = rsps.get(f"{PAYSTACK}/transfer/verify/{unknown}", status=404,
                                 json={"status": False, "message": "Transfer not found"})
    updated = dict(WithdrawalRequest.objects.values_list("pk", "updated_at"))

    def checked():
        return sorted(reference for reference, call in verifies.items() if call.call_count)

    first = payouts.payouts_check()
    assert first["checked"] + first["errors"] == 2
    assert len(checked()) == 2
    second = payouts.payouts_check()
    assert second["checked"] + second["errors"] == 2
    assert checked() == sorted(verifies)  # the third had its turn on the second run
    assert max(call.call_count for call in verifies.values()) == 2  # and one of the first two came round again
    assert dict(WithdrawalRequest.objects.values_list("pk", "updated_at")) == updated
    assert all(status == "processing" for status in WithdrawalRequest.objects.values_list("status", flat=True))


@pytest.mark.parametrize("gateway_status,final,balance,withdrawn", [
    ("success", "completed", "3000.00", "2000.00"),  # finalized, the answer and the webhook lost: paid
    ("pending", "processing", "3000.00", "0.00"),  # finalized, Paystack still paying it: followed as processing
    ("otp", "otp_required", "3000.00", "0.00"),  # the OTP never entered: still waits for it
    ("failed", "failed", "5000.00", "0.00"),
])
def test_check_payouts_settles_a_withdrawal_waiting_for_its_otp(
        entrepreneur, withdrawal, auth_client, admin_user, rsps, settings, django_capture_on_commit_callbacks,
        gateway_status, final, balance, withdrawn):
    """An admin finalized with the OTP but every answer timed out, and the transfer webhook was lost: the withdrawal
    waited for an OTP forever (check_payouts looked at processing ones only; re-entering it is refused by Paystack
    and it can no longer be rejected). check_payouts now verifies it and applies Paystack's word."""
    import requests

    from core.errors import GatewayUnavailable
    from payments.services import withdrawal_finalize_otp

    settings.PAYOUT_CHECK_AFTER_MINUTES = 0
    mock_payout(rsps, transfer_status="otp")
    withdrawal = approve(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    assert withdrawal.status == "otp_required"
    rsps.post(f"{PAYSTACK}/transfer/finalize_transfer", body=requests.exceptions.ReadTimeout("timed out"))
    with pytest.raises(GatewayUnavailable):
        withdrawal_finalize_otp(withdrawal_id=withdrawal.pk, otp="928783", admin=admin_user)
    verify = rsps.get(f"{PAYSTACK}/transfer/verify/{withdrawal.reference_id}",
                      json=transfer_verify_body(withdrawal.reference_id, gateway_status))
    out = StringIO()
    call_command("check_payouts", stdout=out)
    assert verify.call_count == 1
    withdrawal.refresh_from_db()
    assert withdrawal.status == final
    assert wallet(entrepreneur) == (Decimal(balance), Decimal(withdrawn))
    assert ledger_audit() == []


def test_admin_resends_the_otp_of_a_withdrawal_waiting_for_one(entrepreneur, withdrawal, auth_client, admin_user,
                                                               client, rsps, django_capture_on_commit_callbacks):
    """The OTP expired or never reached the business phone: "Resend OTP" asks Paystack for a new one
    (``POST /transfer/resend_otp``, reason ``transfer``); a refusal is shown, the withdrawal stays waiting."""
    mock_payout(rsps, transfer_status="otp")
    withdrawal = approve(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    resend = rsps.post(f"{PAYSTACK}/transfer/resend_otp", json={"status": True, "message": "OTP has been resent"})
    page = client.post("/admin/payments/withdrawalrequest/", {"action": "resend_otp",
                                                              "_selected_action": [withdrawal.pk]}, follow=True)
    assert json.loads(resend.calls[0].request.body) == {"transfer_code": "TRF_1ptvuv321ahaa7q", "reason": "transfer"}
    assert "Paystack sent a new OTP" in page.content.decode()

    rsps.replace("POST", f"{PAYSTACK}/transfer/resend_otp", status=400,
                 json={"status": False, "message": "Transfer is not currently awaiting OTP"})
    page = client.post("/admin/payments/withdrawalrequest/", {"action": "resend_otp",
                                                              "_selected_action": [withdrawal.pk]}, follow=True)
    assert "Paystack refused to resend the OTP: Paystack: Transfer is not currently awaiting OTP" in page.content.decode()
    withdrawal.refresh_from_db()
    assert withdrawal.status == "otp_required"
    assert wallet(entrepreneur) == (Decimal("3000.00"), Decimal("0.00"))

    WithdrawalRequest.objects.filter(pk=withdrawal.pk).update(status="processing")
    page = client.post("/admin/payments/withdrawalrequest/", {"action": "resend_otp",
                                                              "_selected_action": [withdrawal.pk]}, follow=True)
    assert "None of the selected withdrawals is waiting for an OTP." in page.content.decode()
    assert len([c for c in rsps.calls if c.request.url.endswith("/transfer/resend_otp")]) == 2  # none the third time


def test_check_payouts_never_undoes_an_otp_finalized_while_it_verified(
        entrepreneur, withdrawal, auth_client, admin_user, rsps, settings, django_capture_on_commit_callbacks,
        monkeypatch):
    """A run reads a withdrawal waiting for its OTP and Paystack answers "otp"; meanwhile an admin finalizes it (back
    to processing): the run's "otp", read before, must not put it back to otp_required."""
    from payments.services import payouts
    from payments.services.withdrawal_outcomes import withdrawal_otp_accepted

    settings.PAYOUT_CHECK_AFTER_MINUTES = 0
    mock_payout(rsps, transfer_status="otp")
    withdrawal = approve(auth_client, admin_user, withdrawal, django_capture_on_commit_callbacks)
    rsps.get(f"{PAYSTACK}/transfer/verify/{withdrawal.reference_id}",
             json=transfer_verify_body(withdrawal.reference_id, "otp"))
    real_verify = payouts.transfer_client().__class__.verify_transfer

    def verify_while_the_admin_finalizes(self, reference):
        answer = real_verify(self, reference)
        withdrawal_otp_accepted(withdrawal_id=withdrawal.pk, by=admin_user)  # the admin's finalize, accepted
        return answer

    monkeypatch.setattr(payouts.transfer_client().__class__, "verify_transfer", verify_while_the_admin_finalizes)
    assert payouts.payouts_check()["otp_required"] == 1
    withdrawal.refresh_from_db()
    assert withdrawal.status == "processing"
    assert history(withdrawal)[-2:] == ["otp_required", "processing"]
