"""``?search=`` on the catalog and on a supplier's product list: caps, results, cost (both databases)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.search import MAX_SEARCH_LENGTH, MAX_SEARCH_TERMS, search_terms
from tests.factories import ProductFactory, SupplierFactory, VariationFactory

from .factories import ProductImageFactory

pytestmark = pytest.mark.django_db
LIST = "/api/products/products/"
SUPPLIER_LIST = "/api/suppliers/products/"


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_search_terms_are_split_on_whitespace_and_commas_and_deduplicated():
    assert search_terms("  red, dress  red\tkano ") == ["red", "dress", "kano"]
    assert search_terms("") == [] and search_terms(None) == []


@pytest.mark.parametrize("query, code", [
    (" ".join(f"w{n}" for n in range(MAX_SEARCH_TERMS + 1)), "search_too_many_terms"),
    ("x" * (MAX_SEARCH_LENGTH + 1), "search_too_long"),
    (",".join("ab" for _ in range(MAX_SEARCH_TERMS + 1)), "search_too_many_terms"),  # counted before dedup
])
@pytest.mark.parametrize("url", [LIST, SUPPLIER_LIST])
def test_search_beyond_the_caps_is_a_400_in_the_spec_shape(url, query, code, auth_client):
    supplier = SupplierFactory()
    response = auth_client(supplier.user).get(url, {"search": query})
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"error", "code", "details"} and body["code"] == code
    assert list(body["details"]) == ["search"]


def test_search_at_the_caps_is_answered(api_client):
    product = ProductFactory(name="Alpha Beta Gamma Delta", description="epsilon zeta eta theta")
    ProductFactory(name="Alpha only")
    eight = "alpha beta gamma delta epsilon zeta eta theta"
    assert len(eight.split()) == MAX_SEARCH_TERMS
    assert ids(api_client.get(LIST, {"search": eight})) == {product.pk}
    padded = "alpha" + " " * (MAX_SEARCH_LENGTH - len("alpha"))
    assert len(padded) == MAX_SEARCH_LENGTH
    assert len(ids(api_client.get(LIST, {"search": padded}))) == 2


def test_every_term_must_match_one_of_name_description_or_sku(api_client):
    dress = ProductFactory(name="Ankara Dress", description="Lovely print from Aba", sku="ANK-001")
    bag = ProductFactory(name="Leather bag", description="Hand-made in Kano", sku="BAG-7")
    fabric = ProductFactory(name="Ankara fabric", description="Six yards", sku="FAB-3")

    assert ids(api_client.get(LIST, {"search": "ankara"})) == {dress.pk, fabric.pk}
    assert ids(api_client.get(LIST, {"search": "ANKARA lovely"})) == {dress.pk}  # name + description
    assert ids(api_client.get(LIST, {"search": "ank-001 print"})) == {dress.pk}  # sku + description
    assert ids(api_client.get(LIST, {"search": "kano,leather"})) == {bag.pk}
    assert ids(api_client.get(LIST, {"search": "ankara kano"})) == set()
    # A term matches inside one field, never across the boundary between two.
    assert ids(api_client.get(LIST, {"search": "dresslovely"})) == set()
    assert ids(api_client.get(LIST, {"search": "abaank"})) == set()


def test_like_wildcards_in_a_term_are_literal(api_client):
    percent = ProductFactory(name="Promo 50% off")
    ProductFactory(name="Promo 500 off")
    assert ids(api_client.get(LIST, {"search": "50%"})) == {percent.pk}
    assert ids(api_client.get(LIST, {"search": "o_f"})) == set()


def test_search_keeps_the_catalog_rule_and_other_filters(api_client):
    shown = ProductFactory(name="Kente cloth", stock_quantity=4)
    ProductFactory(name="Kente scarf", stock_quantity=0)
    ProductFactory(name="Kente hidden", is_active=False)
    ProductFactory(name="Kente pending", supplier=SupplierFactory(verification_status="pending"))
    assert ids(api_client.get(LIST, {"search": "kente", "in_stock": "true"})) == {shown.pk}
    assert api_client.get(LIST, {"search": "kente"}).json()["count"] == 2


def test_supplier_search_sees_only_its_own_products(auth_client):
    supplier = SupplierFactory()
    own = ProductFactory(supplier=supplier, name="Kente own", is_active=False)
    ProductFactory(name="Kente other")
    assert ids(auth_client(supplier.user).get(SUPPLIER_LIST, {"search": "kente"})) == {own.pk}


def _catalog(count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        product = ProductFactory(name=f"Woven basket {n}", description="Raffia, made in Oyo")
        VariationFactory(product=product)
        ProductImageFactory(product=product, is_primary=True, image=f"products/{n}/a.jpg")


def test_a_search_costs_a_fixed_number_of_queries(api_client):
    params = {"search": "woven raffia oyo", "page_size": 100}
    _catalog(3)
    with CaptureQueriesContext(connection) as few:
        assert api_client.get(LIST, params).json()["count"] == 3
    _catalog(30, start=3)
    with CaptureQueriesContext(connection) as many:
        assert api_client.get(LIST, {**params, "page": 1}).json()["count"] == 33
    # count, page of products (with their suppliers' names and categories), variations, images: the terms add
    # conditions, not queries.
    assert len(few.captured_queries) == len(many.captured_queries) == 4
    product_query = next(q["sql"] for q in many.captured_queries if "LIMIT" in q["sql"])
    # one LIKE per term in the window that finds the page, and again on the page's own rows (``core.pagination``)
    rows, window = product_query.upper().split("IN (SELECT", 1)
    assert window.count(" LIKE ") == 3 and rows.count(" LIKE ") == 3
