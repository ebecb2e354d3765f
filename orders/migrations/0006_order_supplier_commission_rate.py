"""Order.supplier_commission_rate: the supplier's commission rate an order was priced with, kept on the order.

Without reading or locking ``orders_order`` for a scan: a nullable column (a metadata change) and its range check
added NOT VALID on PostgreSQL (new rows are checked at once). The rows there are filled in by 0007, in batches
outside one long transaction, which then validates the check."""
from django.db import migrations, models

from core.migration_operations import AddCheckConstraintNotValid


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0005_fewer_write_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="supplier_commission_rate",
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=5, null=True),
        ),
        AddCheckConstraintNotValid(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(("supplier_commission_rate__isnull", True))
                | models.Q(("supplier_commission_rate__gte", 0), ("supplier_commission_rate__lte", 50)),
                name="order_supplier_commission_rate_range"),
        ),
    ]
