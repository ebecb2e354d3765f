"""Pay on delivery in a real browser (Chromium through Playwright, at phone size, as in ``test_browser.py``): a
guest puts a product in the cart, chooses pay on delivery, asks for the code, types the code that was printed
to the console (no Twilio here), places the order, and the order page says "pay ₦… on delivery".
Once with JavaScript and once without. Run with ``pytest -m browser``.
"""
import re
from decimal import Decimal as D

import pytest
from django.conf import settings as django_settings

from orders.models import Order
from orders.tests.cod import code_from_console, make_cod_store

from .test_browser import PHONE, chromium, shot  # noqa: F401 (chromium is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_guest_pays_on_delivery_with_the_console_code(chromium, live_server, settings, capsys, javascript):  # noqa: F811
    settings.PUBLIC_BASE_URL = live_server.url
    store = make_cod_store(base_price=D("10000.00"), selling_price=D("16300.00"), stock_quantity=4)
    product = store.product
    product.name = "Ankara Wrap Dress"
    product.save()
    context = chromium.new_context(viewport=PHONE, java_script_enabled=javascript, device_scale_factor=1,
                                   is_mobile=True, has_touch=True)
    page = context.new_page()
    tag = "cod-js" if javascript else "cod-nojs"
    try:
        page.goto(f"{live_server.url}/{store.custom_url}/product/{product.slug}/")
        page.get_by_role("button", name="Buy now").click()
        page.wait_for_load_state()
        assert page.url == f"{live_server.url}/{store.custom_url}/checkout/"
        page.get_by_label("Full name").fill("Amaka Eze")
        page.get_by_label("Phone").fill("08035551234")
        page.get_by_label("Email").fill(f"amaka-{tag}@example.com")
        page.get_by_label("Address").fill("3 Ogui Road")
        page.get_by_label("City").fill("Enugu")
        page.get_by_label("State").select_option("Enugu")
        page.get_by_label(re.compile("Pay on delivery")).check()
        capsys.readouterr()
        page.get_by_role("button", name="Send code").click()
        page.wait_for_load_state()
        assert page.get_by_text("We sent a 6-digit code to the phone ending 1234").is_visible()
        assert page.get_by_label("Full name").input_value() == "Amaka Eze"  # the form is kept
        code = code_from_console(capsys.readouterr().out, "+2348035551234")
        shot(page, f"{tag}-1-code-sent")

        page.get_by_label("Code from the SMS").fill(code)
        total = D("16300.00") + D(django_settings.SHIPPING_FEE_NGN)
        page.get_by_role("button", name=f"Place order, pay ₦{total:,.2f} on delivery").click()
        page.wait_for_load_state()
        assert re.search(rf"/{store.custom_url}/orders/[\w-]+/$", page.url)
        assert page.locator("#order-status").inner_text() == "Pay on delivery"
        assert page.locator("#cod-due").inner_text() == f"Please pay ₦{total:,.2f} on delivery, in cash to the courier."
        shot(page, f"{tag}-2-order-cod")
        order = Order.objects.get(customer__email=f"amaka-{tag}@example.com")
        assert order.payment_method == "cod" and order.cod_phone == "+2348035551234"
        assert order.total_amount == total
    finally:
        context.close()
