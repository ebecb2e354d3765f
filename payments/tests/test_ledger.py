from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from payments.ledger import Line, UnbalancedEntry, ledger_audit, ledger_post
from payments.models import AppendOnlyError, JournalEntry, LedgerAccount, LedgerEntry, Wallet

from .factories import fund_wallet
from .test_earnings import deliver, pay

pytestmark = pytest.mark.django_db


def test_unbalanced_journal_is_refused():
    with pytest.raises(UnbalancedEntry), transaction.atomic():
        ledger_post(entry_type="payment", idempotency_key="x", lines=[Line(LedgerAccount.PLATFORM_REVENUE, Decimal("1"))])
    assert not JournalEntry.objects.exists()


def test_same_key_posts_once():
    lines = [Line(LedgerAccount.PLATFORM_REVENUE, Decimal("1")), Line(LedgerAccount.GATEWAY_CLEARING, Decimal("-1"))]
    with transaction.atomic():
        assert ledger_post(entry_type="payment", idempotency_key="k", lines=lines) is not None
        assert ledger_post(entry_type="payment", idempotency_key="k", lines=lines) is None
    assert JournalEntry.objects.count() == 1 and LedgerEntry.objects.count() == 2


def test_ledger_rows_refuse_update_and_delete(order):
    pay(order)
    entry = LedgerEntry.objects.first()
    journal = entry.journal
    entry.amount = Decimal("1.00")
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        journal.save()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1.00"))
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        JournalEntry.objects.all().delete()


def test_audit_clean_after_full_scenario_then_fails_on_tampering(order, auth_client, admin_user, api_client,
                                                                 rsps, django_capture_on_commit_callbacks):
    from payments.tasks import release_matured_earnings

    from .factories import BankMethodFactory, mock_payout, paystack_sign, paystack_transfer_event
    from .test_earnings import wallet_of

    pay(order)
    deliver(order, days_ago=8)
    release_matured_earnings.delay().get()
    user = order.entrepreneur.user
    fund_wallet(user, Decimal("1480.00"))
    bank = BankMethodFactory(user=user)
    withdrawal = auth_client(user).post("/api/payments/withdrawals/", {"amount": "2000.00", "payment_method": bank.pk},
                                        format="json").json()
    mock_payout(rsps)
    with django_capture_on_commit_callbacks(execute=True):
        auth_client(admin_user).post(f"/api/payments/withdrawals/{withdrawal['id']}/approve/")
    body = paystack_transfer_event("transfer.success", withdrawal["reference_id"], Decimal("1950.00"))
    api_client.post("/api/payments/webhooks/paystack/", data=body, content_type="application/json",
                    HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))
    assert wallet_of(order).total_withdrawn == Decimal("2000.00")

    out = StringIO()
    call_command("audit_ledger", stdout=out)
    assert "Ledger OK" in out.getvalue()

    # Tamper below the ORM (the model refuses updates): one line of the payment journal grows by ₦1.
    line = LedgerEntry.objects.get(journal__entry_type="payment", account="platform_revenue")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {LedgerEntry._meta.db_table} SET amount = amount + 1 WHERE id = %s", [line.pk])
    err = StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("audit_ledger", stdout=StringIO(), stderr=err)
    assert f"payment:{order.order_id}" in err.getvalue() and "does not balance: sum 1.00" in err.getvalue()


def test_audit_fails_when_a_wallet_drifts_from_the_ledger(order):
    pay(order)
    Wallet.objects.filter(user=order.entrepreneur.user).update(pending_balance=Decimal("999.00"))
    problems = ledger_audit()
    assert problems == [f"wallet of user {order.entrepreneur.user_id}: pending_balance is 999.00, ledger says 520.00"]

