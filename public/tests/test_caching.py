"""Cached public pages: what a hit costs, and that every kind of change shows at once."""
from decimal import Decimal as D

import pytest
from django.core.cache import cache

from analytics.models import AnalyticsEvent
from core import cache as page_cache
from orders.models import Order, OrderStatus
from orders.services import order_transition
from orders.tests.factories import VALID_ADDRESS, make_store
from products.caching import invalidate_products
from products.models import ProductImage
from products.services import product_update_inventory
from public import caching
from tests.factories import CategoryFactory, StoreProductFactory, SupplierFactory, VariationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return make_store(base_price=D("1000.00"), selling_price=D("1500.00"), stock_quantity=10)


def storefront(client, store, query=""):
    response = client.get(f"/{store.custom_url}/{query}")
    assert response.status_code == 200, response.content
    return response.json()


def card(body):
    (only,) = body["all_products"]["results"]
    return only


def product_page(client, store):
    response = client.get(f"/{store.custom_url}/product/{store.product.slug}/")
    assert response.status_code == 200, response.content
    return response.json()


# --- what a hit costs ------------------------------------------------------------------------------

def test_cached_storefront_costs_only_the_event_insert(api_client, store, django_assert_num_queries):
    first = api_client.get(f"/{store.custom_url}/")
    with django_assert_num_queries(1) as captured:
        second = api_client.get(f"/{store.custom_url}/")
    assert captured.captured_queries[0]["sql"].startswith('INSERT INTO "analytics_analyticsevent"')
    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == "application/json"
    # One event per request, hit or miss.
    events = AnalyticsEvent.objects.filter(event_type="storefront_view", entrepreneur=store.entrepreneur)
    assert events.count() == 2


def test_cached_product_page_and_share_links_cost_only_the_event_insert(api_client, store, django_assert_num_queries):
    product_url = f"/{store.custom_url}/product/{store.product.slug}/"
    share_url = f"/{store.custom_url}/share/?product_id={store.product.pk}"
    first_product = api_client.get(product_url)
    first_share = api_client.get(share_url)
    with django_assert_num_queries(1):
        assert api_client.get(product_url).content == first_product.content
    with django_assert_num_queries(0):  # reading the share links is not a share: no event at all
        assert api_client.get(share_url).content == first_share.content
    view = AnalyticsEvent.objects.filter(event_type="product_view").latest("id")
    assert (view.entrepreneur_id, view.product_id) == (store.entrepreneur.pk, store.product.pk)
    assert not AnalyticsEvent.objects.filter(event_type="product_share").exists()
    assert AnalyticsEvent.objects.filter(event_type="product_view").count() == 2


def test_event_metadata_is_per_request_on_a_hit(api_client, store):
    storefront(api_client, store)
    storefront(api_client, store, "?src=whatsapp")
    storefront(api_client, store, "?src=whatsapp")
    sources = [e.metadata.get("src") for e in AnalyticsEvent.objects.order_by("id")]
    assert sources == [None, "whatsapp", "whatsapp"]


def test_head_is_served_but_not_counted(api_client, store):
    storefront(api_client, store)
    assert api_client.head(f"/{store.custom_url}/").status_code == 200
    assert AnalyticsEvent.objects.count() == 1


def test_pages_are_cached_separately(api_client):
    store = make_store(products=3)
    page1 = storefront(api_client, store, "?page_size=2")
    page2 = storefront(api_client, store, "?page_size=2&page=2")
    assert len(page1["all_products"]["results"]) == 2
    assert len(page2["all_products"]["results"]) == 1
    assert page1["all_products"]["next"].endswith(f"/{store.custom_url}/?page=2&page_size=2")
    assert storefront(api_client, store, "?page_size=2") == page1


