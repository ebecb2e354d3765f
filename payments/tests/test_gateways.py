"""The gateway clients against the documented HTTP shapes (mocked with ``responses``; client code real)."""
import base64
import hashlib
import hmac
from decimal import Decimal

import pytest
import requests

from core.errors import GatewayError, GatewayUnavailable
from payments.gateways import FAILED, PENDING, SUCCESS, FlutterwaveClient, PaystackClient, flutterwave, paystack

from .factories import FLUTTERWAVE, PAYSTACK, flutterwave_verify_body, paystack_verify_body


def test_paystack_signature_is_hmac_sha512_of_raw_body():
    body = b'{"event":"charge.success","data":{"reference":"r"}}'
    good = hmac.new(b"sk_test_payjaro", body, hashlib.sha512).hexdigest()
    assert paystack.verify_signature(body, good)
    assert paystack.verify_signature(body, good.upper())
    assert not paystack.verify_signature(body + b" ", good)
    assert not paystack.verify_signature(body, None)
    assert not paystack.verify_signature(body, good, secret_key="")


def test_flutterwave_signatures():
    body = b'{"event":"charge.completed"}'
    signature = base64.b64encode(hmac.new(b"flw-test-hash", body, hashlib.sha256).digest()).decode()
    assert flutterwave.verify_signature(body, verif_hash=None, signature=signature)
    assert flutterwave.verify_signature(body, verif_hash="flw-test-hash", signature=None)
    assert flutterwave.verify_signature(body, verif_hash="flw-test-hash", signature="AAAA")  # either one suffices
    assert flutterwave.verify_signature(body, verif_hash="wrong", signature=signature)
    assert not flutterwave.verify_signature(body, verif_hash="wrong", signature="AAAA")
    assert not flutterwave.verify_signature(body, verif_hash=None, signature=None)
    assert not flutterwave.verify_signature(body, verif_hash="", signature=None, secret_hash="")


@pytest.mark.parametrize("gateway_status,ours", [("success", SUCCESS), ("failed", FAILED), ("abandoned", PENDING),
                                                 ("ongoing", PENDING), ("pending", PENDING)])
def test_paystack_verify_maps_status_and_kobo(rsps, gateway_status, ours):
    rsps.get(f"{PAYSTACK}/transaction/verify/REF-1", json=paystack_verify_body("REF-1", Decimal("1234.56"),
                                                                               status=gateway_status))
    result = PaystackClient().verify("REF-1")
    assert (result.status, result.amount, result.currency, result.provider_reference) == (
        ours, Decimal("1234.56"), "NGN", "4099260516")


def test_paystack_unknown_reference_is_gateway_error(rsps):
    rsps.get(f"{PAYSTACK}/transaction/verify/NOPE", status=400,
             json={"status": False, "message": "Transaction reference not found"})
    with pytest.raises(GatewayError) as exc:
        PaystackClient().verify("NOPE")
    assert exc.value.status_code == 502 and exc.value.message == "Paystack: Transaction reference not found"


@pytest.mark.parametrize("failure", [requests.Timeout("t"), requests.ConnectionError("c")])
def test_transport_failures_are_gateway_unavailable(rsps, failure):
    rsps.get(f"{PAYSTACK}/transaction/verify/R", body=failure)
    with pytest.raises(GatewayUnavailable) as exc:
        PaystackClient().verify("R")
    assert exc.value.status_code == 503


def test_gateway_5xx_is_unavailable(rsps):
    rsps.get(f"{FLUTTERWAVE}/transactions/verify_by_reference", status=502, body="Bad gateway")
    with pytest.raises(GatewayUnavailable):
        FlutterwaveClient().verify("R")


def test_timeout_setting_is_used(rsps, settings):
    settings.PAYMENT_GATEWAY_TIMEOUT = 7
    rsps.get(f"{PAYSTACK}/transaction/verify/R", json=paystack_verify_body("R", Decimal("1.00")))
    PaystackClient().verify("R")
    assert rsps.calls[0].request.req_kwargs["timeout"] == 7


def test_flutterwave_verify_reads_naira_exactly(rsps):
    rsps.get(f"{FLUTTERWAVE}/transactions/verify_by_reference", json=flutterwave_verify_body("R", Decimal("2900.10")))
    result = FlutterwaveClient().verify("R")
    assert (result.status, result.amount, result.provider_reference) == (SUCCESS, Decimal("2900.10"), "288200108")


def test_flutterwave_verify_refuses_another_reference(rsps):
    rsps.get(f"{FLUTTERWAVE}/transactions/verify_by_reference", json=flutterwave_verify_body("OTHER", Decimal("1")))
    with pytest.raises(GatewayError):
        FlutterwaveClient().verify("R")


def test_flutterwave_refund_posts_to_the_transaction_id(rsps):
    import json

    call = rsps.post(f"{FLUTTERWAVE}/transactions/288200108/refund", json={
        "status": "success", "message": "Transaction refund initiated",
        "data": {"id": 75923, "tx_id": 288200108, "amount_refunded": 2900, "status": "completed"}})
    result = FlutterwaveClient().refund(reference="R", amount=Decimal("2900.00"), provider_reference="288200108")
    assert result.status == SUCCESS and result.provider_reference == "75923"
    assert json.loads(call.calls[0].request.body) == {"amount": "2900.00"}


def test_paystack_refuses_sub_kobo_amounts():
    with pytest.raises(ValueError):
        PaystackClient().initialize(reference="R", amount=Decimal("1.005"), email="a@b.c")
