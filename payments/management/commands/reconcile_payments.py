from django.core.management.base import BaseCommand

from payments.tasks import reconcile_pending_transactions


class Command(BaseCommand):
    help = ("Verify payments still pending after PAYMENT_RECONCILE_AFTER_MINUTES with their gateway, settle or fail "
            "them, and retry stuck refunds and payouts (the periodic reconcile-pending-transactions job, run now).")

    def handle(self, *args, **options):
        counts = reconcile_pending_transactions()
        self.stdout.write(self.style.SUCCESS(f"Reconciled: {counts}"))
