from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data behind ``make run`` (``manage.py seed_demo``): on top of every app, used by none."""

    name = "demo"
    verbose_name = "Demo data"
