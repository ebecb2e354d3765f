"""Every periodic job named in CELERY_BEAT_SCHEDULE is a task the worker knows."""
from django.conf import settings

from payjaro_project.celery import app


def test_every_beat_task_is_registered():
    app.loader.import_default_modules()  # runs autodiscovery of every installed app's tasks.py

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    missing = sorted(name for name in scheduled if name not in app.tasks)

    assert scheduled >= {
        "orders.tasks.release_expired_orders",
        "payments.tasks.reconcile_pending_transactions",
        "payments.tasks.release_matured_earnings",
        "analytics.tasks.rollup_daily_metrics",
    }
    assert missing == []


def test_notification_tasks_are_registered():
    app.loader.import_default_modules()

    names = {"notifications.tasks.send_notification", "notifications.tasks.deliver_email", "notifications.tasks.deliver_sms"}
    assert names <= set(app.tasks)
