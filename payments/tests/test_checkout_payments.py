"""One payment for a checkout (SPEC §5.1): initialize for the checkout total, confirmation pays every order
once with its own ledger journal, and cancelling one paid order refunds exactly that order's total."""
import json
from decimal import Decimal as D

import pytest

from orders.models import Order
from orders.services import OrderLine, checkout_create, order_transition
from orders.tests.factories import VALID_ADDRESS, make_store
from payments.ledger import ledger_audit
from payments.models import Earnings, JournalEntry, LedgerAccount, Transaction, Wallet
from payments.services import refund_schedule
from tests.factories import AdminFactory, CustomerFactory

from .factories import (
    FLUTTERWAVE,
    PAYSTACK,
    flutterwave_verify_body,
    paystack_charge_success,
    paystack_sign,
    paystack_verify_body,
)

pytestmark = pytest.mark.django_db
INIT = "/api/payments/initialize/"
PAYSTACK_HOOK = "/api/payments/webhooks/paystack/"
PAYSTACK_TXN_ID = 4099260516


@pytest.fixture
def checkout():
    """Supplier A: 2 × ₦1,200 (base ₦1,000) + ₦500 = ₦2,900; supplier B: ₦2,500 (base ₦2,000) + ₦500 = ₦3,000."""
    a = make_store(base_price=D("1000.00"), selling_price=D("1200.00"))
    b = make_store(entrepreneur=a.entrepreneur, base_price=D("2000.00"), selling_price=D("2500.00"))
    return checkout_create(customer=CustomerFactory(), entrepreneur_custom_url=a.custom_url,
                           shipping_address=dict(VALID_ADDRESS),
                           items=[OrderLine(product_id=a.product.pk, quantity=2), OrderLine(product_id=b.product.pk, quantity=1)])


def orders_of(checkout):
    return list(Order.objects.filter(checkout=checkout).order_by("supplier_id"))


def paystack_initialize(rsps):
    return rsps.post(f"{PAYSTACK}/transaction/initialize", json={
        "status": True, "message": "Authorization URL created",
        "data": {"authorization_url": "https://checkout.paystack.com/0peioxfhpn", "access_code": "0peioxfhpn",
                 "reference": "ignored"}})


def initialize(auth_client, checkout, rsps, provider="paystack"):
    response = auth_client(checkout.customer).post(INIT, {"checkout_id": checkout.checkout_id, "provider": provider},
                                                   format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_one_paystack_initialize_for_the_checkout_total_in_kobo(checkout, auth_client, rsps):
    call = paystack_initialize(rsps)
    data = initialize(auth_client, checkout, rsps)
    sent = json.loads(call.calls[0].request.body)
    assert sent["amount"] == 590000 and sent["currency"] == "NGN"
    assert sent["reference"] == data["reference"] and data["reference"].startswith(f"PJ-{checkout.checkout_id}-")
    assert sent["metadata"]["checkout_id"] == checkout.checkout_id
    assert (data["amount"], data["payment_url"]) == ("5900.00", "https://checkout.paystack.com/0peioxfhpn")
    txn = Transaction.objects.get()
    assert (txn.checkout_id, txn.order_id, txn.amount) == (checkout.pk, None, D("5900.00"))


def test_signed_charge_success_three_times_pays_both_orders_once(checkout, auth_client, api_client, rsps):
    paystack_initialize(rsps)
    reference = initialize(auth_client, checkout, rsps)["reference"]
    rsps.get(f"{PAYSTACK}/transaction/verify/{reference}",
             json=paystack_verify_body(reference, D("5900.00"), txn_id=PAYSTACK_TXN_ID))
    body = paystack_charge_success(reference, D("5900.00"), txn_id=PAYSTACK_TXN_ID)
    for _ in range(3):
        response = api_client.post(PAYSTACK_HOOK, data=body, content_type="application/json",
                                   HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))
        assert response.status_code == 200
    # the verify endpoint racing in afterwards changes nothing either
    assert auth_client(checkout.customer).get(f"/api/payments/verify/{reference}/").json()["checkout_id"] == (
        checkout.checkout_id)

    a, b = orders_of(checkout)
    for order in (a, b):
        assert (order.status, order.payment_status, order.payment_method) == ("paid", "paid", "paystack")
        assert order.status_history.filter(status="paid").count() == 1
        assert JournalEntry.objects.filter(entry_type="payment", order=order).count() == 1
        assert Earnings.objects.filter(order=order).count() == 2
    split = {order.order_id: {line.account: line.amount
                              for line in JournalEntry.objects.get(entry_type="payment", order=order).lines.all()}
             for order in (a, b)}
    # A: markup 400 + commission 120 | supplier 2000 − 10% | platform the rest
    assert split[a.order_id] == {LedgerAccount.GATEWAY_CLEARING: D("-2900.00"),
                                 LedgerAccount.ENTREPRENEUR_PENDING: D("520.00"),
                                 LedgerAccount.SUPPLIER_PAYABLE: D("1800.00"), LedgerAccount.PLATFORM_REVENUE: D("580.00")}
    # B: markup 500 + commission 125 | supplier 2000 − 10% | platform the rest
    assert split[b.order_id] == {LedgerAccount.GATEWAY_CLEARING: D("-3000.00"),
                                 LedgerAccount.ENTREPRENEUR_PENDING: D("625.00"),
                                 LedgerAccount.SUPPLIER_PAYABLE: D("1800.00"), LedgerAccount.PLATFORM_REVENUE: D("575.00")}
    assert Wallet.objects.get(user=a.entrepreneur.user).pending_balance == D("1145.00")
    txn = Transaction.objects.get(transaction_type="payment")
    assert txn.status == "completed" and txn.provider_reference == str(PAYSTACK_TXN_ID)
    assert auth_client(checkout.customer).get(f"/api/orders/checkouts/{checkout.pk}/").json()["status"] == "paid"
    assert ledger_audit() == []


