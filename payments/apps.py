from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self):
        # Payments listens to orders; orders never imports payments (see orders.hooks).
        from orders.hooks import register_transition_hook

        from .hooks import on_order_transition

        register_transition_hook(on_order_transition)
