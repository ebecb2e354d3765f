"""POST /api/analytics/track/ and /track-click/: validation, throttling, no raw IP stored."""
import json

import pytest
from django.db import models

from analytics.models import AnalyticsEvent
from analytics.services import visitor_id_for
from tests.factories import CustomerFactory, EntrepreneurFactory, ProductFactory

pytestmark = pytest.mark.django_db

TRACK = "/api/analytics/track/"
CLICK = "/api/analytics/track-click/"
IP = "203.0.113.77"
UA = "Mozilla/5.0 (Linux; Android 14) Chrome/126"


def post(client, url, body, ip=IP, **extra):
    return client.post(url, body, format="json", REMOTE_ADDR=ip, HTTP_USER_AGENT=UA, **extra)


@pytest.fixture
def shop():
    return EntrepreneurFactory(custom_url="mama-ada")


@pytest.fixture
def product():
    return ProductFactory()


def test_track_storefront_view_by_custom_url_records_hashed_visitor(api_client, shop):
    response = post(api_client, TRACK, {"event_type": "storefront_view", "custom_url": "Mama-Ada"})

    assert response.status_code == 200, response.data
    assert response.data == {"status": "success"}
    event = AnalyticsEvent.objects.get()
    assert event.event_type == "storefront_view"
    assert event.entrepreneur == shop
    assert event.product is None
    assert event.user is None
    assert len(event.visitor_id) == 64
    # The same client gets the same visitor id; another address another one.
    post(api_client, TRACK, {"event_type": "storefront_view", "entrepreneur_id": shop.pk})
    post(api_client, TRACK, {"event_type": "storefront_view", "entrepreneur_id": shop.pk}, ip="198.51.100.9")
    ids = list(AnalyticsEvent.objects.order_by("id").values_list("visitor_id", flat=True))
    assert ids[0] == ids[1] != ids[2]


def test_signed_in_visitor_is_attributed_and_a_stale_token_is_ignored(api_client, auth_client, shop):
    customer = CustomerFactory()
    body = {"event_type": "storefront_view", "entrepreneur_id": shop.pk}

    assert post(auth_client(customer), TRACK, body).status_code == 200
    assert post(api_client, TRACK, body, HTTP_AUTHORIZATION="Bearer not-a-real-token").status_code == 200

    first, second = AnalyticsEvent.objects.order_by("id")
    assert (first.user, second.user) == (customer, None)


def test_track_product_view_with_metadata(api_client, shop, product):
    body = {"event_type": "product_view", "entrepreneur_id": shop.pk, "product_id": product.pk,
            "metadata": {"src": "whatsapp", "page": 2}}
    response = post(api_client, TRACK, body)

    assert response.status_code == 200, response.data
    event = AnalyticsEvent.objects.get()
    assert (event.entrepreneur, event.product, event.metadata) == (shop, product, {"src": "whatsapp", "page": 2})


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event_type": "page_hit", "entrepreneur_id": 1}, "event_type"),
        ({"entrepreneur_id": 1}, "event_type"),
        ({"event_type": "storefront_view", "entrepreneur_id": 999999}, "entrepreneur_id"),
        ({"event_type": "storefront_view", "custom_url": "no-such-shop"}, "custom_url"),
        ({"event_type": "storefront_view", "entrepreneur_id": "abc"}, "entrepreneur_id"),
        ({"event_type": "product_view", "product_id": 999999}, "product_id"),
        ({"event_type": "storefront_view", "entrepreneur_id": 1, "metadata": ["not", "a", "dict"]}, "metadata"),
        ({"event_type": "storefront_view", "entrepreneur_id": 1, "metadata": {"blob": "x" * 2040}}, "metadata"),
        ({"event_type": "storefront_view"}, "non_field_errors"),
    ],
)
def test_track_rejects_bad_input(api_client, shop, body, field):
    if body.get("entrepreneur_id") == 1:
        body = {**body, "entrepreneur_id": shop.pk}

    response = post(api_client, TRACK, body)

    assert response.status_code == 400
    assert set(response.data) == {"error", "code", "details"}
    assert field in response.data["details"]
    assert AnalyticsEvent.objects.count() == 0


def test_product_event_needs_a_product(api_client, shop):
    response = post(api_client, TRACK, {"event_type": "product_share", "entrepreneur_id": shop.pk})

    assert response.status_code == 400
    assert response.data["details"] == {"product_id": ["Required for product_share events."]}


def test_metadata_limit_is_2kb_of_json(api_client, shop):
    # {"b":"…"} is 8 bytes of JSON around the value: 2040 characters make exactly 2048 bytes.
    ok = post(api_client, TRACK, {"event_type": "storefront_view", "entrepreneur_id": shop.pk,
                                  "metadata": {"b": "x" * 2040}})
    too_big = post(api_client, TRACK, {"event_type": "storefront_view", "entrepreneur_id": shop.pk,
                                       "metadata": {"b": "x" * 2041}})

    assert ok.status_code == 200
    assert too_big.status_code == 400
    assert too_big.data["error"].startswith("metadata: At most 2048 bytes")


def test_inactive_storefront_is_rejected(api_client):
    shop = EntrepreneurFactory(is_active=False)

    response = post(api_client, TRACK, {"event_type": "storefront_view", "entrepreneur_id": shop.pk})

    assert response.status_code == 400


