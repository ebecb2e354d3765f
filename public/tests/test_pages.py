"""The shopper's HTML pages (SPEC §9): content negotiation, pages, escaping, caching, query counts."""
import io
import re
from decimal import Decimal as D

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image

from analytics.models import AnalyticsEvent
from orders.tests.factories import make_store
from products.models import ProductImage
from public.templatetags.shop import naira
from tests.factories import CategoryFactory, VariationFactory

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
PHONE_UA = ("Mozilla/5.0 (Linux; Android 10; TECNO KE5) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36")


@pytest.fixture
def store():
    return make_store(products=2, base_price=D("1000.00"), selling_price=D("16300.00"), stock_quantity=10)


@pytest.fixture
def browser():
    return Client(HTTP_ACCEPT=BROWSER_ACCEPT, HTTP_USER_AGENT=PHONE_UA)


def stored_jpeg(name: str, size=(900, 700), colour=(200, 40, 40)) -> str:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return default_storage.save(name, ContentFile(out.getvalue()))


def html(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/html; charset=utf-8"
    return response.content.decode()


def meta(page: str, prop: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)">', page)
    assert match, f"no {prop} in the page"
    return match.group(1)


# --- content negotiation -----------------------------------------------------------------------

@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "*/*", None, "text/html", "application/json;q=0.5, text/html",
                                    "application/json, text/html", "text/*", "garbage"])
@pytest.mark.parametrize("path", ["", "product/{slug}/"])
def test_html_for_browsers_bots_star_and_no_accept(store, accept, path):
    client = Client(**({"HTTP_ACCEPT": accept} if accept is not None else {}))
    response = client.get(f"/{store.custom_url}/" + path.format(slug=store.product.slug))
    page = html(response)
    assert page.startswith("<!doctype html>")
    assert "Accept" in response["Vary"]


@pytest.mark.parametrize("accept", ["application/json", "application/json, text/html;q=0.9",
                                    "application/json, */*;q=0.1"])
@pytest.mark.parametrize("path", ["", "product/{slug}/"])
def test_json_when_preferred(store, accept, path):
    url = f"/{store.custom_url}/" + path.format(slug=store.product.slug)
    response = Client(HTTP_ACCEPT=accept).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "Accept" in response["Vary"]
    same = Client(HTTP_ACCEPT=BROWSER_ACCEPT).get(url + "?format=json")
    assert same["Content-Type"] == "application/json"
    assert same.json() == response.json()
    assert "Accept" in same["Vary"]


def test_json_body_is_the_api_contract(store, api_client):
    body = Client().get(f"/{store.custom_url}/?format=json").json()
    assert set(body) == {"entrepreneur", "storefront", "featured_products", "all_products", "seo"}
    assert body == api_client.get(f"/{store.custom_url}/").json()


def test_format_html_wins_over_a_json_accept(store):
    response = Client(HTTP_ACCEPT="application/json").get(f"/{store.custom_url}/?format=html")
    html(response)


# --- pages -------------------------------------------------------------------------------------

def test_storefront_page(store, browser):
    store.listings[0].is_featured = True
    store.listings[0].save()
    sold_out = store.listings[1].product
    sold_out.stock_quantity = 0
    sold_out.save()
    page = html(browser.get(f"/{store.custom_url}/"))
    assert f"<h1>{store.entrepreneur.business_name}</h1>" in page
    assert "₦16,300.00" in page
    assert page.index("Featured") < page.index(store.listings[1].product.name)
    assert "Sold out" in page
    assert f'href="http://testserver/{store.custom_url}/product/{store.product.slug}/"' in page
    assert f'href="http://testserver/{store.custom_url}/cart/"' in page