def test_amount_below_the_checkout_total_is_flagged_and_pays_nothing(checkout, auth_client, api_client, rsps):
    paystack_initialize(rsps)
    reference = initialize(auth_client, checkout, rsps)["reference"]
    rsps.get(f"{PAYSTACK}/transaction/verify/{reference}", json=paystack_verify_body(reference, D("2900.00")))
    body = paystack_charge_success(reference, D("2900.00"))
    assert api_client.post(PAYSTACK_HOOK, data=body, content_type="application/json",
                           HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body)).json()["result"] == "payment_failed_flagged"
    txn = Transaction.objects.get()
    assert txn.flagged and "amount 2900.00 instead of 5900.00" in txn.flag_reason
    assert {o.payment_status for o in orders_of(checkout)} == {"pending"}
    assert not JournalEntry.objects.exists()


def test_wrong_currency_is_flagged(checkout, auth_client, rsps):
    from payments.services import payment_confirm

    paystack_initialize(rsps)
    reference = initialize(auth_client, checkout, rsps)["reference"]
    rsps.get(f"{PAYSTACK}/transaction/verify/{reference}",
             json=paystack_verify_body(reference, D("5900.00"), currency="USD"))
    assert payment_confirm(reference=reference).flagged
    assert not JournalEntry.objects.exists()


