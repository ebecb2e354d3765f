"""What orders tells the apps above it, without importing them.

Apps that must react to an order's status change register a hook here (payments does, in its
``AppConfig.ready()``): ``register_transition_hook(fn)``; ``order_transition`` then calls
``fn(order=…, previous_status=…, new_status=…, actor=…)`` for every change, in registration order.

Why an explicit registry and not a Django signal sent on commit: the listener moves money. When a paid
order is cancelled, its earnings reversal and its refund must commit together with the status change,
under the same order row lock, or not at all — a hook that raises rolls the whole transition back. A
signal fired after commit would leave a window (a crash, a failing receiver) where the order is
cancelled but its money is still booked as earned, and a receiver's error could not refuse the move.
A registry also says plainly who listens (``registered_transition_hooks()``), where ``Signal.connect``
from anywhere does not. Side effects that may lag (notifications, refunds at the gateway) are still
scheduled by the listeners with ``transaction.on_commit``.
"""
from collections.abc import Callable

TransitionHook = Callable[..., None]

_transition_hooks: list[TransitionHook] = []


def register_transition_hook(hook: TransitionHook) -> None:
    """Add ``hook`` once (registering the same function again is a no-op, as ``ready()`` may rerun)."""
    if hook not in _transition_hooks:
        _transition_hooks.append(hook)


def registered_transition_hooks() -> tuple[TransitionHook, ...]:
    return tuple(_transition_hooks)


def run_transition_hooks(*, order, previous_status: str, new_status: str, actor) -> None:
    """Called by ``order_transition`` inside its transaction, after the new status and history are saved."""
    for hook in tuple(_transition_hooks):
        hook(order=order, previous_status=previous_status, new_status=new_status, actor=actor)
