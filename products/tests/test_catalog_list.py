"""The catalog list's cost (issue 17): fixed queries, nested serializers declared once, the compact view,
one throttle evaluation per request."""
from decimal import Decimal as D

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework import throttling

from products.models import Product
from products.selectors import catalog_compact_list, catalog_product_list
from products.serializers import CompactProductSerializer, ProductSerializer
from tests.factories import CustomerFactory, ProductFactory, VariationFactory

from .factories import ProductImageFactory

pytestmark = pytest.mark.django_db
LIST = "/api/products/products/"


def _catalog(count: int, start: int = 0) -> list[Product]:
    products = []
    for n in range(start, start + count):
        product = ProductFactory()
        VariationFactory(product=product)
        ProductImageFactory(product=product, image=f"products/{n}/b.jpg", position=1)
        ProductImageFactory(product=product, is_primary=True, image=f"products/{n}/a.jpg", position=2)
        products.append(product)
    return products


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(LIST, params)
    assert response.status_code == 200, response.content
    return len(context.captured_queries)


@pytest.mark.parametrize("view, expected", [
    ("full", 4),     # count, products (with their suppliers' names and categories), variations, images
    ("compact", 3),  # count, products, images
])
def test_a_catalog_page_costs_a_fixed_number_of_queries(api_client, view, expected):
    _catalog(3)
    assert _queries(api_client, {"view": view, "page_size": 100}) == expected
    _catalog(25, start=3)
    assert _queries(api_client, {"view": view, "page_size": 100, "page": 1}) == expected


def test_the_compact_view_is_id_name_price_thumbnail(api_client):
    (product,) = _catalog(1)
    bare = ProductFactory()
    body = api_client.get(LIST, {"view": "compact"}).json()
    assert body["count"] == 2
    assert body["results"] == [
        {"id": bare.pk, "name": bare.name, "price": "1000.00", "thumbnail": None},
        {"id": product.pk, "name": product.name, "price": "1000.00",
         "thumbnail": "http://testserver/media/products/0/a.jpg"},
    ]


def test_an_unknown_view_is_a_400(api_client):
    response = api_client.get(LIST, {"view": "tiny"})
    assert response.status_code == 400
    assert set(response.json()) == {"error", "code", "details"} and "view" in response.json()["details"]


def test_a_product_not_loaded_through_the_selector_serializes_the_same(rf):
    (product,) = _catalog(1)
    request = rf.get("/")
    prefetched = ProductSerializer(catalog_product_list().get(pk=product.pk), context={"request": request}).data
    plain = ProductSerializer(Product.objects.get(pk=product.pk), context={"request": request}).data
    assert plain == prefetched
    assert [image["url"] for image in plain["images"]] == ["http://testserver/media/products/0/b.jpg",
                                                           "http://testserver/media/products/0/a.jpg"]
    assert len(plain["variations"]) == 1


class _CountingCache:
    def __init__(self, cache):
        self.cache, self.hits = cache, 0

    def incr(self, *args, **kwargs):  # one counter hit per throttle evaluation (core.throttling.window_hit)
        self.hits += 1
        return self.cache.incr(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.cache, name)


@pytest.mark.parametrize("signed_in", [False, True])
def test_one_throttle_evaluation_per_request(api_client, auth_client, monkeypatch, signed_in):
    counting = _CountingCache(throttling.SimpleRateThrottle.cache)
    monkeypatch.setattr(throttling.SimpleRateThrottle, "cache", counting)
    client = auth_client(CustomerFactory()) if signed_in else api_client
    assert client.get(LIST).status_code == 200
    assert counting.hits == 1


def test_the_total_is_counted_once_per_catalog_version_and_filter(api_client):
    """Other pages, sizes, orderings and views of the same list reuse the count; a new filter counts."""
    _catalog(5)
    # count, products (with their suppliers' names and categories), variations, images
    assert _queries(api_client, {"page_size": 2}) == 4
    assert _queries(api_client, {"page_size": 2, "page": 2}) == 3
    assert _queries(api_client, {"page_size": 3, "ordering": "-price"}) == 3
    assert _queries(api_client, {"view": "compact", "page_size": 2, "page": 3}) == 2
    assert _queries(api_client, {"page_size": 2, "in_stock": "true"}) == 4
    body = api_client.get(LIST, {"page_size": 2, "page": 3, "_": "x"}).json()
    assert body["count"] == 5 and body["next"] is None and len(body["results"]) == 1


