"""``notify(event, **ids)``: the one entry point every app calls to tell people that something happened.

core is the floor and knows no app, so it knows neither who hears an event nor how a message travels.
An app that delivers notifications registers a dispatcher for the events it handles, from its
``AppConfig.ready()`` — the ``notifications`` app does (recipients, templates, the email/SMS tasks).
Callers only name the event and the primary keys it is about.

``notify`` checks the event name (an unknown one is a programming error: ValueError), reduces model
instances to their pk and calls each dispatcher with ``transaction.on_commit``, so nothing is sent for a
transaction that rolls back, and ``robust=True``, so whatever goes wrong after the commit (a broker
outage…) is logged and never raised into the request whose change has already been committed.
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction

Dispatch = Callable[[str, dict], None]


@dataclass(frozen=True)
class Dispatcher:
    events: frozenset[str]
    dispatch: Dispatch  # dispatch(event, ids) — runs after the commit


_dispatchers: dict[str, Dispatcher] = {}


def register_dispatcher(uid: str, *, events: Iterable[str], dispatch: Dispatch) -> None:
    """Have ``dispatch(event, ids)`` called after commit for each of ``events``. Registering a ``uid`` again replaces it."""
    _dispatchers[uid] = Dispatcher(events=frozenset(events), dispatch=dispatch)


def registered_events() -> frozenset[str]:
    return frozenset().union(*(dispatcher.events for dispatcher in _dispatchers.values()))


def notify(event: str, **ids) -> None:
    """Send ``event`` to its recipients once the current transaction commits (now, outside one).

    ``ids`` are primary keys (``order_id=``, ``supplier_id=``, ``withdrawal_id=``); model instances
    are accepted and reduced to their pk.
    """
    dispatchers = [dispatcher for dispatcher in _dispatchers.values() if event in dispatcher.events]
    if not dispatchers:
        raise ValueError(f"Unknown notification event {event!r}")
    payload = {key: getattr(value, "pk", value) for key, value in ids.items()}
    for dispatcher in dispatchers:
        transaction.on_commit(lambda dispatch=dispatcher.dispatch: dispatch(event, payload), robust=True)
