"""Order.supplier_commission_rate: the supplier's commission rate an order was priced with, fixed on the order.

Orders placed before it get their supplier's rate of the day of this migration (what the payment of an order still
unpaid would have used). What a paid order's sale booked stays what its release or reversal moves
(``payments.ledger.booked_split``), whatever the rate written here."""
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    SupplierProfile = apps.get_model("suppliers", "SupplierProfile")
    rate = SupplierProfile.objects.filter(pk=OuterRef("supplier_id")).values("commission_rate")[:1]
    Order.objects.filter(supplier_commission_rate__isnull=True).update(supplier_commission_rate=Subquery(rate))


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0005_fewer_write_indexes"),
        ("suppliers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="supplier_commission_rate",
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=5, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="order",
            name="supplier_commission_rate",
            field=models.DecimalField(decimal_places=2, editable=False, max_digits=5),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(("supplier_commission_rate__gte", 0), ("supplier_commission_rate__lte", 50)),
                name="order_supplier_commission_rate_range"),
        ),
    ]
