from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save


def _on_user_saved(sender, instance, created=False, update_fields=None, raw=False, **kwargs) -> None:
    """A user account deactivated (admin, API, shell): its profile follows (``services.entrepreneur_deactivate_with_user``)."""
    if raw or created or instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    from .services import entrepreneur_deactivate_with_user

    entrepreneur_deactivate_with_user(user_id=instance.pk)


class EntrepreneursConfig(AppConfig):
    name = "entrepreneurs"
    verbose_name = "Entrepreneurs"

    def ready(self):
        post_save.connect(_on_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="entrepreneurs:user_deactivated",
                          weak=False)
