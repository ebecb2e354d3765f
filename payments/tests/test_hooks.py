"""Payments reacts to orders through the registry orders owns (orders never imports payments)."""
from orders import hooks
from payments.hooks import on_order_transition


def test_payments_listens_to_orders_through_the_registry():
    assert on_order_transition in hooks.registered_transition_hooks()
