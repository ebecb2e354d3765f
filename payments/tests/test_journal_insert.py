"""A journal row is one ``INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING id``
(``core.models.insert_unless_exists``, issue 17 item 2): inserted once, skipped after, and a concurrent insert of the
same key waited for (skipped if it commits, inserted if it rolls back)."""
import threading
from decimal import Decimal as D

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from core.models import insert_unless_exists
from payments.ledger import Line, ledger_post
from payments.models import JournalEntry, LedgerAccount, LedgerEntry

pytestmark = pytest.mark.django_db


def _journal(key="payment:PAY1", description="first"):
    return JournalEntry(entry_type=JournalEntry.EntryType.PAYMENT, idempotency_key=key, description=description)


def test_a_new_key_is_inserted_in_one_statement_and_the_instance_is_saved():
    journal = _journal()
    with CaptureQueriesContext(connection) as context:
        assert insert_unless_exists(journal, unique_field="idempotency_key") is True
    assert len(context.captured_queries) == 1
    assert "ON CONFLICT" in context.captured_queries[0]["sql"]
    stored = JournalEntry.objects.get()
    assert journal.pk == stored.pk and not journal._state.adding
    assert journal.created_at is not None and stored.created_at == journal.created_at
    assert (stored.entry_type, stored.idempotency_key, stored.description) == ("payment", "payment:PAY1", "first")


def test_a_key_already_there_inserts_nothing_and_leaves_the_row_as_it_was():
    first = _journal()
    assert insert_unless_exists(first, unique_field="idempotency_key")
    again = _journal(description="second")
    assert insert_unless_exists(again, unique_field="idempotency_key") is False
    assert again.pk is None and again._state.adding
    assert list(JournalEntry.objects.values_list("pk", "description")) == [(first.pk, "first")]


def test_ledger_post_of_a_posted_key_writes_no_lines():
    lines = [Line(LedgerAccount.GATEWAY_CLEARING, D("-10.00")), Line(LedgerAccount.PLATFORM_REVENUE, D("10.00"))]
    with transaction.atomic():
        journal = ledger_post(entry_type="payment", idempotency_key="payment:PAY2", lines=lines)
        assert journal is not None and journal.pk
        assert ledger_post(entry_type="payment", idempotency_key="payment:PAY2", lines=lines) is None
    assert JournalEntry.objects.count() == 1
    assert sorted(LedgerEntry.objects.values_list("journal_id", "amount")) == [(journal.pk, D("-10.00")),
                                                                             (journal.pk, D("10.00"))]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("holder_commits", [True, False])
def test_a_concurrent_insert_of_the_same_key_is_waited_for(holder_commits):
    holder = connections.create_connection("default")
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute("INSERT INTO payments_journalentry (entry_type, idempotency_key, description, created_at) "
                       "VALUES ('payment', 'payment:RACE', 'holder', now())")
    results = []

    def insert():
        try:
            results.append(insert_unless_exists(_journal("payment:RACE", "waiter"), unique_field="idempotency_key"))
        finally:
            connection.close()

    thread = threading.Thread(target=insert)
    thread.start()
    probe = connections.create_connection("default")
    try:
        waited = False
        for _ in range(100):  # until the second INSERT waits for the first transaction
            with probe.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                               "AND datname = current_database()")
                if cursor.fetchone()[0]:
                    waited = True
                    break
            threading.Event().wait(0.05)
        assert waited and results == []
    finally:
        holder.commit() if holder_commits else holder.rollback()
        holder.close()
        thread.join(10)
        probe.close()
    assert results == [not holder_commits]
    assert list(JournalEntry.objects.values_list("description", flat=True)) == (
        ["holder"] if holder_commits else ["waiter"])
