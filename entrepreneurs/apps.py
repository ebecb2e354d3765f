from django.apps import AppConfig


class EntrepreneursConfig(AppConfig):
    name = "entrepreneurs"
    verbose_name = "Entrepreneurs"

    def ready(self):
        from core.deactivation import follow_user_deactivation

        from .models import EntrepreneurProfile

        follow_user_deactivation(EntrepreneurProfile, uid="entrepreneurs")  # a deactivated account's profile follows
