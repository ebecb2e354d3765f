"""Helpers for pay-on-delivery tests: a COD-ready store and the phone code as the shopper receives it.

``request_code(client, phone, capsys, capture)`` posts to the real send-code endpoint and reads the code back
from the console, where the SMS is printed when Twilio is not configured (notifications.tasks).
"""
import re
from decimal import Decimal

from .factories import VALID_ADDRESS, make_store

SEND_CODE_URL = "/api/orders/cod/send-code/"
CODE_RE = re.compile(r"\[SMS to (\+\d+)\] .*pay-on-delivery code is (\d{6})")


def make_cod_store(**kwargs):
    """A store with COD on (maximum ₦50,000) whose supplier accepts COD."""
    store = make_store(**kwargs)
    store.supplier.accepts_cod = True
    store.supplier.save(update_fields=["accepts_cod"])
    store.storefront.cod_enabled = True
    store.storefront.cod_max_order_value = Decimal("50000.00")
    store.storefront.save(update_fields=["cod_enabled", "cod_max_order_value"])
    return store


def code_from_console(text: str, phone: str) -> str:
    codes = [code for to, code in CODE_RE.findall(text) if to == phone]
    assert codes, f"no code for {phone} printed in {text!r}"
    return codes[-1]


def request_code(client, capsys, capture, phone: str = VALID_ADDRESS["phone"]) -> str:
    """The code the shopper gets for ``phone`` (E.164 or 080…), through the API and the console."""
    from orders.services import cod_phone_clean

    capsys.readouterr()
    with capture(execute=True):
        response = client.post(SEND_CODE_URL, {"phone": phone}, format="json")
    assert response.status_code == 202, response.content
    return code_from_console(capsys.readouterr().out, cod_phone_clean(phone))


def cod_body(store, code: str, *, items=None, quantity: int = 1, phone: str | None = None, **extra) -> dict:
    address = dict(VALID_ADDRESS)
    if phone:
        address["phone"] = phone
    data = {
        "entrepreneur_custom_url": store.custom_url,
        "items": items if items is not None else [{"product_id": store.product.pk, "quantity": quantity}],
        "shipping_address": address,
        "payment_method": "cod",
        "cod_code": code,
    }
    data.update(extra)
    return data
