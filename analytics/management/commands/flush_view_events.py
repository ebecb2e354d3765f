"""Write the buffered storefront/product view events now (what the flush-view-events beat job does)."""
from django.core.management.base import BaseCommand

from analytics.buffer import buffer_url, view_events_flush, view_events_pending


class Command(BaseCommand):
    help = "Flush the view-event buffer (ANALYTICS_VIEW_BUFFER_URL) into the database."

    def handle(self, *args, **options):
        if not buffer_url():
            self.stdout.write("No view-event buffer configured (ANALYTICS_VIEW_BUFFER_URL): views are written directly.")
            return
        flushed = view_events_flush()
        self.stdout.write(f"{flushed} view events flushed, {view_events_pending()} still buffered.")