def test_cancelling_one_paid_order_refunds_exactly_its_total(checkout, auth_client, api_client, rsps,
                                                             django_capture_on_commit_callbacks):
    paystack_initialize(rsps)
    reference = initialize(auth_client, checkout, rsps)["reference"]
    rsps.get(f"{PAYSTACK}/transaction/verify/{reference}",
             json=paystack_verify_body(reference, D("5900.00"), txn_id=PAYSTACK_TXN_ID))
    body = paystack_charge_success(reference, D("5900.00"), txn_id=PAYSTACK_TXN_ID)
    api_client.post(PAYSTACK_HOOK, data=body, content_type="application/json", HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))
    refund_call = rsps.post(f"{PAYSTACK}/refund", json={
        "status": True, "message": "Refund has been queued for processing",
        "data": {"transaction": {"id": PAYSTACK_TXN_ID, "reference": reference, "amount": 590000},
                 "integration": 428626, "deducted_amount": 0, "channel": None, "merchant_note": "", "customer_note": "",
                 # "processed": the money is back (a "pending" refund is booked only when it is — test_refunds_final)
                 "status": "processed", "refunded_by": "ops@payjaro.ng", "expected_at": "2026-12-03T10:00:00.000Z",
                 "currency": "NGN", "amount": 300000, "id": 3018284}})
    a, b = orders_of(checkout)

    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=b.pk, to_status="cancelled", actor=AdminFactory(), notes="Supplier out of stock")

    assert json.loads(refund_call.calls[0].request.body) == {"transaction": str(PAYSTACK_TXN_ID), "amount": 300000}
    refund = Transaction.objects.get(transaction_type="refund")
    assert (refund.amount, refund.order_id, refund.checkout_id, refund.status) == (
        D("3000.00"), b.pk, checkout.pk, "completed")
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.payment_status) == ("paid", "paid")  # the other parcel is untouched
    assert (b.status, b.payment_status) == ("cancelled", "refunded")
    assert Transaction.objects.get(transaction_type="payment").status == "completed"  # partly refunded only
    assert Wallet.objects.get(user=a.entrepreneur.user).pending_balance == D("520.00")
    assert set(Earnings.objects.filter(order=a).values_list("status", flat=True)) == {"pending"}
    assert auth_client(checkout.customer).get(f"/api/orders/checkouts/{checkout.pk}/").json()["status"] == (
        "partially_cancelled")
    assert ledger_audit() == []

    # the second parcel cancelled too: the whole charge is given back, and only then is it reversed
    rsps.replace("POST", f"{PAYSTACK}/refund", json={"status": True, "message": "Refund has been queued for processing",
                                                      "data": {"status": "processed", "amount": 290000, "id": 3018285}})
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=a.pk, to_status="cancelled", actor=AdminFactory())
    assert sorted(Transaction.objects.filter(transaction_type="refund").values_list("amount", flat=True)) == [
        D("2900.00"), D("3000.00")]
    assert Transaction.objects.get(transaction_type="payment").status == "reversed"
    assert ledger_audit() == []


def test_refunds_of_a_checkout_never_exceed_what_was_charged(checkout, auth_client, rsps,
                                                             django_capture_on_commit_callbacks):
    from payments.services import payment_confirm

    paystack_initialize(rsps)
    reference = initialize(auth_client, checkout, rsps)["reference"]
    rsps.get(f"{PAYSTACK}/transaction/verify/{reference}", json=paystack_verify_body(reference, D("5900.00")))
    payment_confirm(reference=reference)
    rsps.post(f"{PAYSTACK}/refund", json={"status": True, "message": "Refund has been queued for processing",
                                          "data": {"status": "pending", "id": 1}})
    a, b = orders_of(checkout)
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=a.pk, to_status="cancelled", actor=AdminFactory())
    # a second refund of more than is left (5900 − 2900 = 3000) is refused outright
    assert refund_schedule(order=b, amount=D("3000.01"), reason="test") is None
    assert refund_schedule(order=a, amount=D("3000.00"), reason="test") is not None  # exactly what is left
    assert refund_schedule(order=b, amount=D("0.01"), reason="test") is None
    assert sum(Transaction.objects.filter(transaction_type="refund").values_list("amount", flat=True)) == D("5900.00")


def test_checkout_with_a_cancelled_order_cannot_be_paid_in_one_go(checkout, auth_client):
    a, _b = orders_of(checkout)
    order_transition(order_id=a.pk, to_status="cancelled", actor=checkout.customer)
    response = auth_client(checkout.customer).post(INIT, {"checkout_id": checkout.checkout_id, "provider": "paystack"},
                                                   format="json")
    assert response.status_code == 409
    assert response.json()["details"]["orders"] == [{"order_id": a.order_id, "status": "cancelled",
                                                      "payment_status": "pending"}]
    assert not Transaction.objects.exists()


def test_someone_elses_checkout_is_404_and_exactly_one_reference_is_needed(checkout, auth_client):
    client = auth_client(CustomerFactory())
    assert client.post(INIT, {"checkout_id": checkout.checkout_id, "provider": "paystack"},
                       format="json").status_code == 404
    own = auth_client(checkout.customer)
    assert own.post(INIT, {"provider": "paystack"}, format="json").status_code == 400
    both = {"checkout_id": checkout.checkout_id, "order_id": orders_of(checkout)[0].order_id, "provider": "paystack"}
    assert own.post(INIT, both, format="json").status_code == 400


