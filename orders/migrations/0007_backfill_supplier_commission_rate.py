"""Fill in Order.supplier_commission_rate for the orders placed before it was kept, then validate its check.

Outside one transaction (``atomic = False``): batches of BATCH orders by pk, each its own short UPDATEs, so order
traffic goes on while it runs. An order whose sale was booked (the ``payment:<order_id>`` journal, paid online or
cash on delivery) gets the rate that booked its supplier share — the supplier's rate of today when it gives that
share to the kobo (the usual case), else the rate that does (an admin changed the rate since) — so the supplier's
order view shows what its wallet was booked. An order not sold yet gets its supplier's rate of today: what its
payment would have used. Re-runnable: only orders still without a rate are touched."""
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations

from core.migration_operations import ValidateConstraint

BATCH = 2000
KOBO = Decimal("0.01")
HUNDRED = Decimal("100")


def _share(subtotal: Decimal, rate: Decimal) -> Decimal:
    """The supplier share of SPEC §6.5 as the code computed it: subtotal − subtotal × rate / 100, half-up."""
    return (subtotal - (subtotal * rate / HUNDRED).quantize(KOBO, ROUND_HALF_UP)).quantize(KOBO, ROUND_HALF_UP)


def rate_for(subtotal: Decimal, booked: Decimal | None, current: Decimal) -> Decimal:
    if booked is None or subtotal <= 0 or _share(subtotal, current) == booked:
        return current
    guess = ((subtotal - booked) / subtotal * HUNDRED).quantize(KOBO, ROUND_HALF_UP)
    for step in range(6):  # the guess, then its neighbours a kobo of rate apart
        for rate in (guess + step * KOBO, guess - step * KOBO):
            if Decimal(0) <= rate <= Decimal(50) and _share(subtotal, rate) == booked:
                return rate
    return min(max(guess, Decimal(0)), Decimal(50))


def backfill(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    LedgerEntry = apps.get_model("payments", "LedgerEntry")
    last = 0
    while True:
        rows = list(Order.objects.filter(pk__gt=last, supplier_commission_rate__isnull=True).order_by("pk")
                    .values_list("pk", "order_id", "subtotal", "supplier__commission_rate")[:BATCH])
        if not rows:
            return
        last = rows[-1][0]
        booked: dict[str, Decimal] = defaultdict(Decimal)
        for key, amount in LedgerEntry.objects.filter(
                journal__idempotency_key__in=[f"payment:{order_id}" for _, order_id, _, _ in rows],
                account="supplier_payable").values_list("journal__idempotency_key", "amount"):
            booked[key] += amount
        by_rate: dict[Decimal, list[int]] = defaultdict(list)
        for pk, order_id, subtotal, current in rows:
            by_rate[rate_for(subtotal, booked.get(f"payment:{order_id}"), current)].append(pk)
        for rate, pks in by_rate.items():
            Order.objects.filter(pk__in=pks, supplier_commission_rate__isnull=True).update(supplier_commission_rate=rate)


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ("orders", "0006_order_supplier_commission_rate"),
        ("payments", "0012_entrepreneur_balance_may_go_negative"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        ValidateConstraint(model_name="order", name="order_supplier_commission_rate_range"),
    ]
