"""Pay-on-delivery races on PostgreSQL (threads, one connection each; skipped on SQLite)."""
from decimal import Decimal as D

import pytest

from orders.models import CodPhoneCode, Order
from orders.services import cod_code_send
from products.models import Product
from tests.factories import CustomerFactory

from .cod import cod_body, code_from_console, make_cod_store
from .test_concurrency import client_for, run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
URL = "/api/orders/orders/"


def code_for(phone: str, capsys) -> str:
    capsys.readouterr()
    cod_code_send(phone=phone, client_address=f"test-{phone}")  # commits; the SMS is printed after commit
    return code_from_console(capsys.readouterr().out, phone)


def test_ten_cod_orders_for_the_last_three_units(capsys):
    store = make_cod_store(base_price=D("1000.00"), selling_price=D("1200.00"), stock_quantity=3)
    calls = []
    for n in range(10):
        phone = f"+23480355500{n:02d}"
        body = cod_body(store, code_for(phone, capsys), phone=phone)
        client = client_for(CustomerFactory())
        calls.append(lambda client=client, body=body: client.post(URL, body, format="json"))
    responses = run_concurrently(calls)
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] * 3 + [409] * 7, codes
    assert Product.objects.get(pk=store.product.pk).stock_quantity == 0
    assert Order.objects.filter(payment_method="cod").count() == 3
    # The losers' codes were not used up: their placement rolled back.
    assert CodPhoneCode.objects.filter(used_at__isnull=False).count() == 3


def test_one_code_places_one_order_however_many_race(capsys):
    store = make_cod_store(stock_quantity=50)
    phone = "+2348035559999"
    body = cod_body(store, code_for(phone, capsys), phone=phone)
    clients = [client_for(CustomerFactory()) for _ in range(6)]
    responses = run_concurrently([lambda c=c: c.post(URL, body, format="json") for c in clients])
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [400] * 5, codes
    assert {r.json()["details"]["reason"] for r in responses if r.status_code == 400} <= {"code_used", "code_expired"}
    assert Order.objects.filter(cod_phone=phone).count() == 1
    assert Product.objects.get(pk=store.product.pk).stock_quantity == 49
