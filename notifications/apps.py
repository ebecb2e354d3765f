from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        # core.notifications.notify() is the entry point every app calls; this app is who delivers.
        from core.notifications import register_dispatcher
        from notifications.messages import EVENTS
        from notifications.tasks import enqueue_notification

        register_dispatcher("notifications", events=EVENTS, dispatch=enqueue_notification)
