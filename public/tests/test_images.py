"""Images for slow networks and link previews: thumbnails + preview JPEG made at upload, deleted with it."""
import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from PIL import Image

from analytics.models import AnalyticsEvent
from core.thumbnails import derivative_name
from orders.tests.factories import make_store
from products.models import ProductImage
from products.tests.factories import png_upload
from tests.factories import EntrepreneurFactory

from .test_pages import BROWSER_ACCEPT, html, meta, stored_jpeg

pytestmark = pytest.mark.django_db

BOTS = [
    "WhatsApp/2.23.20.0 A",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "TelegramBot (like TwitterBot)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]


def open_stored(name: str) -> tuple[Image.Image, int]:
    with default_storage.open(name) as handle:
        data = handle.read()
    image = Image.open(io.BytesIO(data))
    image.load()
    return image, len(data)


def fetch_media(client, url: str) -> tuple[Image.Image, int, object]:
    assert url.startswith("http://testserver/media/"), url
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    image = Image.open(io.BytesIO(data))
    image.load()
    return image, len(data), response


@pytest.fixture
def store():
    return make_store()


def upload(auth_client, store, **kwargs):
    client = auth_client(store.supplier.user)
    response = client.post(f"/api/products/products/{store.product.pk}/images/",
                           {"image": png_upload(size=(1600, 1000))}, format="multipart")
    assert response.status_code == 201, response.content
    return client, ProductImage.objects.get(pk=response.json()["id"])


def test_upload_makes_thumbnails_and_preview_and_delete_removes_them(
        auth_client, store, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client, image = upload(auth_client, store)
    name = image.image.name
    sizes = {suffix: open_stored(derivative_name(name, suffix)) for suffix in ("w320", "w640", "og")}
    assert sizes["w320"][0].size == (320, 320)
    assert sizes["w640"][0].size == (640, 640)
    og, og_bytes = sizes["og"]
    assert (og.format, og.size) == ("JPEG", (1200, 630))
    assert og_bytes < 300 * 1024

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/products/products/{store.product.pk}/images/{image.pk}/").status_code == 204
    assert not default_storage.exists(name)
    for suffix in ("w320", "w640", "og"):
        assert not default_storage.exists(derivative_name(name, suffix))


def test_pages_use_srcset_width_height_and_lazy_loading():
    store = make_store(products=6)
    for listing in store.listings:
        ProductImage.objects.create(product=listing.product, image=stored_jpeg(f"products/{listing.pk}.jpg"),
                                    is_primary=True)
    page = html(Client(HTTP_ACCEPT=BROWSER_ACCEPT).get(f"/{store.custom_url}/"))
    images = re.findall(r"<img [^>]+>", page)
    assert len(images) == 6
    for tag in images:
        assert re.search(r'srcset="/media/products/\d+\.w320\.jpg 320w, /media/products/\d+\.w640\.jpg 640w"', tag)
        assert 'width="640" height="640"' in tag and "sizes=" in tag
    assert ['loading="lazy"' in tag for tag in images] == [False] * 4 + [True] * 2


def test_backfill_command_makes_missing_derivatives():
    name = stored_jpeg("products/old.jpg")
    ProductImage.objects.create(product=make_store().product, image=name)  # no on-commit here: not made yet
    banner = stored_jpeg("entrepreneurs/banner.jpg", size=(1200, 400))
    EntrepreneurFactory(banner_image=banner)
    assert not default_storage.exists(derivative_name(name, "w320"))
    out = io.StringIO()
    call_command("make_thumbnails", stdout=out)
    assert "6 thumbnails/previews written" in out.getvalue()
    for stored in (name, banner):
        for suffix in ("w320", "w640", "og"):
            assert default_storage.exists(derivative_name(stored, suffix))
    out = io.StringIO()
    call_command("make_thumbnails", stdout=out)
    assert "0 thumbnails/previews written" in out.getvalue()


# --- link previews -----------------------------------------------------------------------------

def check_preview(page: str, client) -> None:
    url = meta(page, "og:image")
    image, size, response = fetch_media(client, url)
    assert image.format == "JPEG"
    assert image.size[0] >= 600 and image.size[1] >= 315
    assert image.size == (int(meta(page, "og:image:width")), int(meta(page, "og:image:height"))) == (1200, 630)
    assert size < 300 * 1024
    assert "max-age=604800" in response["Cache-Control"]


@pytest.mark.parametrize("user_agent", BOTS)
def test_preview_bots_get_the_tags_and_add_no_view(store, user_agent):
    name = stored_jpeg("products/bot.jpg")
    ProductImage.objects.create(product=store.product, image=name, is_primary=True)
    bot = Client(HTTP_USER_AGENT=user_agent)
    storefront = html(bot.get(f"/{store.custom_url}/?src=whatsapp"))
    product = html(bot.get(f"/{store.custom_url}/product/{store.product.slug}/?src=whatsapp"))
    for page, canonical, kind in ((storefront, f"http://testserver/{store.custom_url}/", "website"),
                                  (product, f"http://testserver/{store.custom_url}/product/{store.product.slug}/",
                                   "product")):
        assert meta(page, "og:url") == canonical
        assert f'<link rel="canonical" href="{canonical}">' in page
        assert "src=" not in canonical
        assert meta(page, "og:type") == kind
        assert meta(page, "og:site_name") == "Payjaro"
        assert meta(page, "og:title") and meta(page, "og:description")
        assert meta(page, "twitter:card") == "summary_large_image"
        assert meta(page, "og:image").startswith("http://testserver/media/")
        check_preview(page, bot)
    assert meta(product, "product:price:amount") == "1200.00"
    assert meta(product, "product:price:currency") == "NGN"
    assert meta(product, "og:image").endswith("/media/" + derivative_name(name, "og"))
    assert not AnalyticsEvent.objects.exists()


def test_a_store_without_pictures_gets_a_generated_card(store):
    client = Client(HTTP_ACCEPT=BROWSER_ACCEPT)
    page = html(client.get(f"/{store.custom_url}/"))
    assert "/media/cards/" in meta(page, "og:image")
    check_preview(page, client)
    product = html(client.get(f"/{store.custom_url}/product/{store.product.slug}/"))
    check_preview(product, client)


def test_the_banner_is_the_storefront_preview(store):
    name = stored_jpeg("entrepreneurs/b.jpg", size=(1200, 400))
    store.entrepreneur.banner_image = name
    store.entrepreneur.save()
    client = Client(HTTP_ACCEPT=BROWSER_ACCEPT)
    page = html(client.get(f"/{store.custom_url}/"))
    assert meta(page, "og:image") == "http://testserver/media/" + derivative_name(name, "og")
    check_preview(page, client)
    assert f'<img class="banner" src="/media/{name}" width="1200" height="400"' in page


def test_people_are_counted_bots_are_not(store):
    Client(HTTP_ACCEPT=BROWSER_ACCEPT).get(f"/{store.custom_url}/?src=whatsapp")
    Client(HTTP_ACCEPT=BROWSER_ACCEPT).head(f"/{store.custom_url}/")
    (event,) = AnalyticsEvent.objects.all()
    assert (event.event_type, event.metadata["src"]) == ("storefront_view", "whatsapp")
