from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError

from analytics.selectors import lagos_today
from analytics.services import daily_metrics_rollup


class Command(BaseCommand):
    help = "Roll up DailyMetrics for one Africa/Lagos day (default: yesterday). Re-running updates, never duplicates."

    def add_arguments(self, parser):
        parser.add_argument("--date", dest="day", help="YYYY-MM-DD (default: yesterday in Africa/Lagos)")

    def handle(self, *args, day=None, **options):
        if day:
            try:
                target = datetime.strptime(day.strip(), "%Y-%m-%d").date()
            except ValueError:
                raise CommandError(f"--date must be YYYY-MM-DD, not {day!r}") from None
        else:
            target = lagos_today() - timedelta(days=1)
        rows = daily_metrics_rollup(day=target)
        self.stdout.write(self.style.SUCCESS(f"Rolled up {rows} metrics for {target.isoformat()}."))
