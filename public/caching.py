"""Serving the public pages of a store from the cache, and which changes make them stale.

A cached page is the rendered JSON body plus the ids the analytics event needs, so a hit costs no
database read: only the event INSERT (one per GET, hit or miss). Entries are tagged with version tokens
(``core.cache``) of three scopes:

* ``PUBLIC`` — every public storefront page (categories: their names show on product cards);
* ``entrepreneur_scope(id)`` — one entrepreneur's public profile;
* ``storefront_scope(id)`` — one storefront, its listings and the products (price, stock, images) it sells.

The model signals connected in ``PublicConfig.ready`` bump them when an entrepreneur, storefront, listing
or category is saved or deleted; product and supplier changes reach them through ``products_changed``
(``products.caching``), answered here with the storefronts that sell those products.
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer

from core import cache as page_cache
from core.prepared import PreparedRead
from products.caching import products_changed
from social.models import StoreProduct
from social.selectors import public_storefront_get

PUBLIC = "v:public"


def entrepreneur_scope(entrepreneur_id: int) -> str:
    return f"v:entrepreneur:{entrepreneur_id}"


def storefront_scope(storefront_id: int) -> str:
    return f"v:storefront:{storefront_id}"


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
    return [PUBLIC, entrepreneur_scope(entrepreneur_id), storefront_scope(storefront_id)]


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
                     respond: Callable | None = None, on_miss: Callable[[], None] | None = None):
    """The page from the cache when it is still current, else ``build(storefront) → (data, product_id)``.

    ``render(data)`` turns the data into the cached body (JSON by default; the HTML pages pass their
    template renderer and ``text/html``). ``respond(page)`` makes the response (default: the body as is).
    ``record(page)`` writes the analytics event in both cases. ``on_miss()`` runs before any page is built (the
    JSON views check their throttle there: it may raise). A missing store raises ``NotFound`` from the selector
    (never cached).
    """
    respond = respond or (lambda page: HttpResponse(page.body, content_type=content_type))
    if not page_cache.caching_enabled():
        if on_miss:
            on_miss()
        page = _build(custom_url, build, render)
        record(page)
        return respond(page)

    normalized = custom_url.lower()
    alias_key = _alias_key(normalized)
    hint = _HINTS.get(normalized)
    page, fetched = page_cache.lookup(key, also=[alias_key, *(_scopes(*hint) if hint else [PUBLIC])])
    if page is None:
        alias = (fetched.get(alias_key) or {}).get("value")
        # Tokens are read before the data; without a known alias only the global one can be.
        if on_miss:
            on_miss()
        tokens = page_cache.safe_tokens(_scopes(*alias) if alias else [PUBLIC], known=fetched)
        page = _build(custom_url, build, render)
        ids = (page.entrepreneur_id, page.storefront_id)
        if tokens is not None and (alias is None or tuple(alias) != ids):
            # First visit (or the address changed hands): the store's own tokens are read now, just after
            # its data; the window is a few microseconds and the entry expires anyway.
            tokens = page_cache.safe_tokens(_scopes(*ids), known={PUBLIC: tokens[PUBLIC]})
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


# --- Invalidation (connected from PublicConfig.ready) ----------------------------------------------

def storefront_scopes_for(*, product_ids: Iterable[int] | None = None, supplier_id: int | None = None) -> list[str]:
    """Scopes of every storefront that lists one of these products (or any product of the supplier)."""
    if supplier_id is not None:
        stores = _STORES_OF_SUPPLIER(supplier_id=supplier_id)
    else:
        ids = [pk for pk in set(product_ids or ()) if pk is not None]
        if not ids:
            return []
        stores = _STORES_SELLING(product_ids=ids)  # after every stock change: compiled once (core.prepared)
    return [storefront_scope(pk) for (pk,) in stores]


def _stores(listings):
    return listings.order_by().values_list("storefront_id").distinct()


_STORES_SELLING = PreparedRead(lambda product_ids: _stores(StoreProduct.objects.filter(product_id__in=product_ids)),
                               product_ids=list)
_STORES_OF_SUPPLIER = PreparedRead(
    lambda supplier_id: _stores(StoreProduct.objects.filter(product__supplier_id=supplier_id)), supplier_id=int)


def _on_products_changed(sender, product_ids=None, supplier_id=None, **kwargs) -> list[str]:
    return storefront_scopes_for(product_ids=product_ids, supplier_id=supplier_id)


def _on_entrepreneur(sender, instance, **kwargs) -> None:
    page_cache.bump(entrepreneur_scope(instance.pk))


def _on_storefront(sender, instance, **kwargs) -> None:
    page_cache.bump(storefront_scope(instance.pk), entrepreneur_scope(instance.entrepreneur_id))


def _on_store_product(sender, instance, **kwargs) -> None:
    page_cache.bump(storefront_scope(instance.storefront_id))


def _on_category(sender, instance, **kwargs) -> None:
    page_cache.bump(PUBLIC)


_RECEIVERS: list[tuple[str, Callable]] = [
    ("entrepreneurs.EntrepreneurProfile", _on_entrepreneur),
    ("social.EntrepreneurStorefront", _on_storefront),
    ("social.StoreProduct", _on_store_product),
    ("products.Category", _on_category),
]


def connect_invalidation() -> None:
    products_changed.connect(_on_products_changed, dispatch_uid="public.caching:products_changed", weak=False)
    for sender, receiver in _RECEIVERS:
        uid = f"public.caching:{sender}"
        post_save.connect(receiver, sender=sender, dispatch_uid=uid + ":save", weak=False)
        post_delete.connect(receiver, sender=sender, dispatch_uid=uid + ":delete", weak=False)
