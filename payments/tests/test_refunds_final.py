"""SPEC §6.9: a refund is pending until the gateway says it is done; refund.failed or a refusal flags it and
books nothing; Django admin's "Retry refund" never refunds twice (the gateway's refunds are checked first)."""
import json
from decimal import Decimal

import pytest
from django.test import Client

from orders.services import order_transition
from payments.ledger import ledger_audit
from payments.models import JournalEntry, Transaction
from payments.services import payment_confirm, refund_retry

from .factories import PAYSTACK, paystack_sign, paystack_verify_body

pytestmark = pytest.mark.django_db


def refund_body(status="pending", refund_id=3018284, amount=290000):
    """POST /refund and GET /refund/:id — documented shape (trimmed)."""
    return {"status": True, "message": "Refund has been queued for processing",
            "data": {"transaction": {"id": 1004723697, "reference": "x", "amount": amount}, "integration": 428626,
                     "deducted_amount": 0, "currency": "NGN", "amount": amount, "status": status, "id": refund_id,
                     "expected_at": "2026-12-03T10:00:00.000Z"}}


@pytest.fixture
def cancelled_paid_order(order, admin_user, rsps, django_capture_on_commit_callbacks):
    """A Paystack-paid order cancelled by an admin; POST /refund is mocked by each test."""
    txn = Transaction.objects.create(transaction_id=f"PJ-{order.order_id}-PSK", order=order, user=order.customer,
                                     amount=order.total_amount, provider="paystack")
    rsps.get(f"{PAYSTACK}/transaction/verify/{txn.transaction_id}",
             json=paystack_verify_body(txn.transaction_id, Decimal("2900.00"), txn_id=1004723697))
    payment_confirm(reference=txn.transaction_id)

    def cancel():
        with django_capture_on_commit_callbacks(execute=True):
            order_transition(order_id=order.pk, to_status="cancelled", actor=admin_user)
        return Transaction.objects.get(transaction_type="refund")

    return order, txn, cancel


def webhook(event, data):
    body = json.dumps({"event": event, "data": data}).encode()
    return Client().post("/api/payments/webhooks/paystack/", data=body, content_type="application/json",
                         HTTP_X_PAYSTACK_SIGNATURE=paystack_sign(body))


def assert_nothing_returned(order):
    order.refresh_from_db()
    assert order.payment_status == "paid"
    assert not JournalEntry.objects.filter(entry_type="refund").exists()
    assert ledger_audit() == []


def test_refund_failed_webhook_flags_books_nothing_and_retry_succeeds_once(cancelled_paid_order, rsps, admin_user):
    order, txn, cancel = cancelled_paid_order
    rsps.post(f"{PAYSTACK}/refund", json=refund_body("pending"))
    refund = cancel()
    rsps.get(f"{PAYSTACK}/refund/3018284", json=refund_body("failed"))
    response = webhook("refund.failed", {"status": "failed", "transaction_reference": txn.transaction_id,
                                         "amount": 290000, "currency": "NGN", "id": "3018284"})
    assert response.status_code == 200 and response.json()["result"] == "refund_failed"
    refund.refresh_from_db()
    assert (refund.status, refund.flagged) == ("failed", True) and "failed" in refund.flag_reason
    assert_nothing_returned(order)

    # Retry: Paystack's own list shows only the failed refund → one new refund is requested, and it is processed.
    listing = rsps.get(f"{PAYSTACK}/refund", json={"status": True, "message": "Refunds retrieved",
                                                   "data": [refund_body("failed")["data"]]})
    rsps.replace("POST", f"{PAYSTACK}/refund", json=refund_body("processed", refund_id=3018290))
    refund = refund_retry(refund_id=refund.pk, admin=admin_user)
    assert listing.calls[0].request.params == {"transaction": "1004723697"}
    assert (refund.status, refund.provider_reference, refund.flagged) == ("completed", "3018290", False)
    order.refresh_from_db()
    assert order.payment_status == "refunded"
    assert JournalEntry.objects.filter(entry_type="refund").count() == 1
    assert ledger_audit() == []
    with pytest.raises(Exception, match="only failed refunds are retried"):
        refund_retry(refund_id=refund.pk, admin=admin_user)
    posts = [c for c in rsps.calls if c.request.method == "POST" and c.request.url == f"{PAYSTACK}/refund"]
    assert len(posts) == 2  # the first attempt and exactly one retry


