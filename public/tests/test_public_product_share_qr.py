import io
import xml.etree.ElementTree as ET
from decimal import Decimal
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import segno

from analytics.models import AnalyticsEvent
from products.models import ProductImage
from tests.factories import (
    EntrepreneurFactory,
    ProductFactory,
    StorefrontFactory,
    StoreProductFactory,
    VariationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    profile = EntrepreneurFactory(custom_url="ada-gadgets", business_name="Ada & Sons")
    return StorefrontFactory(entrepreneur=profile, social_links={"instagram": "ada.gadgets"})


@pytest.fixture
def item(store):
    product = ProductFactory(name="Tecno Spark 20", slug="tecno-spark-20", base_price=Decimal("80000.00"),
                             description="A phone. " * 40)
    return StoreProductFactory(storefront=store, product=product, selling_price=Decimal("95000.50"))


# --- product page ---

def test_public_product(api_client, item):
    product = item.product
    small = VariationFactory(product=product, name="64GB", price_modifier=Decimal("-500.25"))
    large = VariationFactory(product=product, name="256GB", price_modifier=Decimal("12000.00"), stock_quantity=0)
    VariationFactory(product=product, name="Retired", is_active=False)
    ProductImage.objects.create(product=product, image="products/9/side.jpg", position=0)
    ProductImage.objects.create(product=product, image="products/9/front.jpg", is_primary=True, position=5)

    response = api_client.get("/ada-gadgets/product/tecno-spark-20/?src=facebook")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"product", "entrepreneur", "purchase_link", "share_data", "pricing"}
    assert body["product"]["id"] == product.id
    assert body["product"]["price"] == "95000.50"
    assert "base_price" not in body["product"]
    assert [image["url"] for image in body["product"]["images"]] == [
        "http://testserver/media/products/9/front.jpg", "http://testserver/media/products/9/side.jpg",
    ]
    assert body["pricing"] == {
        "currency": "NGN",
        "selling_price": "95000.50",
        "variations": [
            {"id": small.id, "name": "64GB", "price": "94500.25"},
            {"id": large.id, "name": "256GB", "price": "107000.50"},
        ],
    }
    assert body["product"]["variations"][1]["in_stock"] is False
    assert body["entrepreneur"]["custom_url"] == "ada-gadgets"
    # No FRONTEND_URL (the default): the store's own HTML product page, with the visit's channel.
    assert body["purchase_link"] == "http://testserver/ada-gadgets/product/tecno-spark-20/?src=facebook"
    share = body["share_data"]
    assert share["title"] == "Tecno Spark 20 - Ada & Sons"
    assert share["url"] == "http://testserver/ada-gadgets/product/tecno-spark-20/"
    assert share["image"] == "http://testserver/media/products/9/front.jpg"
    assert len(share["description"]) == 150 and share["description"].endswith("…")
    event = AnalyticsEvent.objects.get()
    assert (event.event_type, event.product_id) == ("product_view", product.id)
    assert event.entrepreneur_id == item.storefront.entrepreneur_id
    assert event.metadata["src"] == "facebook"


def test_product_page_query_count(api_client, item, django_assert_max_num_queries):
    for _ in range(5):
        VariationFactory(product=item.product)
    with django_assert_max_num_queries(6):
        assert api_client.get("/ada-gadgets/product/tecno-spark-20/").status_code == 200