@pytest.mark.parametrize("path", ["/{store}/", "/{store}/product/{slug}/"])
def test_a_page_that_sets_the_session_cookie_is_never_publicly_cacheable(store, browser, path):
    """A share link's ``?src=`` is kept in the visitor's session: that response carries its session cookie, so it is
    ``private`` — a shared cache in front would otherwise hand that one session (its cart) to every later visitor.
    The same page without anything to remember stays ``public``, with no cookie."""
    url = path.format(store=store.custom_url, slug=store.product.slug)
    plain = browser.get(url)
    assert plain.status_code == 200 and "sessionid" not in plain.cookies
    # The storefront is public; the product page is private already (it carries the visitor's CSRF token).
    assert plain["Cache-Control"].startswith("private" if store.product.slug in url else "public")
    shared = Client(HTTP_ACCEPT=BROWSER_ACCEPT, HTTP_USER_AGENT=PHONE_UA).get(url + "?src=whatsapp")
    assert shared.status_code == 200 and "sessionid" in shared.cookies
    assert shared["Cache-Control"].startswith("private") and "public" not in shared["Cache-Control"]


def test_storefront_pagination(browser):
    store = make_store(products=23)
    first = html(browser.get(f"/{store.custom_url}/"))
    assert first.count('class="card"') == 20
    assert f'href="http://testserver/{store.custom_url}/?page=2" rel="next"' in first
    second = html(browser.get(f"/{store.custom_url}/?page=2"))
    assert second.count('class="card"') == 3
    assert f'href="http://testserver/{store.custom_url}/" rel="prev"' in second
    assert meta(second, "og:url") == f"http://testserver/{store.custom_url}/?page=2"
    assert browser.get(f"/{store.custom_url}/?page=9").status_code == 404
    assert browser.get(f"/{store.custom_url}/?page=abc").status_code == 404


def test_product_page(store, browser):
    product = store.product
    product.description = "Cotton, hand made in Aba."
    product.save()
    VariationFactory(product=product, name="Size M", price_modifier=D("200.00"), stock_quantity=3)
    VariationFactory(product=product, name="Size XL", price_modifier=D("0.00"), stock_quantity=0)
    response = browser.get(f"/{store.custom_url}/product/{product.slug}/")
    page = html(response)
    assert f"<h1>{product.name}</h1>" in page
    assert '<p class="price" id="price">₦16,300.00</p>' in page
    assert "Size M — ₦16,500.00" in page and "(only 3 left)" in page
    assert re.search(r'value="\d+" required disabled>\s*<span>Size XL', page)
    assert f'action="http://testserver/{store.custom_url}/cart/"' in page
    assert "Cotton, hand made in Aba." in page
    assert "Buy now" in page and "Add to cart" in page
    assert "https://wa.me/?text=" in page  # share on WhatsApp
    # The CSRF token of this visitor, not the placeholder of the cached page.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert token != "__payjaro_csrf_token__" and len(token) == 64
    assert response["Cache-Control"] == "private, max-age=60"


def test_order_on_whatsapp_link_when_the_store_has_a_number(store, browser):
    url = f"/{store.custom_url}/product/{store.product.slug}/"
    assert "Order on WhatsApp" not in html(browser.get(url))
    store.storefront.contact_info = {"whatsapp": "0803 123 4567"}
    store.storefront.save()
    page = html(browser.get(url))
    link = re.search(r'href="(https://wa.me/2348031234567\?text=[^"]+)"[^>]*>Order on WhatsApp', page).group(1)
    assert "%E2%82%A616%2C300.00" in link  # ₦16,300.00, URL-encoded
    assert store.product.name.replace(" ", "%20") in link


def test_theme_colour(store, browser):
    assert "--accent:#0b6e4f" in html(browser.get(f"/{store.custom_url}/"))
    store.storefront.theme = "#aa3366"
    store.storefront.save()
    assert "--accent:#aa3366" in html(browser.get(f"/{store.custom_url}/"))
    store.storefront.theme = "red;}body{display:none"
    store.storefront.save()
    assert "--accent:#0b6e4f" in html(browser.get(f"/{store.custom_url}/"))


def test_friendly_404_pages(store, browser):
    for url in ("/nobody-here/", f"/{store.custom_url}/product/nope/", "/admin-x/product/y/"):
        response = browser.get(url)
        assert response.status_code == 404
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert "Sorry, this page is not here" in response.content.decode()
    assert Client(HTTP_ACCEPT="application/json").get("/nobody-here/").json() == {"code": "not_found",
                                                                                  "error": "Storefront not found."}


