from django.db import connections, models, router


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def insert_unless_exists(instance: models.Model, *, unique_field: str) -> bool:
    """Insert ``instance`` unless a row with the same ``unique_field`` exists: one statement,
    ``INSERT … ON CONFLICT (<field>) DO NOTHING RETURNING <pk>`` (PostgreSQL; SQLite ≥ 3.35), in place of an
    existence check and an INSERT. Returns whether the row was inserted; if it was, ``instance`` is saved (its pk
    set). A row that a concurrent transaction is inserting makes the statement wait for that transaction: skipped
    if it commits, inserted if it rolls back. Sends no model signals and calls no ``save()``."""
    model = type(instance)
    meta = model._meta
    alias = router.db_for_write(model, instance=instance)
    connection = connections[alias]
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [field.get_db_prep_save(field.pre_save(instance, add=True), connection) for field in fields]
    quote = connection.ops.quote_name
    table, key, pk = quote(meta.db_table), quote(meta.get_field(unique_field).column), quote(meta.pk.column)
    columns, placeholders = ", ".join(quote(field.column) for field in fields), ", ".join(["%s"] * len(fields))
    # Only the model's own table and column names are in the text (quoted); every value is a parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT ({key}) DO NOTHING RETURNING {pk}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    instance.pk = row[0]
    instance._state.adding = False
    instance._state.db = alias
    return True
