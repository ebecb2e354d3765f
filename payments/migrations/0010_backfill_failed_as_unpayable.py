"""Attempts failed in the 72 hours before the late-success checks existed, while the gateway had not said "failed"
(still pending when their order stopped being payable, or the gateway refusing to tell): marked ``failed_as`` so
that reconciliation verifies them again like the ones failed from now on (payments.services.charges)."""
from datetime import timedelta

from django.db import migrations
from django.utils import timezone

# The gateways' own final failure words (Paystack failed/reversed, Flutterwave failed/cancelled, the sandbox's
# "fail" button): an attempt the gateway itself failed is not checked again.
GATEWAY_FAILED = {"failed", "reversed", "cancelled", "fail"}
WINDOW = timedelta(hours=72)  # settings.PAYMENT_LATE_SUCCESS_HOURS' default, as of this migration


def mark(apps, schema_editor):
    Transaction = apps.get_model("payments", "Transaction")
    recent = (Transaction.objects.filter(status="failed", transaction_type="payment", flagged=False,
                                         created_at__gte=timezone.now() - WINDOW)
              .only("pk", "metadata").order_by("pk"))
    for txn in recent.iterator(chunk_size=2000):
        metadata = txn.metadata if isinstance(txn.metadata, dict) else {}
        if ("failed_as" in metadata or "initialize_error" in metadata
                or str(metadata.get("gateway_status") or "") in GATEWAY_FAILED):
            continue
        Transaction.objects.filter(pk=txn.pk).update(metadata={**metadata, "failed_as": "unpayable"})


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0009_fewer_write_indexes"),
    ]

    operations = [
        migrations.RunPython(mark, migrations.RunPython.noop),
    ]