def test_retry_adopts_a_refund_the_gateway_already_holds(cancelled_paid_order, rsps, admin_user, client):
    """Our refund call was refused (e.g. a timeout-then-error), but Paystack did create one: the retry
    finds it in GET /refund?transaction= and never sends a second POST /refund."""
    order, txn, cancel = cancelled_paid_order
    post = rsps.post(f"{PAYSTACK}/refund", status=400, json={"status": False, "message": "Transaction has been fully reversed"})
    refund = cancel()
    refund.refresh_from_db()
    assert (refund.status, refund.flagged) == ("failed", True)
    assert "fully reversed" in refund.flag_reason
    assert_nothing_returned(order)

    rsps.get(f"{PAYSTACK}/refund", json={"status": True, "message": "Refunds retrieved",
                                         "data": [refund_body("processed", refund_id=777)["data"]]})
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    listing = client.get("/admin/payments/transaction/?flagged__exact=1")
    assert refund.transaction_id in listing.content.decode()
    response = client.post("/admin/payments/transaction/", {"action": "retry_refund", "_selected_action": [refund.pk]})
    assert response.status_code == 302
    assert post.call_count == 1  # no second refund request
    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.status, refund.provider_reference) == ("completed", "777")
    assert order.payment_status == "refunded"
    assert JournalEntry.objects.filter(entry_type="refund").count() == 1
    assert ledger_audit() == []


def test_pending_refund_is_not_booked_by_a_pending_status_check(cancelled_paid_order, rsps):
    order, txn, cancel = cancelled_paid_order
    rsps.post(f"{PAYSTACK}/refund", json=refund_body("pending"))
    refund = cancel()
    rsps.get(f"{PAYSTACK}/refund/3018284", json=refund_body("processing"))
    assert webhook("refund.processing", {"status": "processing", "transaction_reference": txn.transaction_id,
                                         "id": "3018284"}).json()["result"] == "refund_pending"
    refund.refresh_from_db()
    assert refund.status == "pending"
    assert_nothing_returned(order)


def test_two_runs_of_one_refund_send_it_once(cancelled_paid_order, rsps):
    """A redelivered task (or reconciliation) running while the first run waits for Paystack's answer: the second
    run finds the call claimed and in flight, and does not send it again (a partial refund sent twice is paid
    twice)."""
    from payments.services import payment_refund_process

    order, txn, cancel = cancelled_paid_order
    rsps.get(f"{PAYSTACK}/refund", json={"status": True, "message": "Refunds retrieved", "data": []})
    second_run = []

    def paystack_refund(request):
        refund = Transaction.objects.get(transaction_type="refund")
        second_run.append(payment_refund_process(refund_id=refund.pk).status)  # while the first call is in flight
        return 200, {}, json.dumps(refund_body("pending"))

    rsps.add_callback("POST", f"{PAYSTACK}/refund", callback=paystack_refund)
    refund = cancel()
    assert second_run == ["pending"]
    assert [c.request.method for c in rsps.calls if c.request.url.endswith("/refund")] == ["POST"]
    assert (refund.status, refund.provider_reference) == ("pending", "3018284")
    assert_nothing_returned(order)


