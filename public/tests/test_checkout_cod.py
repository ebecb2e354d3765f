"""Pay on delivery in the HTML checkout (SPEC §9, §10): offered only where allowed, the code step, the order page."""
import re
from decimal import Decimal as D

import pytest
from django.core import mail
from django.test import Client

from orders.models import Checkout, CodPhoneCode
from orders.tests.cod import code_from_console, make_cod_store
from tests.factories import ProductFactory, StoreProductFactory, SupplierFactory

from .test_checkout_pages import FORM, fill_cart, order_link
from .test_pages import BROWSER_ACCEPT, PHONE_UA, html

pytestmark = pytest.mark.django_db
PHONE = "+2348031234567"


@pytest.fixture
def store():
    store = make_cod_store(base_price=D("1000.00"), selling_price=D("1500.00"), stock_quantity=5)
    store.other = StoreProductFactory(
        storefront=store.storefront, selling_price=D("3000.00"),
        product=ProductFactory(supplier=SupplierFactory(accepts_cod=True), base_price=D("2000.00"),
                               stock_quantity=5)).product
    return store


@pytest.fixture
def shopper():
    return Client(HTTP_ACCEPT=BROWSER_ACCEPT, HTTP_USER_AGENT=PHONE_UA)


def text(response) -> str:
    return response.content.decode()


def post(client, store, capture, **form):
    page = client.get(f"/{store.custom_url}/checkout/").content.decode()
    shown = re.search(r'name="cart_fingerprint" value="(\w+)"', page).group(1)  # as a browser posts it back
    with capture(execute=True):
        return client.post(f"/{store.custom_url}/checkout/", {**FORM, "cart_fingerprint": shown, **form})


def test_pay_on_delivery_is_offered_only_where_allowed(shopper, store):
    fill_cart(shopper, store)  # ₦7,000.00 in two parcels, both suppliers accept COD
    url = f"/{store.custom_url}/checkout/"
    assert 'value="cod"' in html(shopper.get(url)) and 'id="cod-step"' in html(shopper.get(url))
    store.storefront.cod_max_order_value = D("6999.99")
    store.storefront.save()
    assert 'value="cod"' not in html(shopper.get(url))
    store.storefront.cod_max_order_value = D("50000.00")
    store.storefront.save()
    store.other.supplier.accepts_cod = False
    store.other.supplier.save()
    page = html(shopper.get(url))
    assert 'value="cod"' not in page and 'id="cod-step"' not in page


def test_guest_confirms_the_phone_and_places_a_cod_order(shopper, store, capsys, django_capture_on_commit_callbacks):
    fill_cart(shopper, store)
    capsys.readouterr()
    response = post(shopper, store, django_capture_on_commit_callbacks, payment="sandbox", action="send_code")
    assert response.status_code == 200
    page = html(response)
    assert "We sent a 6-digit code to the phone ending 4567" in page
    assert 'value="cod" checked' in page and "Chinedu Okafor" in page  # COD chosen, the form kept
    code = code_from_console(capsys.readouterr().out, PHONE)

    wrong = "000000" if code != "000000" else "111111"
    response = post(shopper, store, django_capture_on_commit_callbacks, payment="cod", cod_code=wrong, action="place")
    assert response.status_code == 400 and "That code is not right (4 tries left)" in text(response)
    assert CodPhoneCode.objects.get(phone=PHONE).attempts == 1  # counted, although the placement is atomic
    assert not Checkout.objects.exists()

    response = post(shopper, store, django_capture_on_commit_callbacks, payment="cod", cod_code=code, action="place")
    assert response.status_code == 303
    link = order_link()
    assert response["Location"] == f"http://testserver{link}"  # no gateway
    checkout = Checkout.objects.get()
    assert checkout.payment_method == "cod" and checkout.reserved_until is None
    assert {o.payment_method for o in checkout.orders.all()} == {"cod"}
    page = html(shopper.get(link))
    assert "Please pay ₦7,000.00 on delivery" in page and 'id="order-status">Pay on delivery' in page
    assert "Pay now" not in page  # nothing to pay online
    assert any("₦4000.00 ready" in m.body or "₦3500.00 ready" in m.body for m in mail.outbox)


def test_cod_without_a_code_re_renders_with_the_reason(shopper, store, django_capture_on_commit_callbacks):
    fill_cart(shopper, store)
    response = post(shopper, store, django_capture_on_commit_callbacks, payment="cod", action="place")
    assert response.status_code == 400
    assert "ask for a code and enter it" in text(response)
    assert not Checkout.objects.exists()
