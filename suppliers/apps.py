from django.apps import AppConfig


class SuppliersConfig(AppConfig):
    name = "suppliers"
    verbose_name = "Suppliers"

    def ready(self):
        from core.deactivation import follow_user_deactivation

        from .models import SupplierProfile

        follow_user_deactivation(SupplierProfile, uid="suppliers")  # a deactivated account's profile follows
