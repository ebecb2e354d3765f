from django.core.management.base import BaseCommand

from payments.tasks import check_payouts


class Command(BaseCommand):
    help = ("Verify withdrawals still processing or waiting for their OTP after PAYOUT_CHECK_AFTER_MINUTES with "
            "GET /transfer/verify/:reference and complete or fail them (the periodic check-payouts job, run now).")

    def handle(self, *args, **options):
        counts = check_payouts()
        self.stdout.write(self.style.SUCCESS(f"Checked payouts: {counts}"))
