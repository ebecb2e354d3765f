"""Django admin: stock is changed only through products.stock (recorded), and saving a product page never
writes back the stock quantity it was loaded with."""
import pytest
from django.contrib.messages import get_messages
from django.test import Client

from products.models import InventoryAdjustment
from products.stock import StockLine, stock_reserve
from tests.factories import AdminFactory, ProductFactory, VariationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return AdminFactory(is_superuser=True)


@pytest.fixture
def browser(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def product_form(product, **changes):
    data = {
        "supplier": product.supplier_id, "category": product.category_id or "", "name": product.name,
        "slug": product.slug, "description": product.description, "sku": product.sku,
        "base_price": str(product.base_price), "suggested_markup": str(product.suggested_markup),
        "weight": "", "is_active": "on", "set_stock_to": "", "adjust_stock_by": "", "stock_reason": "",
        "variations-TOTAL_FORMS": "0", "variations-INITIAL_FORMS": "0",
        "images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def change_url(product):
    return f"/admin/products/product/{product.pk}/change/"


def test_change_page_offers_stock_fields_not_the_raw_quantity(browser):
    product = ProductFactory(stock_quantity=10)
    html = browser.get(change_url(product)).content.decode()
    assert 'name="set_stock_to"' in html and 'name="adjust_stock_by"' in html
    assert 'name="stock_quantity"' not in html


def test_set_stock_to_is_recorded_with_the_admin(browser, admin_user):
    product = ProductFactory(stock_quantity=10)
    response = browser.post(change_url(product), product_form(product, set_stock_to="4", stock_reason="count"))
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.stock_quantity == 4
    adjustment = InventoryAdjustment.objects.get()
    assert (adjustment.previous_quantity, adjustment.new_quantity, adjustment.reason, adjustment.created_by) == (
        10, 4, "count", admin_user)


def test_editing_a_product_keeps_units_reserved_since_the_page_was_loaded(browser):
    product = ProductFactory(stock_quantity=10)
    form = product_form(product, name="Renamed")  # the page as loaded: 10 in stock
    stock_reserve([StockLine(product.pk, None, 3)])  # a customer orders meanwhile

    assert browser.post(change_url(product), form).status_code == 302
    product.refresh_from_db()
    assert (product.name, product.stock_quantity) == ("Renamed", 7)
    assert not InventoryAdjustment.objects.exists()


def test_adjusting_below_zero_is_refused_and_changes_nothing(browser):
    product = ProductFactory(stock_quantity=5)
    response = browser.post(change_url(product), product_form(product, adjust_stock_by="-6"), follow=True)
    assert "Stock not changed: Cannot remove 6: only 5 in stock." in [m.message for m in get_messages(response.wsgi_request)]
    product.refresh_from_db()
    assert product.stock_quantity == 5
    assert not InventoryAdjustment.objects.exists()


def test_set_and_adjust_together_is_a_form_error(browser):
    product = ProductFactory(stock_quantity=5)
    response = browser.post(change_url(product), product_form(product, set_stock_to="1", adjust_stock_by="2"))
    assert response.status_code == 200
    assert "Either set the stock or adjust it, not both." in response.content.decode()
    product.refresh_from_db()
    assert product.stock_quantity == 5


def test_variation_admin_adjusts_its_stock(browser):
    variation = VariationFactory(stock_quantity=2)
    response = browser.post(f"/admin/products/productvariation/{variation.pk}/change/", {
        "product": variation.product_id, "name": variation.name, "attributes": "{}", "sku": variation.sku,
        "price_modifier": str(variation.price_modifier), "is_active": "on", "adjust_stock_by": "5",
        "stock_reason": "delivery",
    })
    assert response.status_code == 302
    variation.refresh_from_db()
    assert variation.stock_quantity == 7
    assert InventoryAdjustment.objects.get().variation == variation
