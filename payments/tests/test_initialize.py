import json
from decimal import Decimal

import pytest
import requests
import responses

from payments.models import Transaction
from tests.factories import CustomerFactory

from .factories import FLUTTERWAVE, PAYSTACK

URL = "/api/payments/initialize/"
pytestmark = pytest.mark.django_db


def _paystack_init_ok(rsps):
    return rsps.post(f"{PAYSTACK}/transaction/initialize", json={
        "status": True, "message": "Authorization URL created",
        "data": {"authorization_url": "https://checkout.paystack.com/0peioxfhpn", "access_code": "0peioxfhpn",
                 "reference": "ignored-we-send-ours"}})


def test_paystack_initialize_sends_kobo_and_creates_pending_transaction(order, auth_client, rsps, settings):
    settings.PAYMENT_CALLBACK_ALLOWED_ORIGINS = ["https://shop.example"]
    call = _paystack_init_ok(rsps)
    response = auth_client(order.customer).post(URL, {"order_id": order.order_id, "provider": "paystack",
                                                      "callback_url": "https://shop.example/cb"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["payment_url"] == "https://checkout.paystack.com/0peioxfhpn"
    assert body["reference"] == body["transaction_id"]
    assert body["reference"].startswith(f"PJ-{order.order_id}-")
    sent = json.loads(call.calls[0].request.body)
    assert sent["amount"] == 290000 and isinstance(sent["amount"], int)
    assert sent["currency"] == "NGN" and sent["reference"] == body["reference"]
    assert sent["email"] == order.customer.email and sent["callback_url"] == "https://shop.example/cb"
    assert call.calls[0].request.headers["Authorization"] == "Bearer sk_test_payjaro"
    txn = Transaction.objects.get(transaction_id=body["reference"])
    assert (txn.status, txn.amount, txn.provider, txn.order_id, txn.user_id) == (
        "pending", Decimal("2900.00"), "paystack", order.pk, order.customer_id)


def test_each_attempt_gets_a_unique_reference_and_numeric_id_works(order, auth_client, rsps):
    _paystack_init_ok(rsps)
    client = auth_client(order.customer)
    first = client.post(URL, {"order_id": order.order_id, "provider": "paystack"}, format="json").json()
    second = client.post(URL, {"order_id": str(order.pk), "provider": "paystack"}, format="json").json()
    assert first["reference"] != second["reference"]
    assert Transaction.objects.filter(order=order, status="pending").count() == 2


def test_flutterwave_initialize_sends_naira(order, auth_client, rsps):
    call = rsps.post(f"{FLUTTERWAVE}/payments", json={
        "status": "success", "message": "Hosted Link",
        "data": {"link": "https://checkout.flutterwave.com/v3/hosted/pay/f524c1196ffda5556341"}})
    response = auth_client(order.customer).post(URL, {"order_id": order.order_id, "provider": "flutterwave"},
                                                format="json")
    assert response.status_code == 200, response.content
    assert response.json()["payment_url"] == "https://checkout.flutterwave.com/v3/hosted/pay/f524c1196ffda5556341"
    sent = json.loads(call.calls[0].request.body)
    assert sent["amount"] == "2900.00" and sent["currency"] == "NGN" and sent["tx_ref"] == response.json()["reference"]
    assert sent["customer"]["email"] == order.customer.email


def test_sandbox_initialize_returns_local_checkout_page(order, auth_client, api_client):
    response = auth_client(order.customer).post(URL, {"order_id": order.order_id, "provider": "sandbox"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["payment_url"] == f"http://testserver/api/payments/sandbox/checkout/{body['reference']}/"
    page = api_client.get(f"/api/payments/sandbox/checkout/{body['reference']}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "₦2900.00" in html and 'value="pay"' in html and 'value="fail"' in html


def test_sandbox_is_refused_when_disabled(order, auth_client, settings):
    settings.PAYMENTS_SANDBOX = False
    response = auth_client(order.customer).post(URL, {"order_id": order.order_id, "provider": "sandbox"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "The sandbox payment provider is disabled."
    assert not Transaction.objects.exists()


def test_other_customers_order_is_404(order, auth_client):
    response = auth_client(CustomerFactory()).post(URL, {"order_id": order.order_id, "provider": "sandbox"},
                                                   format="json")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "error": "Order not found."}


def test_paid_order_is_409(order, auth_client):
    from orders.services import order_mark_paid

    order_mark_paid(order_id=order.pk)
    response = auth_client(order.customer).post(URL, {"order_id": order.order_id, "provider": "sandbox"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"code": "already_paid", "error": "This order has already been paid."}


def test_unknown_provider_is_400(order, auth_client):
    response = auth_client(order.customer).post(URL, {"order_id": order.order_id, "provider": "cash"}, format="json")
    assert response.status_code == 400
    assert "provider" in response.json()["details"]


def test_gateway_timeout_is_503_and_attempt_marked_failed(order, auth_client, rsps):
    rsps.post(f"{PAYSTACK}/transaction/initialize", body=requests.Timeout("read timed out"))
    response = auth_client(order.customer).post(URL, {"order_id": order.order_id, "provider": "paystack"}, format="json")
    assert response.status_code == 503
    assert response.json() == {"code": "gateway_unavailable", "error": "Paystack is unavailable. Please try again."}
    assert Transaction.objects.get(order=order).status == "failed"


def test_gateway_refusal_is_502(order, auth_client, rsps):
    rsps.post(f"{PAYSTACK}/transaction/initialize", status=400,
              json={"status": False, "message": "Invalid Email Address Passed"})
    response = auth_client(order.customer).post(URL, {"order_id": order.order_id, "provider": "paystack"}, format="json")
    assert response.status_code == 502
    assert response.json()["error"] == "Paystack: Invalid Email Address Passed"


def test_gateway_garbage_is_502(order, auth_client):
    with responses.RequestsMock() as rsps:
        rsps.post(f"{PAYSTACK}/transaction/initialize", body="<html>oops</html>", status=200)
        response = auth_client(order.customer).post(URL, {"order_id": order.order_id, "provider": "paystack"},
                                                    format="json")
    assert response.status_code == 502


# --- callback_url: no open redirect (issue 11) ---

@pytest.mark.parametrize("callback_url", [
    "https://evil.example/cb",
    "http://127.0.0.1:3000.evil.example/cb",      # FRONTEND_URL's host as a prefix of another host
    "http://127.0.0.1:3000@evil.example/cb",      # FRONTEND_URL as userinfo
    "https://127.0.0.1:3000/cb",                  # same host, other scheme
    "http://127.0.0.1:3001/cb",                   # same host, other port
    "javascript:alert(1)",
    "http://testserver:99999/cb",                 # a port out of range
])
def test_callback_url_off_our_origins_is_a_400_and_nothing_is_sent(order, auth_client, rsps, settings,
                                                                  callback_url):
    settings.FRONTEND_URL = "http://127.0.0.1:3000"
    call = _paystack_init_ok(rsps)
    response = auth_client(order.customer).post(URL, {"order_id": order.order_id, "provider": "paystack",
                                                      "callback_url": callback_url}, format="json")
    assert response.status_code == 400, response.content
    assert "callback_url" in response.json()["details"]
    assert call.call_count == 0 and not Transaction.objects.exists()


@pytest.mark.parametrize("callback_url", [
    "http://127.0.0.1:3000/payment/callback?order=1",   # FRONTEND_URL (set below)
    "HTTPS://APP.PAYJARO.EXAMPLE/pay/done",              # scheme and host are case-insensitive
    "https://app.payjaro.example:443/cb",                # the allow-list setting, default port spelled out
])
def test_callback_url_on_our_origins_is_sent_to_the_gateway(order, auth_client, rsps, settings, callback_url):
    settings.PAYMENT_CALLBACK_ALLOWED_ORIGINS = ["https://app.payjaro.example"]
    settings.FRONTEND_URL = "http://127.0.0.1:3000"
    call = _paystack_init_ok(rsps)
    response = auth_client(order.customer).post(URL, {"order_id": order.order_id, "provider": "paystack",
                                                      "callback_url": callback_url}, format="json")
    assert response.status_code == 200, response.content
    assert json.loads(call.calls[0].request.body)["callback_url"] == callback_url


@pytest.mark.parametrize("field", ["order_id", "checkout_id"])
@pytest.mark.parametrize("value", ["²", "١٢", "9" * 25])
def test_non_ascii_or_huge_ids_are_a_404_not_a_500(order, auth_client, field, value):
    response = auth_client(order.customer).post(URL, {field: value, "provider": "paystack"}, format="json")
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
