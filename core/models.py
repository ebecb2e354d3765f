from django.db import DatabaseError, connections, models, router, transaction
from django.db.models.signals import post_save, pre_save


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def _insert(instances: list[models.Model], *, unique_field: str | tuple[str, ...] | None = None) -> list[tuple]:
    """One ``INSERT … VALUES (…), (…) [ON CONFLICT (<unique fields>) DO NOTHING] RETURNING <pk>`` for new rows of
    one model; the returned rows (one per row inserted). Each field's value is what ``save()`` would write
    (``pre_save``: auto_now_add stamps; ``get_db_prep_save``)."""
    model = type(instances[0])
    meta = model._meta
    alias = router.db_for_write(model, instance=instances[0])
    connection = connections[alias]
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [field.get_db_prep_save(field.pre_save(instance, add=True), connection)
              for instance in instances for field in fields]
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    columns = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    unique = (unique_field,) if isinstance(unique_field, str) else unique_field or ()
    conflict = (f" ON CONFLICT ({', '.join(quote(meta.get_field(name).column) for name in unique)}) DO NOTHING"
                if unique else "")
    # Only the model's own table and column names are in the text (quoted); every value is a parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(instances))}{conflict} RETURNING {pk}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        returned = cursor.fetchall()
    for instance in instances:
        instance._state.db = alias
    return returned


def _saved(instance: models.Model, pk) -> None:
    instance.pk = pk
    instance._state.adding = False


def insert_unless_exists(instance: models.Model, *, unique_field: str | tuple[str, ...]) -> bool:
    """Insert ``instance`` unless a row with the same ``unique_field`` exists (or the same values of the fields of
    a tuple, which must be one unique constraint): one statement,
    ``INSERT … ON CONFLICT (<fields>) DO NOTHING RETURNING <pk>`` (PostgreSQL; SQLite ≥ 3.35), in place of an
    existence check and an INSERT; in a transaction a duplicate needs no savepoint (nothing fails). Returns
    whether the row was inserted; if it was, ``instance`` is saved (its pk set). A row that a concurrent transaction
    is inserting makes the statement wait for that transaction: skipped if it commits, inserted if it
    rolls back. Sends no model signals and calls no ``save()``."""
    returned = _insert([instance], unique_field=unique_field)
    if not returned:
        return False
    _saved(instance, returned[0][0])
    return True


def insert_rows(instances: list[models.Model]) -> list[models.Model]:
    """Insert new rows of one model in one ``INSERT … RETURNING <pk>`` and set each instance's pk: what
    ``bulk_create`` does for rows with their related objects saved, without its per-call machinery (0.1 ms of
    Python per call: batching, conflict options, the returning-fields logic). For models whose ``save()`` does
    nothing of its own and that no ``pre_save``/``post_save`` receiver listens to (neither is called, as with
    ``bulk_create``). Returns ``instances``."""
    if not instances:
        return instances
    if len({type(instance) for instance in instances}) != 1:
        raise TypeError("insert_rows: rows of one model only")
    for instance in instances:
        if not instance._state.adding or instance.pk is not None:
            raise ValueError(f"insert_rows: {instance!r} is already saved")
        instance._prepare_related_fields_for_save(operation_name="insert_rows")
    returned = _insert(instances)
    # PostgreSQL and SQLite return the rows of a multi-row VALUES in its order.
    for instance, (pk,) in zip(instances, returned, strict=True):
        _saved(instance, pk)
    return instances


_UPDATE_SQL: dict[tuple, str] = {}


def save_fields(instance: models.Model, update_fields: list[str]) -> None:
    """``instance.save(update_fields=…)`` for a saved row: the same ``UPDATE <table> SET <col> = %s, … WHERE <pk> =
    %s`` with the same values (each field's ``pre_save``, so an ``auto_now`` field listed is stamped, then
    ``get_db_prep_save``), the same error when no row was updated (the transaction marked for rollback, as
    ``save()`` does) and nothing done for an empty list, without ``save()``'s per-call machinery (0.3 ms of Python
    on the bench machine). The SQL text is built once per model, fields and database. A model with a ``save()`` of
    its own or with ``pre_save``/``post_save`` receivers, or a value that is an expression (``F()``…), goes through
    ``save()`` itself, so its logic, signals and expressions behave as they always do. Only the concrete model's
    own columns (not a parent table's, not a generated column)."""
    names = list(dict.fromkeys(update_fields))
    if not names:
        return
    model = type(instance)
    concrete = model._meta.concrete_model  # a proxy's columns are its concrete model's
    meta = concrete._meta
    named = {model._meta.get_field(name) for name in names}  # FieldDoesNotExist for a name that is not a field
    if any(not field.concrete or field.primary_key or field.model is not concrete or getattr(field, "generated", False)
           for field in named):
        raise ValueError(f"save_fields: {names} must be the model's own non-primary-key, non-generated columns")
    fields = [field for field in meta.local_concrete_fields if field in named]  # in the model's order, as save()
    if instance.pk is None or instance._state.adding:
        raise ValueError(f"save_fields: {instance!r} is not saved yet")
    if model.save is not models.Model.save or pre_save.has_listeners(model) or post_save.has_listeners(model):
        instance.save(update_fields=names)
        return
    instance._prepare_related_fields_for_save(operation_name="save", fields=fields)
    raw = [field.pre_save(instance, add=False) for field in fields]
    if any(hasattr(value, "resolve_expression") for value in raw):
        instance.save(update_fields=names)
        return
    alias = router.db_for_write(model, instance=instance)
    connection = connections[alias]
    key = (concrete, tuple(field.name for field in fields), alias)
    sql = _UPDATE_SQL.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        table = quote(meta.db_table)
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
        # Only the model's own table and column names are in the text (quoted); every value is a parameter.
        sql = _UPDATE_SQL[key] = f"UPDATE {table} SET {assignments} WHERE {table}.{quote(meta.pk.column)} = %s"  # noqa: S608
    values = [field.get_db_prep_save(value, connection) for field, value in zip(fields, raw, strict=True)]
    with transaction.mark_for_rollback_on_error(using=alias):
        with connection.cursor() as cursor:
            cursor.execute(sql, [*values, meta.pk.get_db_prep_value(instance.pk, connection)])
            updated = cursor.rowcount
        if not updated:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    instance._state.db = alias
