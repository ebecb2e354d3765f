"""The session cart at /<custom_url>/cart/: add, change, remove; prices and stock re-checked; parcels."""
import re
from decimal import Decimal as D

import pytest
from django.test import Client

from analytics.models import AnalyticsEvent
from orders.tests.factories import make_store
from tests.factories import ProductFactory, StoreProductFactory, SupplierFactory, VariationFactory

from .test_pages import BROWSER_ACCEPT, PHONE_UA, html

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return make_store(base_price=D("1000.00"), selling_price=D("16300.00"), stock_quantity=5)


@pytest.fixture
def shopper():
    return Client(HTTP_ACCEPT=BROWSER_ACCEPT, HTTP_USER_AGENT=PHONE_UA)


def cart_url(store) -> str:
    return f"/{store.custom_url}/cart/"


def add(client, store, product, *, quantity=1, variation=None, **extra):
    data = {"action": "add", "product": product.pk, "quantity": quantity, **extra}
    if variation is not None:
        data["variation"] = variation.pk
    response = client.post(cart_url(store), data)
    assert response.status_code == 303
    return response


def cart(client, store) -> str:
    response = client.get(cart_url(store))
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]
    return html(response)


def total(page: str) -> str:
    return re.search(r'<span id="cart-total">([^<]+)</span>', page).group(1)


def test_add_change_remove(shopper, store):
    assert "Your cart is empty." in cart(shopper, store)
    response = add(shopper, store, store.product, quantity=2)
    assert response["Location"] == f"http://testserver/{store.custom_url}/cart/"
    page = cart(shopper, store)
    assert "Parcel 1" in page and store.product.name in page
    assert "₦16,300.00</span> × 2 = <strong>₦32,600.00</strong>" in page
    assert total(page) == "₦33,100.00"  # + one parcel's ₦500.00 delivery
    assert store.supplier.company_name not in page  # the shopper never sees who supplies it

    key = f"{store.product.pk}:0"
    assert shopper.post(cart_url(store), {"action": "update", "line": key, "quantity": 3}).status_code == 303
    assert total(cart(shopper, store)) == "₦49,400.00"
    assert shopper.post(cart_url(store), {"action": "remove", "line": key}).status_code == 303
    assert "Your cart is empty." in cart(shopper, store)


def test_adding_twice_adds_up_and_stock_is_the_limit(shopper, store):
    add(shopper, store, store.product, quantity=2)
    add(shopper, store, store.product, quantity=2)
    assert "× 4 =" in cart(shopper, store)
    add(shopper, store, store.product, quantity=2)  # 6 > 5 left: refused, cart unchanged
    page = cart(shopper, store)
    assert "Sorry, only 5 left." in page and "× 4 =" in page


@pytest.mark.parametrize(("data", "message"), [
    ({"product": "abc"}, "product: a whole number is required."),
    ({"product": 999999}, "This product is not sold in this store."),
    ({"product": "99999999999999999999"}, "This product is not sold in this store."),  # past a 64-bit key
    ({"product": "9223372036854775808"}, "This product is not sold in this store."),
    ({"quantity": 0}, "quantity: must be between 1 and 99."),
    ({"quantity": "lots"}, "quantity: a whole number is required."),
    ({"action": "explode"}, "Unknown cart action."),
])
def test_bad_input_is_a_message_never_a_500(shopper, store, data, message):
    response = shopper.post(cart_url(store), {"action": "add", "product": store.product.pk, "quantity": 1, **data})
    assert response.status_code == 303
    page = cart(shopper, store)
    assert message in page and "Your cart is empty." in page


def test_a_product_of_another_store_cannot_be_added(shopper, store):
    other = make_store()
    shopper.post(cart_url(store), {"action": "add", "product": other.product.pk, "quantity": 1})
    assert "This product is not sold in this store." in cart(shopper, store)


def test_variations_must_be_chosen_and_priced_with_their_modifier(shopper, store):
    large = VariationFactory(product=store.product, name="Large", price_modifier=D("700.00"), stock_quantity=2)
    gone = VariationFactory(product=store.product, name="Old", stock_quantity=0)
    shopper.post(cart_url(store), {"action": "add", "product": store.product.pk, "quantity": 1})
    assert "Please choose an option." in cart(shopper, store)
    add(shopper, store, store.product, variation=gone)
    assert "Sorry, this is sold out." in cart(shopper, store)
    foreign = VariationFactory(product=ProductFactory())
    add(shopper, store, store.product, variation=foreign)
    assert "That option is not available." in cart(shopper, store)
    shopper.post(cart_url(store), {"action": "add", "product": store.product.pk, "quantity": 1,
                                   "variation": "99999999999999999999"})  # past a 64-bit key: never a 500
    assert "That option is not available." in cart(shopper, store)
    add(shopper, store, store.product, variation=large, quantity=2)
    page = cart(shopper, store)
    assert "(Large)" in page and "₦17,000.00</span> × 2 = <strong>₦34,000.00</strong>" in page