def test_tracking_parameters_do_not_leak_into_cached_links(api_client):
    store = make_store(products=3)
    body = storefront(api_client, store, "?page_size=2&fbclid=abc123&src=facebook")
    assert body["all_products"]["next"] == f"http://testserver/{store.custom_url}/?page=2&page_size=2&src=facebook"
    # Same cache entry for another fbclid: the links never carry a visitor's tracking id.
    again = storefront(api_client, store, "?page_size=2&fbclid=zzz&src=facebook")
    assert again == body
    plain = storefront(api_client, store, "?page_size=2")
    assert plain["all_products"]["next"] == f"http://testserver/{store.custom_url}/?page=2&page_size=2"


def test_unknown_store_is_a_404_every_time(api_client):
    for _ in range(2):
        response = api_client.get("/nobody-here/")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "error": "Storefront not found."}
    assert AnalyticsEvent.objects.count() == 0


def test_cache_outage_falls_back_to_the_database(api_client, store, monkeypatch):
    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("redis is down")
            return fail

    monkeypatch.setattr(page_cache, "cache", Down())
    assert card(storefront(api_client, store))["price"] == "1500.00"
    assert card(storefront(api_client, store))["price"] == "1500.00"
    assert AnalyticsEvent.objects.count() == 2


def test_caching_can_be_switched_off(api_client, store, settings, django_assert_num_queries):
    settings.PUBLIC_CACHE_SECONDS = 0
    with django_assert_num_queries(6):  # storefront, featured, count, page, images, event
        storefront(api_client, store)
    with django_assert_num_queries(6):
        storefront(api_client, store)


# --- invalidation: each kind of change shows on the next request ---------------------------------------

def test_selling_price_change_through_the_api(api_client, auth_client, store):
    assert card(storefront(api_client, store))["price"] == "1500.00"
    owner = auth_client(store.entrepreneur.user)
    response = owner.patch(f"/api/social/store-products/{store.listing.pk}/", {"selling_price": "1750.00"}, format="json")
    assert response.status_code == 200, response.content
    assert card(storefront(api_client, store))["price"] == "1750.00"
    assert product_page(api_client, store)["product"]["price"] == "1750.00"


