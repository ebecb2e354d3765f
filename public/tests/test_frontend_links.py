"""Where purchase links, the payment return address and the sandbox's "Return to the shop" point (SPEC §9):
the HTML storefront pages unless ``FRONTEND_URL`` names a separate frontend."""
from decimal import Decimal as D

import pytest

from core.validators import allowed_redirect_origins
from orders.services import OrderLine, order_create
from orders.tests.factories import make_store
from payments.models import Transaction
from social.links import purchase_link
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ADDRESS = {"full_name": "Ngozi Eze", "phone": "08031234567", "address": "3 Awolowo Road", "city": "Ikoyi",
           "state": "Lagos"}


def test_frontend_url_is_empty_by_default(settings):
    assert settings.FRONTEND_URL == ""
    assert allowed_redirect_origins() == {"http://testserver"}  # PUBLIC_BASE_URL's origin still allowed


def test_purchase_link_is_the_html_product_page_without_a_frontend(settings):
    settings.FRONTEND_URL = ""
    assert purchase_link("ada", "red-dress") == "http://testserver/ada/product/red-dress/"
    assert purchase_link("ada", "red-dress", "whatsapp") == "http://testserver/ada/product/red-dress/?src=whatsapp"
    assert purchase_link("ada", "red-dress", "bogus") == "http://testserver/ada/product/red-dress/"


def test_purchase_link_is_the_frontend_order_page_when_set(settings):
    settings.FRONTEND_URL = "https://app.payjaro.example/"
    assert purchase_link("ada", "red-dress", "x") == (
        "https://app.payjaro.example/order?entrepreneur=ada&product=red-dress&src=x")
    assert "https://app.payjaro.example" in allowed_redirect_origins()


@pytest.fixture
def order():
    store = make_store(base_price=D("1000.00"), selling_price=D("1500.00"))
    return order_create(customer=CustomerFactory(), entrepreneur_custom_url=store.custom_url,
                        items=[OrderLine(product_id=store.product.pk, quantity=1)], shipping_address=ADDRESS)


def _initialize(auth_client, order) -> Transaction:
    response = auth_client(order.customer).post("/api/payments/initialize/",
                                                {"order_id": order.order_id, "provider": "sandbox"}, format="json")
    assert response.status_code == 200, response.content
    return Transaction.objects.get(order=order)


@pytest.mark.parametrize("frontend, expected", [
    ("", "http://testserver/{store}/"),
    ("https://app.payjaro.example", "https://app.payjaro.example/payment/callback"),
])
def test_payment_return_address_and_the_sandbox_return_link(auth_client, client, settings, order, frontend,
                                                             expected):
    settings.FRONTEND_URL = frontend
    settings.PAYMENTS_SANDBOX = True
    txn = _initialize(auth_client, order)
    callback = expected.format(store=order.entrepreneur.custom_url)
    assert txn.metadata["callback_url"] == callback
    page = client.post(f"/api/payments/sandbox/checkout/{txn.transaction_id}/", {"outcome": "pay"}).content.decode()
    assert f'href="{callback}?reference={txn.transaction_id}"' in page
    if not frontend:  # the return address is a real page of this shop
        assert client.get(callback, HTTP_ACCEPT="text/html").status_code == 200