def test_price_change_and_sold_out_are_shown_on_the_next_render(shopper, store):
    second = StoreProductFactory(storefront=store.storefront, selling_price=D("2000.00"),
                                 product=ProductFactory(supplier=store.supplier, base_price=D("1000.00"),
                                                        stock_quantity=3))
    add(shopper, store, store.product, quantity=2)
    add(shopper, store, second.product, quantity=3)
    listing = store.listing
    listing.selling_price = D("15000.00")
    listing.save()
    second.product.stock_quantity = 0
    second.product.save()
    page = cart(shopper, store)
    assert "The price changed from ₦16,300.00 to ₦15,000.00." in page
    assert "₦15,000.00</span> × 2" in page
    assert "Sold out — not included in your total." in page
    assert total(page) == "₦30,500.00"
    assert "The price changed" not in cart(shopper, store)  # shown once: the shopper has seen the new price


def test_quantity_above_the_stock_left_is_reduced(shopper, store):
    add(shopper, store, store.product, quantity=5)
    product = store.product
    product.stock_quantity = 2
    product.save()
    page = cart(shopper, store)
    assert "Only 2 left: we changed the quantity to 2." in page
    assert total(page) == "₦33,100.00"


def test_a_product_no_longer_sold_is_flagged(shopper, store):
    add(shopper, store, store.product)
    listing = store.listing
    listing.is_active = False
    listing.save()
    page = cart(shopper, store)
    assert "No longer sold here" in page
    assert 'id="cart-total"' not in page


def test_lines_are_grouped_by_supplier_parcel_with_each_shipping_fee(shopper, store, settings):
    settings.SHIPPING_FEE_NGN = D("750")
    other_supplier = SupplierFactory()
    other = StoreProductFactory(storefront=store.storefront, selling_price=D("3000.00"),
                                product=ProductFactory(supplier=other_supplier, base_price=D("2000.00"),
                                                       stock_quantity=9))
    same = StoreProductFactory(storefront=store.storefront, selling_price=D("1100.00"),
                               product=ProductFactory(supplier=store.supplier, base_price=D("1000.00"),
                                                      stock_quantity=9))
    add(shopper, store, store.product)
    add(shopper, store, other.product, quantity=2)
    add(shopper, store, same.product)
    page = cart(shopper, store)
    parcels = page.split('<section class="parcel"')[1:]
    assert len(parcels) == 2
    assert store.product.name in parcels[0] and same.product.name in parcels[0]
    assert other.product.name in parcels[1]
    assert "₦17,400.00" in parcels[0] and "₦6,000.00" in parcels[1]
    assert parcels[0].count("₦750.00") == 1 and parcels[1].count("₦750.00") == 1
    assert "Delivery (2 parcels)</span><span>₦1,500.00" in page
    assert total(page) == "₦24,900.00"
    assert other_supplier.company_name not in page


def test_the_cart_belongs_to_one_store_and_one_visitor(shopper, store):
    add(shopper, store, store.product)
    other = make_store()
    assert "Your cart is empty." in cart(shopper, other)
    assert "Your cart is empty." in cart(Client(), store)


def test_add_to_cart_event(shopper, store):
    shopper.get(f"/{store.custom_url}/?src=whatsapp")
    add(shopper, store, store.product, quantity=2)
    event = AnalyticsEvent.objects.get(event_type="add_to_cart")
    assert (event.entrepreneur_id, event.product_id) == (store.entrepreneur.pk, store.product.pk)
    assert event.metadata == {"custom_url": store.custom_url, "quantity": 2, "src": "whatsapp"}


def test_forms_are_csrf_protected_and_a_failure_is_a_403_page(store):
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT=BROWSER_ACCEPT)
    response = strict.post(cart_url(store), {"action": "add", "product": store.product.pk, "quantity": 1})
    assert response.status_code == 403
    assert "Please try again" in response.content.decode()
    # With the token of the product page it works.
    page = html(strict.get(f"/{store.custom_url}/product/{store.product.slug}/"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = strict.post(cart_url(store), {"csrfmiddlewaretoken": token, "action": "add",
                                             "product": store.product.pk, "quantity": 1})
    assert response.status_code == 303
    assert store.product.name in cart(strict, store)


def test_unknown_store_cart_is_a_friendly_404(shopper):
    response = shopper.get("/nobody-here/cart/")
    assert response.status_code == 404 and "Sorry, this page is not here" in response.content.decode()


def test_cart_queries_do_not_grow_with_lines(shopper, django_assert_max_num_queries):
    def count(lines: int) -> int:
        store = make_store(products=lines)
        client = Client(HTTP_ACCEPT=BROWSER_ACCEPT)
        for listing in store.listings:
            add(client, store, listing.product)
        client.get(cart_url(store))  # settle the session
        with django_assert_max_num_queries(30) as captured:
            client.get(cart_url(store))
        return len(captured.captured_queries)

    assert count(2) == count(8)