def test_a_refund_sent_again_and_refused_adopts_the_one_the_gateway_holds(cancelled_paid_order, rsps):
    """The first call timed out but created the refund, which Paystack's list did not show yet; sent again (the first
    call over), the copy is refused — the refund Paystack holds by then is adopted, not failed."""
    import requests

    from payments.services import payment_refund_process
    from payments.tests.factories import sent_an_hour_ago

    order, txn, cancel = cancelled_paid_order
    rsps.post(f"{PAYSTACK}/refund", body=requests.Timeout("slow"))
    refund = cancel()
    rsps.replace("POST", f"{PAYSTACK}/refund", status=400,
                 json={"status": False, "message": "Transaction has been fully reversed"})
    sent_an_hour_ago(refund)
    # Paystack's list: empty before the copy is sent, then showing the first call's refund.
    rsps.get(f"{PAYSTACK}/refund", json={"status": True, "message": "Refunds retrieved", "data": []})
    rsps.get(f"{PAYSTACK}/refund", json={"status": True, "message": "Refunds retrieved",
                                         "data": [refund_body("processed")["data"]]})
    refund = payment_refund_process(refund_id=refund.pk)
    calls = [c.request.method for c in rsps.calls if c.request.url.split("?")[0].endswith("/refund")]
    assert calls == ["POST", "GET", "POST", "GET"]  # timed out; listed (none); sent again, refused; listed: adopted
    assert (refund.status, refund.provider_reference, refund.flagged) == ("completed", "3018284", False)
    order.refresh_from_db()
    assert order.payment_status == "refunded"
    assert JournalEntry.objects.filter(entry_type="refund").count() == 1
    assert ledger_audit() == []


def test_paystacks_refund_list_keeps_only_the_refunds_of_the_charge_asked_about(rsps):
    from payments.gateways import PaystackClient

    other = refund_body("processed", refund_id=999)["data"]
    other["transaction"] = {"id": 555, "reference": "someone-else"}
    ours = refund_body("pending")["data"]
    rsps.get(f"{PAYSTACK}/refund", json={"status": True, "message": "Refunds retrieved", "data": [other, ours]})
    assert [r.provider_reference for r in PaystackClient().list_refunds(transaction="1004723697")] == ["3018284"]
    assert [r.provider_reference for r in PaystackClient().list_refunds(transaction="someone-else")] == ["999"]


def test_a_refund_of_another_amount_the_gateway_holds_is_not_adopted(cancelled_paid_order, rsps):
    """A checkout's charge may carry partial refunds of other amounts (another order's parcel, refunded while both
    calls went unanswered): a retry adopts only a refund of its own amount — adopting another would book this one
    as returned and leave the other to be sent a second time."""
    import requests

    from payments.services import payment_refund_process
    from payments.tests.factories import sent_an_hour_ago

    order, txn, cancel = cancelled_paid_order
    rsps.post(f"{PAYSTACK}/refund", body=requests.Timeout("slow"))
    refund = cancel()
    sent_an_hour_ago(refund)
    rsps.get(f"{PAYSTACK}/refund", json={"status": True, "message": "Refunds retrieved",
                                         "data": [refund_body("processed", refund_id=777, amount=100000)["data"]]})
    rsps.replace("POST", f"{PAYSTACK}/refund", json=refund_body("pending"))
    refund = payment_refund_process(refund_id=refund.pk)
    assert (refund.status, refund.provider_reference) == ("pending", "3018284")  # sent, not the ₦1,000 one adopted
    assert_nothing_returned(order)


def test_a_refund_event_of_another_amount_is_not_taken_for_a_pending_refund(cancelled_paid_order, rsps):
    order, txn, cancel = cancelled_paid_order
    rsps.post(f"{PAYSTACK}/refund", status=503, json={"status": False, "message": "try later"})
    refund = cancel()
    assert (refund.status, refund.provider_reference) == ("pending", "")
    fetch = rsps.get(f"{PAYSTACK}/refund/777", json=refund_body("processed", refund_id=777, amount=100000))
    response = webhook("refund.processed", {"id": 777, "status": "processed", "amount": 100000, "currency": "NGN",
                                            "transaction_reference": txn.transaction_id})
    assert response.status_code == 200
    assert fetch.call_count == 0
    refund.refresh_from_db()
    assert (refund.status, refund.provider_reference) == ("pending", "")
    assert_nothing_returned(order)

    rsps.get(f"{PAYSTACK}/refund/3018284", json=refund_body("processed"))
    response = webhook("refund.processed", {"id": 3018284, "status": "processed", "amount": 290000,
                                            "currency": "NGN", "transaction_reference": txn.transaction_id})
    refund.refresh_from_db()
    assert (refund.status, refund.provider_reference) == ("completed", "3018284")


