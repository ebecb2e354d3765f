"""Serving the public pages of a store from the cache (see ``core.cache`` for how entries are invalidated).

A cached page is the rendered JSON body plus the ids the analytics event needs, so a hit costs no
database read: only the event INSERT (one per GET, hit or miss).
"""
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer

from core import cache as page_cache
from social.selectors import public_storefront_get


@dataclass(frozen=True)
class StorePage:
    body: bytes
    entrepreneur_id: int
    storefront_id: int
    custom_url: str
    product_id: int | None = None


# custom_url → (entrepreneur id, storefront id) as last seen by this process: only a hint that lets a hit fetch
# the store's tokens in the same round trip as the entry. A wrong hint costs a second round trip, never a stale
# page (the entry names the scopes it must be checked against). Bounded: cleared when it grows too big.
_HINTS: dict[str, tuple[int, int]] = {}
_HINTS_MAX = 20_000


def _alias_key(custom_url: str) -> str:
    # custom_url → (entrepreneur id, storefront id): lets a miss read the store's tokens before its data.
    return page_cache.key_for("alias", custom_url)


def _scopes(entrepreneur_id: int, storefront_id: int) -> list[str]:
    return [page_cache.PUBLIC, page_cache.entrepreneur_scope(entrepreneur_id), page_cache.storefront_scope(storefront_id)]


def page_key(request, kind: str, custom_url: str, *parts) -> str:
    """Key of one public page: its kind, store, page-specific parts, the host the links are built on."""
    return page_cache.key_for(
        kind, custom_url.lower(), request.build_absolute_uri("/"), settings.PUBLIC_BASE_URL, settings.FRONTEND_URL,
        *parts,
    )


def render_json(data) -> bytes:
    return JSONRenderer().render(data)


def serve_store_page(request, *, key: str, custom_url: str, build: Callable, record: Callable[[StorePage], None],
                     render: Callable[[object], bytes] = render_json, content_type: str = "application/json",
                     respond: Callable | None = None):
    """The page from the cache when it is still current, else ``build(storefront) → (data, product_id)``.

    ``render(data)`` turns the data into the cached body (JSON by default; the HTML pages pass their
    template renderer and ``text/html``). ``respond(page)`` makes the response (default: the body as is).
    ``record(page)`` writes the analytics event in both cases. A missing store raises ``NotFound``
    from the selector (never cached).
    """
    respond = respond or (lambda page: HttpResponse(page.body, content_type=content_type))
    if not page_cache.caching_enabled():
        page = _build(custom_url, build, render)
        record(page)
        return respond(page)

    normalized = custom_url.lower()
    alias_key = _alias_key(normalized)
    hint = _HINTS.get(normalized)
    page, fetched = page_cache.lookup(key, also=[alias_key, *(_scopes(*hint) if hint else [page_cache.PUBLIC])])
    if page is None:
        alias = (fetched.get(alias_key) or {}).get("value")
        # Tokens are read before the data; without a known alias only the global one can be.
        tokens = page_cache.safe_tokens(_scopes(*alias) if alias else [page_cache.PUBLIC], known=fetched)
        page = _build(custom_url, build, render)
        ids = (page.entrepreneur_id, page.storefront_id)
        if tokens is not None and (alias is None or tuple(alias) != ids):
            # First visit (or the address changed hands): the store's own tokens are read now, just after
            # its data; the window is a few microseconds and the entry expires anyway.
            tokens = page_cache.safe_tokens(_scopes(*ids), known={page_cache.PUBLIC: tokens[page_cache.PUBLIC]})
            page_cache.store(alias_key, ids, tags={})
        if tokens is not None:
            page_cache.store(key, page, tags=tokens)
    if hint != (page.entrepreneur_id, page.storefront_id):
        if len(_HINTS) >= _HINTS_MAX:
            _HINTS.clear()
        _HINTS[normalized] = (page.entrepreneur_id, page.storefront_id)
    record(page)
    return respond(page)


def _build(custom_url: str, build: Callable, render: Callable[[object], bytes]) -> StorePage:
    storefront = public_storefront_get(custom_url=custom_url)
    data, product_id = build(storefront)
    return StorePage(
        body=render(data),
        entrepreneur_id=storefront.entrepreneur_id,
        storefront_id=storefront.pk,
        custom_url=storefront.entrepreneur.custom_url,
        product_id=product_id,
    )
