"""The shop in a real browser (Debian's Chromium driven by Playwright) at phone size, as a shopper uses it:
storefront → product → choose an option → add to cart → a second supplier's product → the cart shows
two parcels with their delivery fees. Once with JavaScript and once without. A screenshot of every
page is saved under ``artifacts/browser/`` (git-ignored).

Run only these: ``pytest -m browser``. They are skipped, saying why, where ``/usr/bin/chromium`` is
missing (``.ci/run`` installs it with apt-get).
"""
import os
import re
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from core.thumbnails import make_derivatives
from orders.tests.factories import make_store
from products.models import ProductImage
from tests.factories import ProductFactory, StoreProductFactory, SupplierFactory, VariationFactory

from .test_pages import stored_jpeg

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
PHONE = {"width": 412, "height": 915}
ARTIFACTS = Path(django_settings.BASE_DIR) / "artifacts" / "browser"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def chromium():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def shop(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    store = make_store(base_price=D("10000.00"), selling_price=D("16300.00"), stock_quantity=8)
    dress = store.product
    dress.name = "Ankara Wrap Dress"
    dress.description = "Hand-made in Aba. Cotton wax print."
    dress.save()
    VariationFactory(product=dress, name="Size M", price_modifier=D("0.00"), stock_quantity=4)
    VariationFactory(product=dress, name="Size L", price_modifier=D("500.00"), stock_quantity=2)
    listing = store.listing
    listing.is_featured = True
    listing.save()
    bag = StoreProductFactory(
        storefront=store.storefront, selling_price=D("9000.00"),
        product=ProductFactory(supplier=SupplierFactory(), name="Leather Tote Bag", base_price=D("7000.00"),
                               stock_quantity=5),
    ).product
    for product, colour in ((dress, (180, 40, 90)), (bag, (120, 80, 30))):
        name = stored_jpeg(f"products/{product.pk}/browser.jpg", size=(1000, 1000), colour=colour)
        make_derivatives(name)
        ProductImage.objects.create(product=product, image=name, alt_text=product.name, is_primary=True)
    return store, dress, bag


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_shopper_adds_two_suppliers_products_to_the_cart(chromium, live_server, shop, javascript):
    store, dress, bag = shop
    context = chromium.new_context(viewport=PHONE, java_script_enabled=javascript, device_scale_factor=1,
                                   is_mobile=True, has_touch=True)
    page = context.new_page()
    tag = "js" if javascript else "nojs"
    try:
        page.goto(f"{live_server.url}/{store.custom_url}/")
        assert page.locator("h1").inner_text() == store.entrepreneur.business_name
        assert page.locator(".card").first.is_visible()
        width = page.evaluate("document.documentElement.scrollWidth") if javascript else PHONE["width"]
        assert width <= PHONE["width"]  # nothing wider than the phone
        shot(page, f"{tag}-1-storefront")

        page.get_by_role("link", name=re.compile("Ankara Wrap Dress")).first.click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Ankara Wrap Dress"
        assert page.locator("#price").inner_text() == "₦16,300.00"
        page.get_by_label(re.compile("Size L")).check()
        page.get_by_label("Quantity").fill("2")
        shot(page, f"{tag}-2-product")
        page.get_by_role("button", name="Add to cart").click()
        page.wait_for_load_state()
        assert page.url == f"{live_server.url}/{store.custom_url}/cart/"
        assert page.get_by_text("Added Ankara Wrap Dress to your cart.").is_visible()
        assert "Ankara Wrap Dress" in page.locator(".parcel").first.inner_text()
        assert "₦33,600.00" in page.content()  # 2 × (₦16,300.00 + ₦500.00)
        shot(page, f"{tag}-3-cart-one-line")

        page.goto(f"{live_server.url}/{store.custom_url}/product/{bag.slug}/")
        page.get_by_role("button", name="Add to cart").click()
        page.wait_for_load_state()
        parcels = page.locator("section.parcel")
        assert parcels.count() == 2
        assert "Parcel 1" in parcels.nth(0).inner_text() and "Ankara Wrap Dress" in parcels.nth(0).inner_text()
        assert "Parcel 2" in parcels.nth(1).inner_text() and "Leather Tote Bag" in parcels.nth(1).inner_text()
        fee = f"₦{D(django_settings.SHIPPING_FEE_NGN):,.2f}"
        assert fee in parcels.nth(0).inner_text() and fee in parcels.nth(1).inner_text()
        expected_total = D("33600.00") + D("9000.00") + 2 * D(django_settings.SHIPPING_FEE_NGN)
        assert page.locator("#cart-total").inner_text() == f"₦{expected_total:,.2f}"
        shot(page, f"{tag}-4-cart-two-parcels")

        # Change a quantity and remove a line with the page's own forms.
        first = parcels.nth(0)
        first.get_by_label(re.compile("Quantity of")).fill("1")
        first.get_by_role("button", name="Update").click()
        page.wait_for_load_state()
        assert "₦16,800.00</span> × 1" in page.content()
        page.locator("section.parcel").nth(1).get_by_role("button", name="Remove").click()
        page.wait_for_load_state()
        assert page.locator("section.parcel").count() == 1
        shot(page, f"{tag}-5-cart-changed")
    finally:
        context.close()