def test_product_not_in_this_store_is_404(api_client, store, item):
    other = StoreProductFactory(storefront=StorefrontFactory())
    assert api_client.get(f"/ada-gadgets/product/{other.product.slug}/").status_code == 404
    lone = ProductFactory()
    response = api_client.get(f"/ada-gadgets/product/{lone.slug}/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "error": "Product not found in this store."}
    assert not AnalyticsEvent.objects.exists()


def test_inactive_listing_or_product_is_404(api_client, item):
    item.is_active = False
    item.save()
    assert api_client.get("/ada-gadgets/product/tecno-spark-20/").status_code == 404
    item.is_active = True
    item.save()
    item.product.is_active = False
    item.product.save()
    assert api_client.get("/ada-gadgets/product/tecno-spark-20/").status_code == 404


def test_product_of_unpublished_store_is_404(api_client, item):
    item.storefront.is_published = False
    item.storefront.save()
    assert api_client.get("/ada-gadgets/product/tecno-spark-20/").status_code == 404


# --- share links ---

def _query(url):
    return parse_qs(urlsplit(url).query)


def test_storefront_share_links(api_client, store):
    response = api_client.get("/ada-gadgets/share/")
    assert response.status_code == 200
    links = response.json()
    assert set(links) >= {"whatsapp", "instagram", "facebook", "twitter", "copy_link", "qr_code"}
    text = "Shop from Ada & Sons on Payjaro! 🛍️"

    assert links["whatsapp"].startswith("https://wa.me/?text=")
    raw = links["whatsapp"][len("https://wa.me/?text="):]
    assert " " not in raw and "&" not in raw and "?" not in raw  # fully encoded, one parameter
    assert unquote(raw) == f"{text} http://testserver/ada-gadgets/?src=whatsapp"
    assert _query(links["whatsapp"]) == {"text": [f"{text} http://testserver/ada-gadgets/?src=whatsapp"]}

    assert links["facebook"].startswith("https://www.facebook.com/sharer/sharer.php?u=")
    assert _query(links["facebook"]) == {"u": ["http://testserver/ada-gadgets/?src=facebook"]}

    assert links["twitter"].startswith("https://twitter.com/intent/tweet?")
    assert _query(links["twitter"]) == {"text": [text], "url": ["http://testserver/ada-gadgets/?src=x"]}
    assert "&" not in links["twitter"].split("text=")[1].split("&url=")[0]  # the '&' of "Ada & Sons" is encoded

    assert links["instagram"]["link"] == "http://testserver/ada-gadgets/?src=instagram"
    assert links["instagram"]["handle"] == "ada.gadgets"
    assert links["instagram"]["caption"] == f"{text} http://testserver/ada-gadgets/?src=instagram"
    assert links["instagram"]["instructions"]
    assert links["copy_link"] == "http://testserver/ada-gadgets/?src=link"
    assert links["qr_code"] == "http://testserver/ada-gadgets/qr.svg"

    assert not AnalyticsEvent.objects.exists()  # a GET of the share links is not a share (SPEC §9)


def test_product_share_links(api_client, item):
    response = api_client.get(f"/ada-gadgets/share/?product_id={item.product.id}")
    assert response.status_code == 200
    links = response.json()
    url = "http://testserver/ada-gadgets/product/tecno-spark-20/"
    assert _query(links["facebook"]) == {"u": [f"{url}?src=facebook"]}
    assert _query(links["twitter"])["url"] == [f"{url}?src=x"]
    assert _query(links["twitter"])["text"] == ["Check out Tecno Spark 20 from Ada & Sons! 🛍️"]
    assert links["copy_link"] == f"{url}?src=link"
    assert links["qr_code"] == "http://testserver/ada-gadgets/qr.svg?product=tecno-spark-20"
    assert not AnalyticsEvent.objects.exists()  # reading share links is not sharing


def test_share_links_use_public_base_url(api_client, item, settings):
    settings.PUBLIC_BASE_URL = "https://payjaro.ng"
    links = api_client.get("/ada-gadgets/share/").json()
    assert links["copy_link"] == "https://payjaro.ng/ada-gadgets/?src=link"
    assert links["qr_code"] == "https://payjaro.ng/ada-gadgets/qr.svg"


def test_share_product_not_in_store_is_404(api_client, store):
    other = StoreProductFactory(storefront=StorefrontFactory())
    assert api_client.get(f"/ada-gadgets/share/?product_id={other.product.id}").status_code == 404
    assert api_client.get("/ada-gadgets/share/?product_id=999999").status_code == 404


@pytest.mark.parametrize("raw", ["abc", "99999999999999999999", "9223372036854775808", "-1", "²"])
def test_share_bad_product_id_is_400(api_client, store, raw):
    response = api_client.get(f"/ada-gadgets/share/?product_id={raw}")
    assert response.status_code == 400
    assert response.json()["details"] == {"product_id": ["A valid integer is required."]}


def test_share_unpublished_is_404(api_client, store):
    store.is_published = False
    store.save()
    assert api_client.get("/ada-gadgets/share/").status_code == 404


# --- QR codes ---

def _expected_svg(url):
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, border=2, xmldecl=True, title=f"QR code for {url.split('?')[0]}")
    return buffer.getvalue()


def test_storefront_qr_is_valid_svg_of_the_store_url(api_client, store):
    response = api_client.get("/ada-gadgets/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert int(root.get("width")) > 0
    # The code encodes exactly the store URL tagged with src=qr.
    assert response.content == _expected_svg("http://testserver/ada-gadgets/?src=qr")


def test_product_qr(api_client, item):
    response = api_client.get("/Ada-Gadgets/qr.svg?product=tecno-spark-20")
    assert response.status_code == 200
    assert response.content == _expected_svg("http://testserver/ada-gadgets/product/tecno-spark-20/?src=qr")


def test_qr_not_found(api_client, store):
    response = api_client.get("/ada-gadgets/qr.svg?product=nope")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "error": "Product not found in this store."}
    assert api_client.get("/nobody/qr.svg").status_code == 404
    store.is_published = False
    store.save()
    assert api_client.get("/ada-gadgets/qr.svg").status_code == 404
