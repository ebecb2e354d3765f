"""products.stock: the one module that writes stock quantities."""
import pytest

from core.errors import InsufficientStock, NotFound, ValidationFailed
from products.models import InventoryAdjustment
from products.stock import StockLine, stock_adjust, stock_release, stock_reserve, stock_set
from tests.factories import ProductFactory, VariationFactory

pytestmark = pytest.mark.django_db


def quantities(*rows):
    for row in rows:
        row.refresh_from_db()
    return [row.stock_quantity for row in rows]


def test_reserve_takes_every_line_or_none():
    shirt, cap = ProductFactory(stock_quantity=5), ProductFactory(stock_quantity=1)
    medium = VariationFactory(product=shirt, stock_quantity=3)

    stock_reserve([StockLine(shirt.pk, None, 2), StockLine(shirt.pk, medium.pk, 3)])
    assert quantities(shirt, medium) == [3, 0]

    with pytest.raises(InsufficientStock) as caught:
        stock_reserve([StockLine(shirt.pk, None, 1), StockLine(cap.pk, None, 2, "Cap")])
    assert caught.value.message == "Not enough stock for Cap: 1 available, 2 requested."
    assert caught.value.details == {"product_id": cap.pk, "variation_id": None, "requested": 2, "available": 1}
    assert quantities(shirt, cap) == [3, 1]  # the shirt taken before the cap was refused is back


def test_release_puts_units_back_without_a_record():
    product = ProductFactory(stock_quantity=0)
    variation = VariationFactory(product=product, stock_quantity=0)
    stock_release([StockLine(product.pk, variation.pk, 4), StockLine(product.pk, None, 1)])
    assert quantities(product, variation) == [1, 4]
    assert not InventoryAdjustment.objects.exists()


def test_set_records_even_an_unchanged_count():
    product = ProductFactory(stock_quantity=7)
    first = stock_set(product_id=product.pk, quantity=7, reason="count")
    second = stock_set(product_id=product.pk, quantity=2, reason="count")
    assert [(a.previous_quantity, a.new_quantity) for a in (first, second)] == [(7, 7), (7, 2)]
    assert quantities(product) == [2]


@pytest.mark.parametrize("quantity", [-1, 1.5, True, "3"])
def test_set_refuses_what_is_not_a_whole_number_from_zero(quantity):
    product = ProductFactory(stock_quantity=7)
    with pytest.raises(ValidationFailed):
        stock_set(product_id=product.pk, quantity=quantity)
    assert quantities(product) == [7]


def test_set_refuses_a_variation_of_another_product_and_an_unknown_product():
    product = ProductFactory()
    with pytest.raises(ValidationFailed):
        stock_set(product_id=product.pk, variation_id=VariationFactory().pk, quantity=1)
    with pytest.raises(NotFound):
        stock_set(product_id=999_999, quantity=1)


def test_adjust_adds_and_removes_but_never_below_zero():
    variation = VariationFactory(stock_quantity=4)
    stock_adjust(product_id=variation.product_id, variation_id=variation.pk, delta=6, reason="delivery")
    stock_adjust(product_id=variation.product_id, variation_id=variation.pk, delta=-10, reason="flood")
    with pytest.raises(InsufficientStock):
        stock_adjust(product_id=variation.product_id, variation_id=variation.pk, delta=-1)
    with pytest.raises(ValidationFailed):
        stock_adjust(product_id=variation.product_id, delta=0)
    assert quantities(variation) == [0]
    assert list(InventoryAdjustment.objects.order_by("id").values_list("previous_quantity", "new_quantity",
                                                                       "reason")) == [(4, 10, "delivery"),
                                                                                      (10, 0, "flood")]