def test_a_catalog_change_is_counted_at_once(api_client):
    products = _catalog(3)
    assert api_client.get(LIST, {"page_size": 2}).json()["count"] == 3
    _catalog(1, start=3)
    assert api_client.get(LIST, {"page_size": 2, "page": 2}).json()["count"] == 4
    products[0].is_active = False
    products[0].save()
    body = api_client.get(LIST, {"page_size": 2, "page": 2, "_": "y"}).json()
    assert body["count"] == 3 and len(body["results"]) == 1


def test_the_list_representation_equals_the_serializer_field_by_field(api_client, rf):
    """The list's hand-built dicts (``products.serializers._product_representation``) are exactly what
    ``ProductSerializer`` makes of one product: with and without category, images, variations and weight,
    prices that need rounding out to two places, an inactive variation left out."""
    full = _catalog(1)[0]
    full.weight, full.base_price, full.suggested_markup = D("1.5"), D("1999.9"), D("12.5")
    full.save()
    VariationFactory(product=full, is_active=False, price_modifier=D("-50"), attributes={"size": "XL", "n": [1, 2]})
    bare = ProductFactory(category=None, weight=None, description="<b>bold</b> & \u20a6")
    listed = api_client.get(LIST, {"page_size": 100}).json()["results"]
    assert [item["id"] for item in listed] == [bare.pk, full.pk]
    for item in listed:
        assert item == api_client.get(f"{LIST}{item['id']}/").json()
    request = rf.get("/")
    products = list(catalog_product_list())
    assert list(ProductSerializer(products, many=True, context={"request": request}).data) == [
        ProductSerializer(product, context={"request": request}).data for product in products]
    assert listed[1]["weight"] == "1.500" and listed[1]["base_price"] == "1999.90"
    assert listed[0]["category"] is None and listed[0]["category_detail"] is None and listed[0]["images"] == []
    assert len(listed[1]["variations"]) == 1
    compact = list(catalog_compact_list())
    assert list(CompactProductSerializer(compact, many=True, context={"request": request}).data) == [
        CompactProductSerializer(product, context={"request": request}).data for product in compact]


def test_no_filter_is_built_for_a_page_that_asks_for_none(api_client, monkeypatch):
    from products.filters import CatalogFilter

    built = []
    original = CatalogFilter.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(CatalogFilter, "__init__", counting)
    _catalog(2)
    assert api_client.get(LIST, {"page": 1, "view": "compact", "_": "1"}).json()["count"] == 2
    assert built == []
    assert api_client.get(LIST, {"in_stock": "true"}).json()["count"] == 2
    assert api_client.get(LIST, {"in_stock": "maybe"}).status_code == 400
    assert api_client.get(LIST, {"ordering": "-price"}).status_code == 200
    assert len(built) == 3


def test_only_the_pages_own_rows_join_their_supplier_and_category(api_client, monkeypatch):
    """The count and the window that finds a deep page read the products alone (off the partial ordering index,
    no join PostgreSQL would have to sort whole); only the page's own rows join their supplier and category."""
    monkeypatch.setattr("core.pagination.WINDOW_FROM_OFFSET", 2)
    _catalog(5)
    with CaptureQueriesContext(connection) as context:
        assert api_client.get(LIST, {"page_size": 2, "page": 2}).status_code == 200
    sqls = [q["sql"] for q in context.captured_queries]
    count = next(sql for sql in sqls if "COUNT(" in sql)
    assert " JOIN " not in count.upper()
    page = next(sql for sql in sqls if "LIMIT" in sql and "products_product" in sql)
    rows, window = page.split("IN (SELECT", 1)
    assert " JOIN " not in window.upper()
    assert '"suppliers_supplierprofile"' in rows and '"products_category"' in rows