def test_an_unavailable_gateway_never_puts_back_an_older_claim(cancelled_paid_order, rsps):
    """This run read the refund, then Paystack's refund list was unavailable; meanwhile another run claimed the call
    (sent_at moved on) and is waiting for its answer. Noting the error keeps that claim: with the older sent_at put
    back, a third run would find the resend due and send a second copy."""
    import requests
    from django.utils import timezone

    from payments.services import payment_refund_process
    from payments.services.refunds import _claim_send
    from payments.tests.factories import sent_an_hour_ago

    order, txn, cancel = cancelled_paid_order
    rsps.post(f"{PAYSTACK}/refund", body=requests.Timeout("slow"))
    refund = cancel()
    sent_an_hour_ago(refund)
    refund.refresh_from_db()
    claimed = []

    def list_while_another_run_claims(request):
        claimed.append(_claim_send(refund.pk, refund.metadata["sent_at"], timezone.now()).metadata["sent_at"])
        return 503, {}, json.dumps({"status": False, "message": "Service unavailable"})

    rsps.add_callback("GET", f"{PAYSTACK}/refund", callback=list_while_another_run_claims)
    payment_refund_process(refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.metadata["sent_at"] == claimed[0]
    assert refund.metadata["last_error"]  # noted all the same


def test_pending_refunds_take_turns_in_reconciliation(cancelled_paid_order, rsps, monkeypatch):
    """More refunds wait at the gateway than one run looks at: each asked about is stamped (its status saved), so the
    next run asks about the others — one whose task was never enqueued is not stuck behind the same 200 for ever."""
    from datetime import timedelta

    from django.utils import timezone

    from payments.services import payments_reconcile, reconciliation

    order, txn, cancel = cancelled_paid_order
    rsps.post(f"{PAYSTACK}/refund", json=refund_body("pending", refund_id=1))
    first = cancel()
    others = [Transaction.objects.create(
        transaction_id=f"RF-TURN-{n}", order=order, user=order.customer, transaction_type="refund",
        amount=Decimal("1.00"), provider="paystack", provider_reference=str(n), status="pending",
        metadata={"payment_reference": txn.transaction_id}) for n in (2, 3)]
    refunds = [first, *others]
    hour_ago = timezone.now() - timedelta(hours=1)
    for n, refund in enumerate(refunds):  # created (and last looked at) in this order
        Transaction.objects.filter(pk=refund.pk).update(created_at=hour_ago + timedelta(seconds=n),
                                                        updated_at=hour_ago + timedelta(seconds=n))
    asked = {"3": rsps.get(f"{PAYSTACK}/refund/3", json=refund_body("pending", refund_id=3))}
    # The first two's status checks are refused every time: a look that changes nothing still gives the others a turn.
    asked.update({str(n): rsps.get(f"{PAYSTACK}/refund/{n}", status=404,
                                   json={"status": False, "message": "Refund not found"}) for n in (1, 2)})
    monkeypatch.setattr(reconciliation, "RECONCILE_PER_RUN", 2)
    payments_reconcile()
    assert [asked[n].call_count for n in ("1", "2", "3")] == [1, 1, 0]
    payments_reconcile()
    assert asked["3"].call_count == 1  # its turn, before the two asked about in the first run
    assert Transaction.objects.filter(transaction_type="refund", status="pending").count() == 3
