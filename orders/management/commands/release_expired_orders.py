from django.core.management.base import BaseCommand

from orders.services import order_release_expired


class Command(BaseCommand):
    help = "Cancel unpaid orders past their reservation (reserved_until) and put their stock back."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="At most this many orders per run (default 500).")

    def handle(self, *args, limit, **options):
        released = order_release_expired(limit=limit)
        self.stdout.write(self.style.SUCCESS(f"Released {released} expired order(s)."))
