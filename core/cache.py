"""Cache primitives for reads that many people make: version tokens, tagged entries, cached DRF reads.

Invalidation is by *version tokens*, not by deleting keys. A *scope* is a name for some data (the apps
name theirs: ``products.caching`` the catalog, ``public.caching`` each storefront). Every cached entry is
tagged with the token of each scope it was built from; a change to the data gives those scopes a new
random token (``bump``), so the entry no longer matches and is rebuilt from the database on the next read.

Tokens are read *before* the data is read from the database and bumped both when the write happens
and again after it commits (``transaction.on_commit``), so a reader racing a writer can only ever
store an entry under a token that is already stale. A lost token (eviction, Redis flush) is replaced
by a new random one, which misses: nothing can resurrect an old entry. Entries also expire after
``PUBLIC_CACHE_SECONDS`` (default 300) as a last resort. A cache outage degrades to database reads.

Which change bumps which scope is not decided here (core knows no app): each app that caches a read
connects the signals of the models that read shows, next to that read (``products/caching.py``,
``public/caching.py``).
"""
import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer

logger = logging.getLogger(__name__)

def cache_timeout() -> int:
    return int(getattr(settings, "PUBLIC_CACHE_SECONDS", 300))


def caching_enabled() -> bool:
    return cache_timeout() > 0


def _new_token() -> str:
    return secrets.token_hex(8)


# --- Reading ----------------------------------------------------------------------------------------

def current_tokens(scopes: Iterable[str], *, known: dict | None = None) -> dict[str, str]:
    """The current token of every scope (``known`` = tokens already fetched), creating missing ones."""
    scopes = list(dict.fromkeys(scopes))
    tokens = {scope: known[scope] for scope in scopes if known and known.get(scope)}
    wanted = [scope for scope in scopes if scope not in tokens]
    if wanted:
        tokens.update(cache.get_many(wanted))
    for scope in scopes:
        if scope not in tokens:
            token = _new_token()
            # add() so that two first readers agree on one token; the loser reads the winner's.
            if not cache.add(scope, token, timeout=None):
                token = cache.get(scope) or token
            tokens[scope] = token
    return tokens


def lookup(key: str, *, also: Iterable[str] = ()) -> tuple[Any | None, dict]:
    """``(value, fetched)``: the value cached under ``key`` if all its tokens are current, else ``None``.

    ``also`` are further keys (global scopes, aliases) fetched in the same round trip and returned in
    ``fetched`` for the caller. A hit costs at most two cache round trips and no database query.
    A cache that is down is a miss, never an error.
    """
    try:
        fetched = cache.get_many([key, *also])
        entry = fetched.get(key)
        if entry is None:
            return None, fetched
        tags = entry["tags"]
        missing = [scope for scope in tags if scope not in fetched]
        if missing:
            fetched.update(cache.get_many(missing))
        if all(fetched.get(scope) == token for scope, token in tags.items()):
            return entry["value"], fetched
        return None, fetched
    except Exception:  # noqa: BLE001 — a cache outage degrades to database reads; logged, never a 500
        logger.exception("cache lookup failed for %s", key)
        return None, {}


def store(key: str, value: Any, *, tags: dict[str, str]) -> None:
    """Cache ``value`` under ``key``, tagged with the tokens read before its data was read."""
    try:
        cache.set(key, {"tags": dict(tags), "value": value}, cache_timeout())
    except Exception:  # noqa: BLE001 — a cache outage must not fail the request that could not be cached
        logger.exception("cache store failed for %s", key)


def safe_tokens(scopes: Iterable[str], *, known: dict | None = None) -> dict[str, str] | None:
    """``current_tokens`` that answers ``None`` (do not cache) when the cache is down."""
    try:
        return current_tokens(scopes, known=known)
    except Exception:  # noqa: BLE001 — see lookup()
        logger.exception("cache token read failed")
        return None