def test_flutterwave_checkout_payment(checkout, auth_client, rsps):
    from payments.services import payment_confirm

    call = rsps.post(f"{FLUTTERWAVE}/payments", json={"status": "success", "message": "Hosted Link",
                                                       "data": {"link": "https://checkout.flutterwave.com/v3/hosted/pay/x"}})
    reference = initialize(auth_client, checkout, rsps, provider="flutterwave")["reference"]
    assert json.loads(call.calls[0].request.body)["amount"] == "5900.00"
    rsps.get(f"{FLUTTERWAVE}/transactions/verify_by_reference", json=flutterwave_verify_body(reference, D("5900.00")))
    assert payment_confirm(reference=reference).status == "completed"
    assert {o.payment_status for o in orders_of(checkout)} == {"paid"}
    assert ledger_audit() == []


def test_sandbox_checkout_page_pays_the_checkout(checkout, auth_client, api_client):
    data = initialize(auth_client, checkout, None, provider="sandbox")
    path = data["payment_url"].removeprefix("http://testserver")
    page = api_client.get(path).content.decode()
    assert checkout.checkout_id in page and "₦5900.00" in page
    page = api_client.post(path, {"outcome": "pay"}).content.decode()
    assert "Checkout is paid" in page
    assert {o.payment_status for o in orders_of(checkout)} == {"paid"}


def _stale(reference):
    from datetime import timedelta

    from django.utils import timezone

    Transaction.objects.filter(transaction_id=reference).update(created_at=timezone.now() - timedelta(hours=1))


def _reservation_over(checkout):
    from datetime import timedelta

    from django.utils import timezone

    Order.objects.filter(checkout=checkout).update(reserved_until=timezone.now() - timedelta(minutes=1))


def test_an_abandoned_checkout_payment_fails_once_its_reservation_is_over(checkout, auth_client, rsps):
    """The storefront pays every cart as a checkout: an attempt the shopper walked away from must not stay pending
    forever (reconciliation would verify it on every run)."""
    from payments.tasks import reconcile_pending_transactions

    paystack_initialize(rsps)
    reference = initialize(auth_client, checkout, rsps)["reference"]
    _stale(reference)
    verify = rsps.get(f"{PAYSTACK}/transaction/verify/{reference}",
                      json=paystack_verify_body(reference, D("5900.00"), status="abandoned"))
    reconcile_pending_transactions.delay().get()
    assert Transaction.objects.get(transaction_id=reference).status == "pending"  # the reservation still runs
    _reservation_over(checkout)
    reconcile_pending_transactions.delay().get()
    txn = Transaction.objects.get(transaction_id=reference)
    assert (txn.status, txn.flagged) == ("failed", False)
    reconcile_pending_transactions.delay().get()
    assert verify.call_count == 2  # final: not verified again


def test_a_checkout_payment_the_gateway_never_saw_fails_once_nothing_is_payable(checkout, auth_client, rsps):
    """Flutterwave answers "No transaction was found" for a payment page never opened: once the reservation is over,
    the attempt fails instead of being verified on every run."""
    from payments.tasks import reconcile_pending_transactions

    rsps.post(f"{FLUTTERWAVE}/payments", json={"status": "success", "message": "Hosted Link",
                                               "data": {"link": "https://checkout.flutterwave.com/v3/hosted/pay/x"}})
    reference = initialize(auth_client, checkout, rsps, provider="flutterwave")["reference"]
    _stale(reference)
    rsps.get(f"{FLUTTERWAVE}/transactions/verify_by_reference", status=400,
             json={"status": "error", "message": "No transaction was found for this id", "data": None})
    reconcile_pending_transactions.delay().get()
    assert Transaction.objects.get(transaction_id=reference).status == "pending"
    _reservation_over(checkout)
    assert reconcile_pending_transactions.delay().get()["payments"] == 1
    txn = Transaction.objects.get(transaction_id=reference)
    assert txn.status == "failed" and "No transaction was found" in txn.metadata["gateway_error"]


