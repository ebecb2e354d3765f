"""Wallet locks and updates (issue 17 item 2): the wallets of a journal locked by one statement, in the order of
its lines, and moved by one UPDATE."""
import threading
from decimal import Decimal as D

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from payments.models import Wallet
from payments.services.wallets import wallets_add, wallets_lock
from tests.factories import EntrepreneurFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def _users():
    return EntrepreneurFactory().user, SupplierFactory().user, EntrepreneurFactory().user


def test_missing_wallets_are_created_with_their_kind_and_returned_in_order():
    entrepreneur, supplier, other = _users()
    Wallet.objects.create(user=other, kind=Wallet.Kind.ENTREPRENEUR)
    with transaction.atomic(), CaptureQueriesContext(connection) as context:
        wallets = wallets_lock([supplier.pk, entrepreneur.pk, other.pk, supplier.pk])
    statements = [q["sql"] for q in context.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 4, statements  # the lock, the missing users' types, one INSERT, the lock again
    assert list(wallets) == [supplier.pk, entrepreneur.pk, other.pk]
    assert wallets[supplier.pk].kind == Wallet.Kind.SUPPLIER
    assert wallets[entrepreneur.pk].kind == Wallet.Kind.ENTREPRENEUR
    assert Wallet.objects.count() == 3
    assert wallets_lock([]) == {}


def test_existing_wallets_are_locked_by_one_query_and_moved_by_one_update():
    entrepreneur, supplier, other = _users()
    for user, kind in ((entrepreneur, "entrepreneur"), (supplier, "supplier"), (other, "entrepreneur")):
        Wallet.objects.create(user=user, kind=kind, balance=D("10.00"), pending_balance=D("5.00"))
    with transaction.atomic(), CaptureQueriesContext(connection) as context:
        wallets = wallets_lock([entrepreneur.pk, supplier.pk])
        wallets_add({wallets[entrepreneur.pk].pk: {"pending_balance": D("520.00")},
                     wallets[supplier.pk].pk: {"pending_balance": D("1800.00"), "balance": D("-0.01")}})
    statements = [q["sql"] for q in context.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 2, statements
    figures = {w.user_id: (w.balance, w.pending_balance) for w in Wallet.objects.all()}
    assert figures == {entrepreneur.pk: (D("10.00"), D("525.00")), supplier.pk: (D("9.99"), D("1805.00")),
                       other.pk: (D("10.00"), D("5.00"))}


def test_a_wallet_without_changes_is_not_written():
    entrepreneur, _, _ = _users()
    wallet = Wallet.objects.create(user=entrepreneur, kind="entrepreneur")
    with CaptureQueriesContext(connection) as context:
        wallets_add({wallet.pk: {}})
    assert context.captured_queries == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("reverse", [False, True])
def test_the_one_statement_takes_the_locks_in_the_given_order(reverse):
    """B is held by another transaction. Locking [A, B] takes A and then waits for B (A is not free meanwhile);
    locking [B, A] waits for B before it touches A (A stays free) — the order one-row locks would take."""
    first, second, _ = _users()
    a = Wallet.objects.create(user=first, kind="entrepreneur")
    b = Wallet.objects.create(user=second, kind="supplier")
    holder = connections.create_connection("default")
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute("SELECT id FROM payments_wallet WHERE id = %s FOR UPDATE", [b.pk])
    waiting = threading.Event()

    def lock_both():
        try:
            with transaction.atomic():
                waiting.set()
                wallets_lock([second.pk, first.pk] if reverse else [first.pk, second.pk])
        finally:
            connection.close()

    thread = threading.Thread(target=lock_both)
    thread.start()
    waiting.wait(10)
    probe = connections.create_connection("default")
    try:
        a_free = None
        for _ in range(50):  # until the locker is blocked on B
            with probe.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                               "AND datname = current_database()")
                if cursor.fetchone()[0]:
                    break
            threading.Event().wait(0.05)
        probe.set_autocommit(False)
        try:
            with probe.cursor() as cursor:
                cursor.execute("SELECT id FROM payments_wallet WHERE id = %s FOR UPDATE NOWAIT", [a.pk])
            a_free = True
        except OperationalError:
            a_free = False
        probe.rollback()
        assert a_free is reverse
    finally:
        holder.rollback()
        holder.close()
        thread.join(10)
        probe.close()
    assert not thread.is_alive()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_transactions_creating_the_same_wallets_both_get_them_once():
    entrepreneur, supplier, _ = _users()
    barrier = threading.Barrier(2)
    results = []

    def create():
        try:
            with transaction.atomic():
                barrier.wait(10)
                wallets = wallets_lock([entrepreneur.pk, supplier.pk])
                results.append(sorted(wallet.pk for wallet in wallets.values()))
        except Exception as exc:  # surfaced by the assertion below
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results[0] == results[1] == sorted(Wallet.objects.values_list("pk", flat=True)), results
    assert Wallet.objects.count() == 2