@pytest.mark.parametrize("params", [
    {},
    {"view": "compact"},
    {"ordering": "price"},
    {"ordering": "-name", "in_stock": "true"},
])
def test_pages_found_by_key_are_the_pages_of_the_plain_slice(api_client, params, monkeypatch):
    """A deep page's rows are found by their keys first (``core.pagination``: the offset skipped on an index):
    every page, the last partial one too, is the plain slice of the same ordered list — ties in the ordering
    included."""
    monkeypatch.setattr("core.pagination.WINDOW_FROM_OFFSET", 0)  # every page is "deep"
    products = _catalog(7)
    for i, product in enumerate(products):  # ties: several products share a timestamp and a price
        Product.objects.filter(pk=product.pk).update(created_at=products[i // 3].created_at,
                                                     base_price=D("1000.00") + i % 2, stock_quantity=i % 4)
    everything = api_client.get(LIST, {**params, "page_size": 100, "_": "all"}).json()["results"]
    assert len(everything) >= 4  # at least two pages of 3, the last one partial or full
    pages = [api_client.get(LIST, {**params, "page_size": 3, "page": n, "_": f"k{n}"}).json()
             for n in range(1, (len(everything) + 2) // 3 + 1)]
    assert [row for page in pages for row in page["results"]] == everything
    assert all(page["count"] == len(everything) for page in pages)
    assert api_client.get(LIST, {**params, "page_size": 3, "page": len(pages) + 1}).status_code == 404


def test_full_pages_are_found_by_key_and_compact_deep_ones_except_for_a_search(api_client, monkeypatch):
    """The full view's page rows (joined with supplier and category) are always read after the window has found
    them; the compact view windows only a deep page, and not a search."""
    monkeypatch.setattr("core.pagination.WINDOW_FROM_OFFSET", 2)
    _catalog(3)
    for params, windowed in (({"page_size": 2, "page": 2}, True), ({"page_size": 2, "page": 1}, True),
                             ({"page_size": 2, "page": 2, "search": "product"}, True),
                             ({"view": "compact", "page_size": 2, "page": 2}, True),
                             ({"view": "compact", "page_size": 2, "page": 1}, False),
                             ({"view": "compact", "page_size": 2, "page": 2, "search": "product"}, False)):
        with CaptureQueriesContext(connection) as context:
            assert api_client.get(LIST, params).status_code == 200
        page = next(q["sql"] for q in context.captured_queries if "LIMIT" in q["sql"] and "products_product" in q["sql"])
        assert ('"products_product"."id" IN (SELECT' in page) is windowed, (params, page)


@pytest.mark.parametrize("zone", ["Africa/Lagos", "UTC"])
def test_the_rows_timestamps_are_the_fields_own(zone):
    """The catalog rows format timestamps as DRF's DateTimeField does, in the current time zone (``Z`` for UTC)."""
    from datetime import UTC, datetime

    from django.utils import timezone

    from products.serializers import _WHEN, _when

    moment = datetime(2026, 12, 2, 13, 5, 9, 123456, tzinfo=UTC)
    with timezone.override(zone):
        assert _when(moment) == _WHEN.to_representation(moment)
        assert _when(moment).endswith("Z" if zone == "UTC" else "+01:00")
    assert _when(None) is None


def test_the_catalog_as_opened_is_read_prepared_and_equals_the_orm_page(api_client):
    """No filter, search or ordering asked for: the page comes from a read compiled once per connection and slice
    (``selectors.catalog_default_page_rows``) — the same rows, ties in the ordering included, as the ORM's page of
    ``catalog_product_list()``; anything else asked for takes the ORM's path."""
    from products import selectors

    products = _catalog(5)
    for i, product in enumerate(products):  # ties on created_at: the id decides
        Product.objects.filter(pk=product.pk).update(created_at=products[i // 2].created_at)
    for bottom, top in ((0, 2), (2, 4), (4, 5), (0, 5), (5, 5), (3, 9)):
        assert selectors.catalog_default_page_rows(bottom, top) == selectors.catalog_page_rows(
            catalog_product_list(), bottom, top)
    shapes = connections["default"].__dict__["_prepared_reads"]
    for key in [key for key in shapes if key[0] == selectors._DEFAULT_PAGE._key]:  # (compiled by earlier tests)
        del shapes[key]
    assert len(api_client.get(LIST, {"page_size": 3, "_": "b"}).json()["results"]) == 3
    assert (selectors._DEFAULT_PAGE._key, (int, 0), (int, 3)) in shapes  # the API's page came from the read
    opened = [api_client.get(LIST, {"page_size": 2, "page": n, "_": "a"}).json()["results"] for n in (1, 2, 3)]
    asked = [api_client.get(LIST, {"page_size": 2, "page": n, "ordering": "-created_at"}).json()["results"]
             for n in (1, 2, 3)]
    assert [[row["id"] for row in page] for page in opened] == [[row["id"] for row in page] for page in asked]
    assert opened[0] == api_client.get(LIST, {"page_size": 2, "in_stock": "true"}).json()["results"]


@pytest.mark.parametrize("name", [
    "products/1/a.jpg", "products/1/a b.jpg", "products/1/\u00e9t\u00e9 \u20a6.jpg", "products/1/a?b#c;d:e%20f.jpg",
    "products/1/a+b&c=d~e!f*(g)'h.jpg", "products//1/a.jpg", "products/./1/a.jpg", "products/../a.jpg",
    "/products/1/a.jpg", "products\\1\\a.jpg", "products/1/", "a", "",
])
def test_image_urls_from_the_media_prefix_equal_the_storages_own(rf, settings, name):
    from products.models import ProductImage
    from products.serializers import _RowFormat, absolute_storage_url

    settings.ALLOWED_HOSTS = ["testserver", "shop.example.com"]
    storage = ProductImage._meta.get_field("image").storage
    for request in (rf.get("/"), rf.get("/", secure=True, HTTP_HOST="shop.example.com:8443")):
        assert _RowFormat(request).image_url(name) == absolute_storage_url(request, storage, name)


@pytest.mark.parametrize("deep_from", [500, 0])
def test_the_compact_rows_equal_the_compact_serializer(api_client, rf, monkeypatch, deep_from):
    """``?view=compact`` is built from rows (``serializers.compact_rows``), through the prepared read as the
    catalog opens and the ORM otherwise, shallow or found by key: each the ``CompactProductSerializer`` of the
    products as model instances — a primary image, none marked primary (the first one), none at all."""
    monkeypatch.setattr("core.pagination.WINDOW_FROM_OFFSET", deep_from)
    _catalog(3)
    unmarked = ProductFactory()
    ProductImageFactory(product=unmarked, image="products/u/2.jpg", position=2)
    ProductImageFactory(product=unmarked, image="products/u/1.jpg", position=1)
    ProductFactory()
    request = rf.get("/")
    expected = list(CompactProductSerializer(list(catalog_compact_list()), many=True,
                                             context={"request": request}).data)
    assert [row["thumbnail"] for row in expected[:2]] == [None, "http://testserver/media/products/u/1.jpg"]
    for params in ({}, {"in_stock": "true"}, {"ordering": "-created_at"}):
        pages = [api_client.get(LIST, {**params, "view": "compact", "page_size": 2, "page": n, "_": deep_from})
                 .json()["results"] for n in (1, 2, 3)]
        assert [row for page in pages for row in page] == expected, params


def test_a_worker_answers_the_count_from_memory_under_the_requests_tokens(api_client, monkeypatch):
    """The catalog's total, once seen by this process under the catalog token the page's own cached read has just
    read, costs no cache round trip; a catalog change (a new token) asks the shared cache and the database again."""
    from core import cache as core_cache

    monkeypatch.setattr(core_cache, "_LOCAL_VALUES", {})
    asked = []
    lookup = core_cache.lookup

    def recording(key, **kwargs):
        asked.append(key.split(":")[1])
        return lookup(key, **kwargs)

    monkeypatch.setattr(core_cache, "lookup", recording)
    products = _catalog(3)
    assert api_client.get(LIST, {"page_size": 2}).json()["count"] == 3
    assert asked == ["catalog-products", "catalog-count"]
    asked.clear()
    assert _queries(api_client, {"page_size": 2, "page": 2}) == 3  # products, variations, images: no count
    assert asked == ["catalog-products"]
    asked.clear()
    products[0].is_active = False
    products[0].save()
    assert api_client.get(LIST, {"page_size": 2, "page": 1}).json()["count"] == 2
    assert asked == ["catalog-products", "catalog-count"]
