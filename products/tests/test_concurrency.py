"""Real concurrency on PostgreSQL: row locks keep one primary image and a consistent inventory record."""
import threading

import pytest
from django.db import connection

from products.models import InventoryAdjustment, ProductImage
from products.services import product_image_add, product_update_inventory
from products.stock import StockLine, stock_adjust, stock_reserve
from tests.factories import ProductFactory

from .factories import png_upload


def run_together(targets):
    barrier = threading.Barrier(len(targets))
    errors = []

    def wrap(target):
        try:
            barrier.wait()
            target()
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_primary_uploads_leave_exactly_one_primary():
    product = ProductFactory()
    uploads = [png_upload(f"{n}.png", size=(64, 64)) for n in range(6)]

    errors = run_together([
        (lambda upload=upload: product_image_add(product=product, uploaded_file=upload, is_primary=True))
        for upload in uploads
    ])

    assert errors == []
    assert ProductImage.objects.filter(product=product).count() == 6
    assert ProductImage.objects.filter(product=product, is_primary=True).count() == 1
    assert sorted(ProductImage.objects.filter(product=product).values_list("position", flat=True)) == list(range(6))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_inventory_updates_record_a_consistent_chain():
    product = ProductFactory(stock_quantity=100)
    quantities = [5, 10, 15, 20, 25, 30]

    errors = run_together([
        (lambda quantity=quantity: product_update_inventory(supplier=product.supplier, product_id=product.pk,
                                                            stock_quantity=quantity, actor=None))
        for quantity in quantities
    ])

    assert errors == []
    # Under the row lock each update saw the previous one's result: the records form one chain.
    chain = list(InventoryAdjustment.objects.order_by("id").values_list("previous_quantity", "new_quantity"))
    assert chain[0][0] == 100
    assert all(chain[i][1] == chain[i + 1][0] for i in range(len(chain) - 1))
    product.refresh_from_db()
    assert product.stock_quantity == chain[-1][1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_adjustments_racing_reservations_lose_no_unit():
    product = ProductFactory(stock_quantity=50)
    errors = run_together(
        [lambda: stock_reserve([StockLine(product.pk, None, 2)]) for _ in range(10)]
        + [lambda: stock_adjust(product_id=product.pk, delta=3, reason="delivery") for _ in range(5)]
    )

    assert errors == []
    product.refresh_from_db()
    assert product.stock_quantity == 50 - 10 * 2 + 5 * 3
    assert InventoryAdjustment.objects.filter(product=product).count() == 5
