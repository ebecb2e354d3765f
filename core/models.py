from django.db import connections, models, router


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def _insert(instances: list[models.Model], *, unique_field: str | None = None) -> list[tuple]:
    """One ``INSERT … VALUES (…), (…) [ON CONFLICT (<unique_field>) DO NOTHING] RETURNING <pk>`` for new rows of
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
    conflict = f" ON CONFLICT ({quote(meta.get_field(unique_field).column)}) DO NOTHING" if unique_field else ""
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


def insert_unless_exists(instance: models.Model, *, unique_field: str) -> bool:
    """Insert ``instance`` unless a row with the same ``unique_field`` exists: one statement,
    ``INSERT … ON CONFLICT (<field>) DO NOTHING RETURNING <pk>`` (PostgreSQL; SQLite ≥ 3.35), in place of an
    existence check and an INSERT. Returns whether the row was inserted; if it was, ``instance`` is saved (its pk
    set). A row that a concurrent transaction is inserting makes the statement wait for that transaction: skipped
    if it commits, inserted if it rolls back. Sends no model signals and calls no ``save()``."""
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
