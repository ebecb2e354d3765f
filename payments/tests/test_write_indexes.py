"""The tables every order and payment writes carry no index that no query uses (PostgreSQL).

Each index is one more entry written per insert and per non-HOT update (a status change is never HOT: the status is
indexed). Django adds a ``varchar_pattern_ops`` ``_like`` twin to every indexed ``CharField`` and an index to every
foreign key; core.migration_operations.DropPatternOpsIndexes drops the twins, and the foreign keys that lead a
composite index have none of their own.
"""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.migration_operations import DropPatternOpsIndexes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


def _columns(table: str) -> list[str]:
    """Each index's column list as written in its definition, e.g. ``(customer_id, created_at DESC)``."""
    return sorted(definition.split(" USING btree ", 1)[1] for definition in _indexes(table).values())


HOT_TABLES = ["orders_order", "orders_orderitem", "orders_orderstatushistory", "payments_transaction",
              "payments_earnings", "payments_journalentry", "payments_ledgerentry", "payments_webhookevent"]


@pytest.mark.parametrize("table", HOT_TABLES)
def test_no_pattern_ops_twin_on_hot_tables(table):
    assert [name for name, definition in _indexes(table).items() if "pattern_ops" in definition] == []


def test_order_indexes_pinned():
    # 19 before issue 17's index review: the three foreign keys and four _like twins went.
    assert _columns("orders_order") == sorted([
        "(id)", "(order_id)", "(status)", "(payment_status)", "(cod_phone)", "(checkout_id)", "(created_at)",
        "(reserved_until)", "(delivered_at)",
        "(customer_id, created_at DESC)", "(entrepreneur_id, created_at DESC)", "(supplier_id, created_at DESC)",
    ])


def test_payment_side_indexes_pinned():
    assert "(order_id)" not in _columns("payments_earnings")  # the (order_id, earning_type) unique index leads with it
    assert "(order_id, earning_type)" in _columns("payments_earnings")
    assert "(user_id)" not in _columns("payments_ledgerentry")  # the (user_id, account) index leads with it
    assert "(user_id, account)" in _columns("payments_ledgerentry")
    assert len(_indexes("payments_transaction")) == 10


def test_the_operation_reverses_and_leaves_state_alone():
    state = MigrationExecutor(connection).loader.project_state(("orders", "0005_fewer_write_indexes"))
    operation = DropPatternOpsIndexes("order", ["order_id", "status"])
    before = state.clone()
    operation.state_forwards("orders", state)
    assert state.models["orders", "order"].fields.keys() == before.models["orders", "order"].fields.keys()
    with connection.schema_editor() as editor:
        operation.database_backwards("orders", editor, state, state)
    twins = {definition.split(" USING btree ", 1)[1] for definition in _indexes("orders_order").values()
             if "pattern_ops" in definition}
    assert twins == {"(order_id varchar_pattern_ops)", "(status varchar_pattern_ops)"}
    with connection.schema_editor() as editor:
        operation.database_forwards("orders", editor, state, state)
    assert not any("pattern_ops" in definition for definition in _indexes("orders_order").values())


def test_the_foreign_key_indexes_go_without_touching_the_constraints():
    """Django's own AlterField of a foreign key's db_index drops and re-adds the constraint (a check of every row
    under a lock that blocks writes); the migrations drop only the indexes."""
    from io import StringIO

    from django.core.management import call_command

    for app, name in (("orders", "0005_fewer_write_indexes"), ("payments", "0009_fewer_write_indexes")):
        out = StringIO()
        call_command("sqlmigrate", app, name, stdout=out)
        assert "CONSTRAINT" not in out.getvalue()
        assert "DROP INDEX IF EXISTS" in out.getvalue()


def test_dropping_a_field_index_reverses():
    from core.migration_operations import DropFieldIndexes

    state = MigrationExecutor(connection).loader.project_state(("orders", "0004_cod"))
    operation = DropFieldIndexes("order", ["customer"])
    with connection.schema_editor() as editor:
        operation.database_backwards("orders", editor, state, state)
    assert "(customer_id)" in _columns("orders_order")
    with connection.schema_editor() as editor:
        operation.database_forwards("orders", editor, state, state)
    assert "(customer_id)" not in _columns("orders_order")