def test_stale_cached_price_cannot_be_ordered(api_client, auth_client, store):
    """Cache the storefront, change the price: the page shows the new price, and an order that sends the
    old one is refused with 409 — order creation reads the database, never the cache."""
    assert card(storefront(api_client, store))["price"] == "1500.00"
    store.listing.selling_price = D("1600.00")
    store.listing.save()
    assert card(storefront(api_client, store))["price"] == "1600.00"

    from tests.factories import CustomerFactory

    customer = auth_client(CustomerFactory())
    body = {
        "entrepreneur_custom_url": store.custom_url,
        "items": [{"product_id": store.product.pk, "quantity": 1, "unit_price": "1500.00"}],
        "shipping_address": dict(VALID_ADDRESS),
    }
    response = customer.post("/api/orders/orders/", body, format="json")
    assert response.status_code == 409
    assert response.json()["details"]["current_price"] == "1600.00"
    assert Order.objects.count() == 0

    body["items"][0]["unit_price"] = "1600.00"
    response = customer.post("/api/orders/orders/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["items"][0]["unit_price"] == "1600.00"


def test_stock_reserved_and_restored_by_orders(api_client, auth_client, store, django_capture_on_commit_callbacks):
    """Orders change stock with UPDATE … (no signals): the service invalidates after commit."""
    assert card(storefront(api_client, store))["stock_quantity"] == 10
    from tests.factories import CustomerFactory

    buyer = CustomerFactory()
    body = {
        "entrepreneur_custom_url": store.custom_url,
        "items": [{"product_id": store.product.pk, "quantity": 3}],
        "shipping_address": dict(VALID_ADDRESS),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client(buyer).post("/api/orders/orders/", body, format="json")
    assert response.status_code == 201, response.content
    assert card(storefront(api_client, store))["stock_quantity"] == 7
    assert product_page(api_client, store)["product"]["stock_quantity"] == 7

    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=response.json()["id"], to_status=OrderStatus.CANCELLED, actor=buyer)
    assert card(storefront(api_client, store))["stock_quantity"] == 10


def test_order_stock_invalidation_waits_for_commit(api_client, auth_client, store, django_capture_on_commit_callbacks):
    storefront(api_client, store)
    from tests.factories import CustomerFactory

    body = {
        "entrepreneur_custom_url": store.custom_url,
        "items": [{"product_id": store.product.pk, "quantity": 3}],
        "shipping_address": dict(VALID_ADDRESS),
    }
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert auth_client(CustomerFactory()).post("/api/orders/orders/", body, format="json").status_code == 201
    # Nothing committed yet (the test transaction): the page is still the cached one …
    assert card(storefront(api_client, store))["stock_quantity"] == 10
    for callback in callbacks:
        callback()
    # … and the commit hook invalidates it.
    assert card(storefront(api_client, store))["stock_quantity"] == 7


def test_inventory_update(api_client, store):
    storefront(api_client, store)
    product_update_inventory(supplier=store.supplier, product_id=store.product.pk, stock_quantity=0, reason="count")
    assert card(storefront(api_client, store))["in_stock"] is False


def test_product_change(api_client, store):
    storefront(api_client, store)
    store.product.name = "Renamed phone"
    store.product.save()
    assert card(storefront(api_client, store))["name"] == "Renamed phone"


def test_product_deactivated_disappears(api_client, store):
    storefront(api_client, store)
    store.product.is_active = False
    store.product.save()
    assert storefront(api_client, store)["all_products"]["count"] == 0
    assert api_client.get(f"/{store.custom_url}/product/{store.product.slug}/").status_code == 404


def test_variation_change(api_client, store):
    variation = VariationFactory(product=store.product, price_modifier=D("100.00"))
    assert product_page(api_client, store)["pricing"]["variations"][0]["price"] == "1600.00"
    variation.price_modifier = D("250.00")
    variation.save()
    assert product_page(api_client, store)["pricing"]["variations"][0]["price"] == "1750.00"
    variation.delete()
    assert product_page(api_client, store)["pricing"]["variations"] == []


def test_image_change(api_client, store):
    assert card(storefront(api_client, store))["image"] is None
    image = ProductImage.objects.create(product=store.product, image="products/1/a.jpg", is_primary=True)
    assert card(storefront(api_client, store))["image"] == "http://testserver/media/products/1/a.jpg"
    image.delete()
    assert card(storefront(api_client, store))["image"] is None


def test_category_rename(api_client, store):
    category = CategoryFactory(name="Phones")
    store.product.category = category
    store.product.save()
    assert card(storefront(api_client, store))["category"] == "Phones"
    category.name = "Mobile phones"
    category.save()
    assert card(storefront(api_client, store))["category"] == "Mobile phones"


def test_supplier_suspended(api_client, store):
    storefront(api_client, store)
    store.supplier.verification_status = "rejected"
    store.supplier.save()
    assert storefront(api_client, store)["all_products"]["count"] == 0


def test_another_suppliers_change_keeps_the_entry(api_client, store, django_assert_num_queries):
    storefront(api_client, store)
    other = SupplierFactory()
    other.company_name = "Someone else"
    other.save()
    with django_assert_num_queries(1):
        storefront(api_client, store)


def test_entrepreneur_profile_change(api_client, store):
    storefront(api_client, store)
    store.entrepreneur.business_name = "Ada's New Name"
    store.entrepreneur.save()
    assert storefront(api_client, store)["entrepreneur"]["business_name"] == "Ada's New Name"


def test_custom_url_change(api_client, store):
    old = store.custom_url
    storefront(api_client, store)
    store.entrepreneur.custom_url = "brand-new-name"
    store.entrepreneur.save()
    assert api_client.get(f"/{old}/").status_code == 404
    assert api_client.get("/brand-new-name/").json()["entrepreneur"]["custom_url"] == "brand-new-name"


def test_custom_url_taken_over_by_another_store(api_client, store):
    old = store.custom_url
    storefront(api_client, store)
    store.entrepreneur.custom_url = "moved-away"
    store.entrepreneur.save()
    newcomer = make_store(selling_price=D("9999.00"))
    newcomer.entrepreneur.custom_url = old
    newcomer.entrepreneur.save()
    body = api_client.get(f"/{old}/").json()
    assert card(body)["price"] == "9999.00"


def test_storefront_unpublished(api_client, store):
    storefront(api_client, store)
    store.storefront.is_published = False
    store.storefront.save()
    assert api_client.get(f"/{store.custom_url}/").status_code == 404


def test_listing_removed_through_the_api(api_client, auth_client, store):
    storefront(api_client, store)
    owner = auth_client(store.entrepreneur.user)
    assert owner.delete(f"/api/social/store-products/{store.listing.pk}/").status_code == 204
    assert storefront(api_client, store)["all_products"]["count"] == 0


def test_lost_version_token_is_a_miss_not_a_resurrection(api_client, store):
    storefront(api_client, store)
    store.listing.selling_price = D("1800.00")
    store.listing.save()
    cache.delete(caching.storefront_scope(store.storefront.pk))  # e.g. evicted
    assert card(storefront(api_client, store))["price"] == "1800.00"


def test_a_hit_is_one_cache_round_trip_and_works_without_the_process_hint(api_client, store, monkeypatch):
    from public import caching

    first = storefront(api_client, store)
    calls = []
    real_get_many = cache.get_many
    monkeypatch.setattr(page_cache.cache, "get_many", lambda keys: calls.append(list(keys)) or real_get_many(keys))
    assert storefront(api_client, store) == first
    assert len(calls) == 1  # entry + alias + the store's tokens, together
    caching._HINTS.clear()  # another worker process: the store's tokens need a second round trip
    calls.clear()
    assert storefront(api_client, store) == first
    assert len(calls) == 2
    # A wrong hint (the address now belongs to someone else) is only a slower path, never a wrong page.
    caching._HINTS[store.custom_url] = (999_999, 999_999)
    assert storefront(api_client, store) == first


def test_invalidate_products_bumps_only_the_stores_selling_them():
    sold = StoreProductFactory()
    other = StoreProductFactory()
    scopes = [caching.storefront_scope(sold.storefront_id), caching.storefront_scope(other.storefront_id)]
    before = page_cache.current_tokens(scopes)
    invalidate_products([sold.product_id])
    after = page_cache.current_tokens(scopes)
    assert after[scopes[0]] != before[scopes[0]]
    assert after[scopes[1]] == before[scopes[1]]


# --- throttling: where a page costs work --------------------------------------------------------------

def test_json_pages_are_throttled_on_misses_not_on_hits(api_client, store, monkeypatch):
    """Cache hits (one Redis read, as the unthrottled HTML of the same URL) are not counted; every page built
    (a miss, an unknown store) is, and over the anonymous rate a miss is a 429 in the error shape."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "3/min")
    for _ in range(10):  # one miss, then hits
        assert api_client.get(f"/{store.custom_url}/").status_code == 200
    assert api_client.get(f"/{store.custom_url}/product/{store.product.slug}/").status_code == 200  # miss 2
    assert api_client.get("/no-such-store/").status_code == 404  # never cached: miss 3
    response = api_client.get(f"/{store.custom_url}/?page_size=5")  # a page not built yet: miss 4
    assert response.status_code == 429
    assert response.json()["code"] == "throttled" and "retry_after" in response.json()["details"]
    assert api_client.get("/no-such-store/").status_code == 429
    # What is cached is still served.
    assert api_client.get(f"/{store.custom_url}/").status_code == 200
    assert api_client.get(f"/{store.custom_url}/product/{store.product.slug}/").status_code == 200
