from django.core.management.base import BaseCommand

from payments.tasks import release_matured_earnings


class Command(BaseCommand):
    help = ("Release the earnings of orders delivered at least EARNINGS_RELEASE_DAYS ago from pending to available "
            "(the periodic release-matured-earnings job, run now). Safe to re-run: each order is released once.")

    def handle(self, *args, **options):
        released = release_matured_earnings()
        self.stdout.write(self.style.SUCCESS(f"Released the earnings of {released} order(s)."))
