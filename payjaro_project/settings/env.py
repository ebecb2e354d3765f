"""Small helpers that read typed values from the environment."""
import os
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"The environment variable {name} is required in this environment.")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_decimal(name: str, default: str) -> Decimal:
    raw = os.environ.get(name) or default
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise ImproperlyConfigured(f"{name} must be a decimal number, not {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def postgresql_prepared_statements(database: dict) -> None:
    """PostgreSQL (psycopg 3): parameters bound by the server, and a statement a connection has run
    ``DATABASE_PREPARE_THRESHOLD`` times (default 5) prepared, so PostgreSQL plans it once per connection instead
    of on every execution (planning was two thirds of an order placement's time in PostgreSQL). ``off`` sends
    every statement unprepared: for a transaction-pooling PgBouncer that cannot keep a connection's prepared
    statements (older than 1.21, or without ``max_prepared_statements``). Other engines are left as they are."""
    if database.get("ENGINE") != "django.db.backends.postgresql":
        return
    options = database.setdefault("OPTIONS", {})
    options["server_side_binding"] = True
    options["prepare_threshold"] = env_prepare_threshold("DATABASE_PREPARE_THRESHOLD", 5)


def env_prepare_threshold(name: str, default: int) -> int | None:
    """A whole number ≥ 0 (0: prepare at first use), or "off" (never prepare: ``None``)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value == "off":
        return None
    if not (value.isascii() and value.isdigit()):
        raise ImproperlyConfigured(f"{name} must be a whole number ≥ 0 or off, not {raw!r}")
    return int(value)
