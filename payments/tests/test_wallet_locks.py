"""Wallet locks and updates (issue 17 item 2): the wallets of a journal locked one by one in the order of its
lines (a missing one created first), and moved by one UPDATE."""
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
    # each missing wallet: the lock finds none, its user's type, one INSERT, the lock; the existing one: the lock
    assert len(statements) == 4 + 4 + 1, statements
    assert list(wallets) == [supplier.pk, entrepreneur.pk, other.pk]
    assert wallets[supplier.pk].kind == Wallet.Kind.SUPPLIER
    assert wallets[entrepreneur.pk].kind == Wallet.Kind.ENTREPRENEUR
    assert Wallet.objects.count() == 3
    assert wallets_lock([]) == {}


def test_existing_wallets_are_locked_one_query_each_and_moved_by_one_update():
    entrepreneur, supplier, other = _users()
    for user, kind in ((entrepreneur, "entrepreneur"), (supplier, "supplier"), (other, "entrepreneur")):
        Wallet.objects.create(user=user, kind=kind, balance=D("10.00"), pending_balance=D("5.00"))
    with transaction.atomic(), CaptureQueriesContext(connection) as context:
        wallets = wallets_lock([entrepreneur.pk, supplier.pk])
        wallets_add({wallets[entrepreneur.pk].pk: {"pending_balance": D("520.00")},
                     wallets[supplier.pk].pk: {"pending_balance": D("1800.00"), "balance": D("-0.01")}})
    statements = [q["sql"] for q in context.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 3, statements
    figures = {w.user_id: (w.balance, w.pending_balance) for w in Wallet.objects.all()}
    assert figures == {entrepreneur.pk: (D("10.00"), D("525.00")), supplier.pk: (D("9.99"), D("1805.00")),
                       other.pk: (D("10.00"), D("5.00"))}


def test_each_shape_of_move_is_compiled_once_and_every_call_moves_its_own_amounts():
    """``wallets_add`` is prepared per shape (which wallets move which fields): shapes alternate, amounts differ
    each call, and every figure ends where the sum of its deltas puts it."""
    from payments.services import wallets as wallets_module

    entrepreneur, supplier, other = _users()
    rows = [Wallet.objects.create(user=user, kind=kind) for user, kind in
            ((entrepreneur, "entrepreneur"), (supplier, "supplier"), (other, "entrepreneur"))]
    a, b, c = (row.pk for row in rows)
    wallets_module._adding.cache_clear()
    moves = [
        {a: {"pending_balance": D("1.10")}, b: {"pending_balance": D("2.20"), "total_earned": D("2.20")}},
        {c: {"balance": D("0.05")}},
        {a: {"pending_balance": D("3.00")}, b: {"pending_balance": D("0.01"), "total_earned": D("4.00")}},
        {b: {"total_earned": D("-1.00")}, a: {"balance": D("7.77"), "pending_balance": D("-4.10")}, c: {"balance": D("1")}},
        {c: {"balance": D("0.95")}},
    ]
    for move in moves:
        with transaction.atomic():
            wallets_add(move)
    assert wallets_module._adding.cache_info().currsize == 3  # three shapes among the five moves
    expected = {pk: {"balance": D("0.00"), "pending_balance": D("0.00"), "total_earned": D("0.00")} for pk in (a, b, c)}
    for move in moves:
        for pk, changes in move.items():
            for name, delta in changes.items():
                expected[pk][name] += delta
    got = {w.pk: {"balance": w.balance, "pending_balance": w.pending_balance, "total_earned": w.total_earned}
           for w in Wallet.objects.all()}
    assert got == expected
    assert expected[c]["balance"] == D("2.00") and expected[a]["pending_balance"] == D("0.00")


def test_a_wallet_without_changes_is_not_written():
    entrepreneur, _, _ = _users()
    wallet = Wallet.objects.create(user=entrepreneur, kind="entrepreneur")
    with CaptureQueriesContext(connection) as context:
        wallets_add({wallet.pk: {}})
    assert context.captured_queries == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("reverse", [False, True])
def test_the_locks_are_taken_in_the_given_order(reverse):
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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_wallet_wanted_by_two_payments_at_once_never_deadlocks():
    """E's wallet is new, S1's and S2's exist. T1 posts [E, S1], then [E, S2]; T2 posts [E, S2] in between. T2
    waits for T1's new E before it touches S2, so T1 gets S2 and both finish. (Locking all of a journal's existing
    wallets by one statement first would have T2 hold S2 while it waits for E: a deadlock.)"""
    e, s1, s2 = EntrepreneurFactory().user, SupplierFactory().user, SupplierFactory().user
    Wallet.objects.create(user=s1, kind="supplier")
    Wallet.objects.create(user=s2, kind="supplier")
    first_done, go_on, errors = threading.Event(), threading.Event(), []

    def run(steps):
        try:
            with transaction.atomic():
                for step in steps:
                    step()
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    t1 = threading.Thread(target=run, args=([lambda: wallets_lock([e.pk, s1.pk]), first_done.set,
                                             lambda: go_on.wait(10), lambda: wallets_lock([e.pk, s2.pk])],))
    t2 = threading.Thread(target=run, args=([lambda: wallets_lock([e.pk, s2.pk])],))
    t1.start()
    assert first_done.wait(10)
    t2.start()
    probe = connections.create_connection("default")
    try:
        for _ in range(100):  # until T2 waits for T1's new wallet
            with probe.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                               "AND datname = current_database()")
                if cursor.fetchone()[0]:
                    break
            threading.Event().wait(0.05)
        else:
            pytest.fail("T2 never waited for T1's new wallet")
    finally:
        probe.close()
    go_on.set()
    t1.join(30)
    t2.join(30)
    assert errors == []
    assert Wallet.objects.filter(user=e).count() == 1