def test_reconciliation_takes_the_least_recently_verified_payments_first(checkout, auth_client, rsps, settings):
    """Attempts that stay pending take their turn: a verification stamps the attempt, the next run starts with the
    ones looked at longest ago (a run's 200 are never filled by the same old attempts)."""
    from datetime import timedelta

    from django.utils import timezone

    from payments.services.reconciliation import payments_reconcile

    paystack_initialize(rsps)
    first = initialize(auth_client, checkout, rsps)["reference"]
    second = initialize(auth_client, checkout, rsps)["reference"]
    # The first attempt is the older one, but was looked at more recently.
    for reference, created, looked_at in ((first, 90, 15), (second, 60, 50)):
        Transaction.objects.filter(transaction_id=reference).update(
            created_at=timezone.now() - timedelta(minutes=created), updated_at=timezone.now() - timedelta(minutes=looked_at))
        rsps.get(f"{PAYSTACK}/transaction/verify/{reference}",
                 json=paystack_verify_body(reference, D("5900.00"), status="ongoing"))
    payments_reconcile()
    verified = [c.request.url.rsplit("/", 1)[-1] for c in rsps.calls if "/transaction/verify/" in c.request.url]
    assert verified == [second, first]
    payments_reconcile()
    verified = [c.request.url.rsplit("/", 1)[-1] for c in rsps.calls if "/transaction/verify/" in c.request.url]
    assert verified[2:] == [second, first]  # both stamped in that order: the same turn again


@pytest.mark.parametrize("minutes_ago,sent_again", [(10, False), (31, True)])
def test_a_partial_refund_whose_call_went_unanswered_waits_before_it_is_sent_again(
        checkout, auth_client, rsps, django_capture_on_commit_callbacks, minutes_ago, sent_again):
    """One order of a checkout's charge is refunded and the call times out: Paystack may have created the refund
    without listing it yet, and a second copy of a partial refund would be paid (not refused as "fully reversed").
    With the list still empty it is sent again only REFUND_PARTIAL_RESEND_MINUTES (30) after the first call."""
    from datetime import timedelta

    import requests
    from django.utils import timezone

    from payments.services import payment_confirm, payment_refund_process

    paystack_initialize(rsps)
    reference = initialize(auth_client, checkout, rsps)["reference"]
    rsps.get(f"{PAYSTACK}/transaction/verify/{reference}",
             json=paystack_verify_body(reference, D("5900.00"), txn_id=PAYSTACK_TXN_ID))
    payment_confirm(reference=reference)
    rsps.post(f"{PAYSTACK}/refund", body=requests.Timeout("slow"))
    _a, b = orders_of(checkout)
    with django_capture_on_commit_callbacks(execute=True):
        order_transition(order_id=b.pk, to_status="cancelled", actor=AdminFactory())
    refund = Transaction.objects.get(transaction_type="refund")
    assert (refund.status, refund.amount, refund.metadata["partial"]) == ("pending", D("3000.00"), True)

    sent = (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()
    Transaction.objects.filter(pk=refund.pk).update(metadata={**refund.metadata, "sent_at": sent})
    rsps.get(f"{PAYSTACK}/refund", json={"status": True, "message": "Refunds retrieved", "data": []})
    rsps.replace("POST", f"{PAYSTACK}/refund", json={
        "status": True, "message": "Refund has been queued for processing",
        "data": {"transaction": {"id": PAYSTACK_TXN_ID, "reference": reference, "amount": 590000},
                 "status": "pending", "currency": "NGN", "amount": 300000, "id": 3018284}})
    posts_before = sum(c.request.method == "POST" and c.request.url.endswith("/refund") for c in rsps.calls)
    refund = payment_refund_process(refund_id=refund.pk)
    posts = sum(c.request.method == "POST" and c.request.url.endswith("/refund") for c in rsps.calls) - posts_before
    assert posts == (1 if sent_again else 0)
    assert refund.status == "pending"
    assert refund.provider_reference == ("3018284" if sent_again else "")
