from django.apps import AppConfig


class EntrepreneursConfig(AppConfig):
    name = "entrepreneurs"
    verbose_name = "Entrepreneurs"