def test_track_click_records_link_click_with_channel_and_url(api_client, shop, product):
    url = f"http://testserver/{shop.custom_url}/product/{product.slug}/?src=whatsapp"
    response = post(api_client, CLICK, {"custom_url": shop.custom_url, "product_id": product.pk, "src": "whatsapp",
                                        "url": url, "link_type": "product_share"})

    assert response.status_code == 200, response.data
    event = AnalyticsEvent.objects.get()
    assert event.event_type == "link_click"
    assert (event.entrepreneur, event.product) == (shop, product)
    assert event.metadata == {"channel": "whatsapp", "url": url, "link_type": "product_share"}


def test_track_click_accepts_the_guides_platform_field(api_client, shop):
    response = post(api_client, CLICK, {"entrepreneur_id": shop.pk, "platform": "twitter"})

    assert response.status_code == 200, response.data
    assert AnalyticsEvent.objects.get().metadata == {"channel": "x", "url": ""}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "myspace"}, "channel"),
        ({}, "channel"),
        ({"channel": "qr", "url": "not a url"}, "url"),
        ({"channel": "qr", "entrepreneur_id": 999999}, "entrepreneur_id"),
    ],
)
def test_track_click_rejects_bad_input(api_client, shop, body, field):
    body = {"entrepreneur_id": shop.pk, **body}

    response = post(api_client, CLICK, body)

    assert response.status_code == 400
    assert field in response.data["details"]
    assert AnalyticsEvent.objects.count() == 0


def test_no_raw_ip_is_stored_anywhere(api_client, shop, product):
    forwarded = "192.0.2.55"
    post(api_client, TRACK, {"event_type": "product_view", "entrepreneur_id": shop.pk, "product_id": product.pk,
                             "metadata": {"ip": IP, "visitor_ip": IP, "note": f"seen from {IP}", "nested": [{"x": IP}]}},
         HTTP_X_FORWARDED_FOR=forwarded)
    post(api_client, CLICK, {"entrepreneur_id": shop.pk, "channel": "link", "url": f"http://{IP}/x"})

    rows = list(AnalyticsEvent.objects.all())
    assert len(rows) == 2
    for event in rows:
        for field in event._meta.concrete_fields:
            value = getattr(event, field.attname)
            text = json.dumps(value) if isinstance(field, models.JSONField) else str(value)
            assert IP not in text, f"raw IP stored in {field.name}: {text}"
            assert forwarded not in text, f"forwarded IP stored in {field.name}: {text}"
    view = rows[-1] if rows[-1].event_type == "product_view" else rows[0]
    assert "ip" not in view.metadata and "visitor_ip" not in view.metadata
    assert view.metadata["note"] == "seen from [redacted]"


def test_visitor_id_is_a_salted_hash_of_ip_and_user_agent(rf, settings):
    request = rf.get("/", REMOTE_ADDR=IP, HTTP_USER_AGENT=UA)
    first = visitor_id_for(request)
    settings.VISITOR_ID_SALT = "another-salt"
    assert visitor_id_for(request) != first
    assert IP not in first


@pytest.mark.parametrize("num_proxies,forwarded,expected", [
    (0, "41.58.1.1", IP),  # no proxy trusted: the connection's address
    (1, "6.6.6.6, 41.58.1.1", "41.58.1.1"),  # nginx appends the client: what the client sent before it is ignored
    (2, "6.6.6.6, 41.58.1.1, 10.0.0.5", "41.58.1.1"),  # a load balancer before nginx: not the balancer's address
])
def test_the_client_address_is_the_one_the_trusted_proxies_saw(rf, settings, num_proxies, forwarded, expected):
    """analytics (visitor ids, the HTML checkout's and COD code's per-address limits, tracking) reads the client as
    the API throttles do, NUM_PROXIES hops of X-Forwarded-For trusted."""
    from core.throttling import client_address

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    assert client_address(rf.get("/", REMOTE_ADDR=IP, HTTP_X_FORWARDED_FOR=forwarded)) == expected


# --- Throttling -----------------------------------------------------------------------------------

@pytest.fixture
def tracking_rate(settings):
    """Three tracking requests per minute per client, for this test only."""
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], "tracking": "3/min"}
    settings.REST_FRAMEWORK = rest  # reloads DRF's api_settings; our throttle reads the rate per request


def test_tracking_is_throttled_per_client_with_429_and_retry_after(api_client, shop, tracking_rate):
    body = {"event_type": "storefront_view", "entrepreneur_id": shop.pk}
    statuses = [post(api_client, TRACK, body).status_code for _ in range(3)]
    limited = post(api_client, TRACK, body)

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert limited.data["error"].startswith("Request was throttled")
    assert int(limited["Retry-After"]) > 0
    assert limited.data["details"] == {"retry_after": limited["Retry-After"]}
    assert AnalyticsEvent.objects.count() == 3
    # The scope is shared by both tracking endpoints, and a forged X-Forwarded-For does not reset it.
    assert post(api_client, CLICK, {"entrepreneur_id": shop.pk, "channel": "qr"}).status_code == 429
    assert post(api_client, TRACK, body, HTTP_X_FORWARDED_FOR="10.9.8.7").status_code == 429
    # Another client still gets through.
    assert post(api_client, TRACK, body, ip="198.51.100.20").status_code == 200


def test_invalid_requests_count_towards_the_limit(api_client, shop, tracking_rate):
    for _ in range(3):
        assert post(api_client, TRACK, {"event_type": "nope"}).status_code == 400
    assert post(api_client, TRACK, {"event_type": "storefront_view", "entrepreneur_id": shop.pk}).status_code == 429
