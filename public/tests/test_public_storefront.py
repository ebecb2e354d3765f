from decimal import Decimal

import pytest

from analytics.models import AnalyticsEvent
from products.models import ProductImage
from tests.factories import (
    EntrepreneurFactory,
    ProductFactory,
    StorefrontFactory,
    StoreProductFactory,
    SupplierFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    profile = EntrepreneurFactory(custom_url="ada-gadgets", business_name="Ada Gadgets", bio="Phones & more")
    return StorefrontFactory(entrepreneur=profile, seo_title="", about_section="Welcome")


def _item(storefront, **kwargs):
    product = kwargs.pop("product", None) or ProductFactory(base_price=Decimal("1000.00"))
    return StoreProductFactory(storefront=storefront, product=product, **{"selling_price": Decimal("1500.00"), **kwargs})


def test_public_storefront(api_client, store):
    featured = _item(store, is_featured=True, position=1)
    plain = _item(store, position=2)
    ProductImage.objects.create(product=featured.product, image="products/1/p.jpg", is_primary=True)

    response = api_client.get("/ada-gadgets/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"entrepreneur", "storefront", "featured_products", "all_products", "seo"}
    assert body["entrepreneur"]["business_name"] == "Ada Gadgets"
    assert body["entrepreneur"]["url"] == "http://testserver/ada-gadgets/"
    assert "commission_rate" not in body["entrepreneur"]
    assert "total_earnings" not in body["entrepreneur"]
    assert body["storefront"]["about_section"] == "Welcome"
    assert [p["id"] for p in body["featured_products"]] == [featured.product.id]
    card = body["featured_products"][0]
    assert card["price"] == "1500.00"
    assert card["currency"] == "NGN"
    assert card["image"] == "http://testserver/media/products/1/p.jpg"
    assert card["url"] == f"http://testserver/ada-gadgets/product/{featured.product.slug}/"
    assert "base_price" not in card
    assert body["all_products"]["count"] == 2
    assert body["all_products"]["next"] is None
    assert body["all_products"]["previous"] is None
    assert [p["id"] for p in body["all_products"]["results"]] == [featured.product.id, plain.product.id]
    assert body["seo"] == {
        "title": "Ada Gadgets - Payjaro Store",
        "description": "Phones & more",
        "canonical_url": "http://testserver/ada-gadgets/",
        "og_image": None,
        "og_type": "website",
    }


def test_hides_what_shoppers_cannot_buy(api_client, store):
    visible = _item(store)
    _item(store, is_active=False)
    _item(store, product=ProductFactory(is_active=False))
    _item(store, product=ProductFactory(supplier=SupplierFactory(verification_status="pending")))
    _item(store, product=ProductFactory(supplier=SupplierFactory(is_active=False)))
    _item(StorefrontFactory())  # another store
    stale = _item(store, product=ProductFactory(base_price=Decimal("1000.00")))
    stale.product.base_price = Decimal("2000.00")  # supplier raised the price above the store's price
    stale.product.save()
    body = api_client.get("/ada-gadgets/").json()
    assert [p["id"] for p in body["all_products"]["results"]] == [visible.product.id]


def test_pagination(api_client, store):
    for position in range(5):
        _item(store, position=position)
    body = api_client.get("/ada-gadgets/?page_size=2&page=2").json()
    assert body["all_products"]["count"] == 5
    assert len(body["all_products"]["results"]) == 2
    assert body["all_products"]["next"].endswith("/ada-gadgets/?page=3&page_size=2")
    assert body["all_products"]["previous"].endswith("/ada-gadgets/?page_size=2")
    assert api_client.get("/ada-gadgets/?page=9").status_code == 404


@pytest.mark.parametrize("path", ["/ADA-GADGETS/", "/Ada-Gadgets/"])
def test_case_insensitive_lookup(api_client, store, path):
    response = api_client.get(path)
    assert response.status_code == 200
    assert response.json()["entrepreneur"]["custom_url"] == "ada-gadgets"


def test_unpublished_store_is_404(api_client):
    StorefrontFactory(entrepreneur=EntrepreneurFactory(custom_url="hidden-shop"), is_published=False)
    response = api_client.get("/hidden-shop/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "error": "Storefront not found."}


def test_inactive_entrepreneur_is_404(api_client):
    StorefrontFactory(entrepreneur=EntrepreneurFactory(custom_url="gone-shop", is_active=False))
    assert api_client.get("/gone-shop/").status_code == 404


def test_entrepreneur_without_storefront_is_404(api_client):
    EntrepreneurFactory(custom_url="no-store")
    assert api_client.get("/no-store/").status_code == 404


def test_unknown_is_404(api_client):
    response = api_client.get("/nobody-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_reserved_words_never_resolve_as_storefronts(api_client):
    # Even a row that slipped past validation (e.g. written directly to the database) is never served.
    profile = EntrepreneurFactory()
    type(profile).objects.filter(pk=profile.pk).update(custom_url="docs")
    StorefrontFactory(entrepreneur=profile)
    for path in ("/docs/", "/api/", "/media/", "/api/share/", "/docs/share/", "/docs/qr.svg"):
        assert api_client.get(path).status_code == 404, path


def test_does_not_shadow_other_routes(api_client):
    assert api_client.get("/health/").json()["database"] == "ok"
    assert api_client.get("/admin/").status_code == 302
    assert api_client.get("/api/schema.json").status_code == 200
    assert api_client.get("/favicon.ico").status_code == 404


def test_stale_token_does_not_break_public_page(api_client, store):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api_client.get("/ada-gadgets/").status_code == 200


def test_records_one_storefront_view_event(api_client, store):
    for _ in range(3):
        _item(store)
    api_client.get("/ada-gadgets/?src=whatsapp", HTTP_REFERER="https://wa.me/x", REMOTE_ADDR="10.1.2.3")
    events = list(AnalyticsEvent.objects.all())
    assert len(events) == 1
    event = events[0]
    assert event.event_type == "storefront_view"
    assert event.entrepreneur_id == store.entrepreneur_id
    assert event.product_id is None
    assert event.metadata == {"custom_url": "ada-gadgets", "src": "whatsapp", "referrer": "https://wa.me/x"}
    assert len(event.visitor_id) == 64
    assert "10.1.2.3" not in str(event.__dict__)


def test_unknown_src_is_not_recorded(api_client, store):
    api_client.get("/ada-gadgets/?src=<script>")
    assert "src" not in AnalyticsEvent.objects.get().metadata


@pytest.mark.parametrize("count", [5, 50])
def test_query_budget_is_fixed(api_client, store, count, django_assert_num_queries):
    for index in range(count):
        item = _item(store, is_featured=index % 2 == 0, position=index)
        ProductImage.objects.create(product=item.product, image=f"products/{index}/p.jpg", is_primary=True)
    # storefront + featured + featured images + count + page + page images + event insert
    with django_assert_num_queries(7):
        response = api_client.get("/ada-gadgets/")
    assert response.status_code == 200
    assert response.json()["all_products"]["count"] == count


def test_head_is_not_counted_as_a_view(api_client, store):
    assert api_client.head("/ada-gadgets/").status_code == 200
    assert not AnalyticsEvent.objects.exists()
