"""Render the notifications waiting in the outbox now (what the flush-notifications beat job does)."""
from django.core.management.base import BaseCommand

from notifications.outbox import notifications_pending, outbox_url
from notifications.tasks import flush_notifications


class Command(BaseCommand):
    help = "Flush the notification outbox (NOTIFICATIONS_OUTBOX_URL): render each waiting event and queue its messages."

    def handle(self, *args, **options):
        if not outbox_url():
            self.stdout.write("No notification outbox (NOTIFICATIONS_OUTBOX_URL, or a Redis broker): "
                              "each notification is published as a task.")
            return
        handed = flush_notifications()
        self.stdout.write(f"{handed} notifications handed over, {notifications_pending()} still waiting.")
