"""Migration operations of our own.

``DropPatternOpsIndexes``: on PostgreSQL Django gives every ``CharField`` with ``unique=True`` or ``db_index=True`` a
second index, ``<name>_like`` with ``varchar_pattern_ops``, which serves only ``LIKE 'prefix%'`` (``startswith``).
On a table written on every order or payment each such index is one more entry to write per insert and per
non-HOT update, for a query nobody runs (Django admin's search compiles to ``UPPER(col) LIKE UPPER('%term%')``,
which no btree answers). The operation drops them on PostgreSQL and leaves Django's model state as it is (the
column's own index or unique constraint stays); other databases have no such index. Reversible.

``AddCheckConstraintNotValid`` + ``ValidateConstraint``: a CHECK constraint added to a big table without holding
its ACCESS EXCLUSIVE lock through a scan of every row (PostgreSQL's ``NOT VALID``, validated later).
"""
from django.db import migrations
from django.db.migrations.operations.base import Operation


class _IndexesOfFields(Operation):
    """A database-only operation on some fields' indexes: the model's state is left as it is."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, fields: list[str]):
        self.model_name = model_name
        self.fields = list(fields)

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name, "fields": self.fields}

    def state_forwards(self, app_label, state):
        pass


class DropPatternOpsIndexes(_IndexesOfFields):

    def _targets(self, app_label, schema_editor, state):
        model = state.apps.get_model(app_label, self.model_name)
        for name in self.fields:
            field = model._meta.get_field(name)
            index_name = schema_editor._create_index_name(model._meta.db_table, [field.column], suffix="_like")
            yield model, field, index_name

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        for _model, _field, index_name in self._targets(app_label, schema_editor, to_state):
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index_name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        for model, field, _index_name in self._targets(app_label, schema_editor, to_state):
            sql = schema_editor._create_like_index_sql(model, field)
            if sql is not None:
                schema_editor.execute(sql)

    def describe(self):
        return f"Drop the varchar_pattern_ops (_like) indexes of {self.model_name}.{', '.join(self.fields)} on PostgreSQL"

    @property
    def migration_name_fragment(self):
        return f"drop_like_indexes_{self.model_name.lower()}"


class DropFieldIndexes(_IndexesOfFields):
    """Drop the plain one-column index Django made for each field (a foreign key's, ``db_index=True``), by Django's
    own name for it, on every database — the database half of ``db_index=False`` put in a
    ``SeparateDatabaseAndState`` beside the ``AlterField`` of the state: Django's own ``AlterField`` of a foreign
    key's ``db_index`` also drops and re-adds the foreign-key constraint, which re-checks every row of the table
    under a lock that blocks its writes. Reversible (the index is made again)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        for name in self.fields:
            column = model._meta.get_field(name).column
            index_name = schema_editor._create_index_name(model._meta.db_table, [column], suffix="")
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index_name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        for name in self.fields:
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[model._meta.get_field(name)]))

    def describe(self):
        return f"Drop the one-column indexes of {self.model_name}.{', '.join(self.fields)}"

    @property
    def migration_name_fragment(self):
        return f"drop_field_indexes_{self.model_name.lower()}"


class AddCheckConstraintNotValid(migrations.AddConstraint):
    """``AddConstraint`` of a ``CheckConstraint`` that does not read the table on PostgreSQL: added ``NOT VALID`` (a
    metadata change: new and updated rows are checked at once, the ACCESS EXCLUSIVE lock is held for no scan), to be
    validated by ``ValidateConstraint`` in a later migration (a scan under a lock that lets writes through). Other
    databases add it as ``AddConstraint`` does (SQLite rebuilds the table)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.execute(f"{self.constraint.create_sql(model, schema_editor)} NOT VALID")

    def describe(self):
        return f"Create constraint {self.constraint.name} on model {self.model_name} (NOT VALID on PostgreSQL)"


class ValidateConstraint(Operation):
    """``ALTER TABLE … VALIDATE CONSTRAINT`` on PostgreSQL (nothing elsewhere): checks the rows a ``NOT VALID``
    constraint was added over, under a SHARE UPDATE EXCLUSIVE lock (reads and writes go on). State unchanged."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, name: str):
        self.model_name = model_name
        self.name = name

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name, "name": self.name}

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(model._meta.db_table)} "
                              f"VALIDATE CONSTRAINT {schema_editor.quote_name(self.name)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass  # a validated constraint stays valid

    def describe(self):
        return f"Validate constraint {self.name} on {self.model_name} (PostgreSQL)"