def test_landing_page(browser):
    page = html(browser.get("/"))
    assert "Payjaro" in page and "<h1>" in page


def test_stored_markup_is_escaped_everywhere(browser):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    store = make_store()
    entrepreneur = store.entrepreneur
    entrepreneur.business_name = evil
    entrepreneur.bio = evil
    entrepreneur.save()
    store.storefront.about_section = evil
    store.storefront.seo_title = evil[:70]
    store.storefront.seo_description = evil
    store.storefront.contact_info = {"whatsapp": evil}
    store.storefront.save()
    product = store.product
    product.name = evil
    product.description = evil
    product.category = CategoryFactory(name=evil)
    product.save()
    VariationFactory(product=product, name=evil, stock_quantity=2)
    ProductImage.objects.create(product=product, image=stored_jpeg("products/evil.jpg"), alt_text=evil,
                                is_primary=True)
    for url in (f"/{store.custom_url}/", f"/{store.custom_url}/product/{product.slug}/"):
        page = html(browser.get(url))
        assert "<script>" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;" in page


# --- caching and query counts ------------------------------------------------------------------

def test_cached_storefront_html_costs_only_the_event_insert(store, browser, django_assert_num_queries):
    first = browser.get(f"/{store.custom_url}/")
    with django_assert_num_queries(1) as captured:
        second = browser.get(f"/{store.custom_url}/")
    assert captured.captured_queries[0]["sql"].startswith('INSERT INTO "analytics_analyticsevent"')
    assert second.content == first.content
    assert AnalyticsEvent.objects.filter(event_type="storefront_view").count() == 2


def test_cached_product_html_costs_only_the_event_insert(store, browser, django_assert_num_queries):
    url = f"/{store.custom_url}/product/{store.product.slug}/"
    browser.get(url)
    with django_assert_num_queries(1):
        assert browser.get(url).status_code == 200
    assert AnalyticsEvent.objects.filter(event_type="product_view", product=store.product).count() == 2


def test_price_and_stock_changes_show_at_once(store, browser):
    url = f"/{store.custom_url}/product/{store.product.slug}/"
    assert "₦16,300.00" in html(browser.get(url))
    assert "₦16,300.00" in html(browser.get(f"/{store.custom_url}/"))
    listing = store.listing
    listing.selling_price = D("17000.50")
    listing.save()
    assert "₦17,000.50" in html(browser.get(url))
    assert "₦17,000.50" in html(browser.get(f"/{store.custom_url}/"))
    product = store.product
    product.stock_quantity = 0
    product.save()
    assert "Sold out" in html(browser.get(url))


def _queries(client, url, django_assert_max_num_queries) -> int:
    from django.core.cache import cache

    cache.clear()
    with django_assert_max_num_queries(50) as captured:
        html(client.get(url))
    return len(captured.captured_queries)


def test_query_counts_are_flat(browser, django_assert_max_num_queries):
    small, big = make_store(products=5), make_store(products=40)
    for store in (small, big):
        for listing in store.listings[:3]:
            listing.is_featured = True
            listing.save()
        for listing in store.listings:
            ProductImage.objects.create(product=listing.product, image=f"products/{listing.product.pk}/a.jpg",
                                        is_primary=True)
            VariationFactory(product=listing.product)
    counts = {
        name: (_queries(browser, f"/{store.custom_url}/", django_assert_max_num_queries),
               _queries(browser, f"/{store.custom_url}/product/{store.product.slug}/", django_assert_max_num_queries))
        for name, store in (("small", small), ("big", big))
    }
    assert counts["small"] == counts["big"], counts


# --- the money filter --------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "shown"), [
    (D("16300"), "₦16,300.00"), (D("0.005"), "₦0.01"), ("1234567.891", "₦1,234,567.89"), (0, "₦0.00"),
    (D("-500"), "-₦500.00"), (None, ""),
])
def test_naira_filter(amount, shown):
    assert naira(amount) == shown