def key_for(*parts: Any) -> str:
    """A short cache key from request-derived parts (hashed: hosts and queries can be long)."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:32]
    return f"c:{parts[0]}:{digest}"


# --- Invalidation -----------------------------------------------------------------------------------

def redis_client(backend=None):
    """The raw Redis client (for writes) behind a django-redis cache; ``None`` for any other cache backend."""
    client = getattr(cache if backend is None else backend, "client", None)
    return client.get_client(write=True) if hasattr(client, "get_client") else None


def _set_new_tokens(scopes: list[str]) -> None:
    tokens = {scope: _new_token() for scope in scopes}
    try:
        redis = redis_client()
        if redis is not None:
            # One MSET of what ``set_many(timeout=None)`` writes (each key's value, no expiry) — set_many pipelines
            # a SET per key, and a stock change bumps the catalog and every storefront selling the product.
            redis.mset({cache.make_key(scope): cache.client.encode(token) for scope, token in tokens.items()})
        else:
            cache.set_many(tokens, timeout=None)
    except Exception:  # noqa: BLE001 — the entries still expire after cache_timeout()
        logger.exception("cache invalidation failed for %s", scopes)


def bump(*scopes: str) -> None:
    """Give the scopes new tokens now and again once the current transaction commits."""
    scopes_list = [scope for scope in dict.fromkeys(scopes) if scope]
    if not scopes_list:
        return
    _set_new_tokens(scopes_list)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _set_new_tokens(scopes_list), robust=True)


# Values of ``cached_value`` this process has seen, keyed by (key, the tokens they were built under), with the time
# they expire as the shared entry does (``cache_timeout()``: the last resort should a bump be lost). An entry is only
# ever found with the tokens a request has just read, so it is as fresh as the shared entry it mirrors; a bump
# leaves it unreachable (and the dict is emptied when full, so unreachable entries do not pile up).
_LOCAL_VALUES: dict[tuple, tuple[Any, float]] = {}
_LOCAL_VALUES_MAX = 1024


def cached_value(*, name: str, scopes: Iterable[str], parts: Iterable[Any], compute: Callable[[], Any],
                 known: dict[str, str] | None = None) -> Any:
    """``compute()`` cached under ``name`` + ``parts`` until one of ``scopes`` changes (a pickleable value
    that is never ``None``). A hit is one cache round trip; a cache that is down computes every time.

    ``known``: the scopes' tokens this request has already read (``request_tokens``). With every scope's token
    known, a value this process has seen under those very tokens (and not longer ago than the shared entry lives)
    is answered from process memory, with no round trip. Only for immutable values (a count): the same object is
    handed to every such caller."""
    if not caching_enabled():
        return compute()
    scopes = tuple(scopes)
    key = key_for(name, *parts)
    local = None
    if known and all(known.get(scope) for scope in scopes):
        local = (key, *(known[scope] for scope in scopes))
        remembered = _LOCAL_VALUES.get(local)
        if remembered is not None and remembered[1] > time.monotonic():
            return remembered[0]
    value, fetched = lookup(key, also=scopes)
    if value is None:
        tokens = safe_tokens(scopes, known=fetched)
        value = compute()
        if tokens is not None:
            store(key, value, tags=tokens)
    else:
        tokens = {scope: fetched.get(scope) for scope in scopes}  # the entry's tags: lookup checked them
    if local is not None and tokens is not None:
        built_under = (key, *(tokens[scope] for scope in scopes))
        if built_under == local:  # else the scopes moved since the request read them: remember nothing
            if len(_LOCAL_VALUES) >= _LOCAL_VALUES_MAX:
                _LOCAL_VALUES.clear()
            _LOCAL_VALUES[local] = (value, time.monotonic() + cache_timeout())
    return value


_REQUEST_TOKENS = "_payjaro_cache_tokens"


def request_tokens(request) -> dict[str, str] | None:
    """The cache tokens ``cached_api_read`` read for this request before its data was read (None when it read
    none: not a cached read, caching off, the cache down)."""
    return getattr(request, _REQUEST_TOKENS, None)


# --- Caching a DRF read ----------------------------------------------------------------------------

def cached_api_read(*, name: str, scopes: Iterable[str], skip: Callable | None = None):
    """Cache a DRF view method's 200 JSON response per full URL (path + sorted query) and host.

    Only ``GET`` with the JSON renderer is cached; ``skip(view, request)`` true bypasses the cache
    (e.g. admins, who see more). The body is cached rendered, so a hit costs no database query.
    """
    scopes = tuple(scopes)

    def decorator(method):
        @wraps(method)
        def wrapper(view, request, *args, **kwargs):
            renderer = getattr(request, "accepted_renderer", None)
            if (request.method != "GET" or not caching_enabled() or getattr(renderer, "format", "") != "json"
                    or (skip is not None and skip(view, request))):
                return method(view, request, *args, **kwargs)
            query = sorted(request.query_params.lists())
            key = key_for(name, request.build_absolute_uri(request.path), query)
            body, fetched = lookup(key, also=scopes)
            if body is not None:
                return HttpResponse(body, content_type="application/json")
            tokens = safe_tokens(scopes, known=fetched)
            setattr(request, _REQUEST_TOKENS, tokens)
            response = method(view, request, *args, **kwargs)
            if response.status_code == 200 and tokens is not None:
                body = JSONRenderer().render(response.data)
                store(key, body, tags=tokens)
                return HttpResponse(body, content_type="application/json")
            return response

        return wrapper

    return decorator
