"""notify() → the notifications app: sent once after commit, never on rollback, Twilio failures retried, never surfacing."""
import base64
import logging
from decimal import Decimal
from unittest import mock
from urllib.parse import parse_qs

import pytest
import responses
from django.core import mail
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from analytics.tests.factories import make_order
from core.notifications import notify
from notifications.messages import EVENTS
from orders.models import Checkout, Order
from payjaro_project.celery import app as celery_app
from payments.models import PaymentMethod, WithdrawalRequest
from tests.factories import AdminFactory, CustomerFactory, EntrepreneurFactory, ProductFactory, SupplierFactory

pytestmark = pytest.mark.django_db

SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"


@pytest.fixture
def twilio(settings):
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = "twilio-token"
    settings.TWILIO_PHONE_NUMBER = "+15005550006"
    settings.TWILIO_BASE_URL = "https://api.twilio.com"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        yield mocked


def twilio_ok(mocked, times=1):
    for _ in range(times):
        mocked.add(responses.POST, TWILIO_URL, json={"sid": "SM123", "status": "queued"}, status=201)


def sms_sent(mocked):
    return [parse_qs(call.request.body)["To"][0] for call in mocked.calls]


@pytest.fixture
def people():
    customer = CustomerFactory(email="buyer@example.com", phone_number="+2348030000001", first_name="Chidi")
    shop = EntrepreneurFactory(user__email="shop@example.com", user__phone_number="+2348030000002",
                               business_name="Ada & Sons \"Wears\"")
    supplier = SupplierFactory(user__email="supplier@example.com", user__phone_number="+2348030000003")
    AdminFactory(email="ops@example.com", phone_number="+2348030000004")  # hears only of supplier_kyc_changed
    product = ProductFactory(supplier=supplier, name="Ankara <Tote>")
    order = make_order(entrepreneur=shop, lines=[(product, 2, "1200.00")], created_at=timezone.now(), customer=customer)
    return {"customer": customer, "shop": shop, "supplier": supplier, "order": order}


def withdrawal_for(shop, **fields):
    method = PaymentMethod.objects.create(user=shop.user, method_type="bank_transfer", provider="paystack",
                                          details={"account_number": "0123456789", "bank_code": "058",
                                                   "account_name": "Ada Obi"})
    return WithdrawalRequest.objects.create(
        entrepreneur=shop, payment_method=method, amount=Decimal("5000.00"), processing_fee=Decimal("100.00"),
        net_amount=Decimal("4900.00"), reference_id="wd_0123456789abcdef", **fields)


EXPECTED = {
    "order_placed": ({"shop@example.com", "supplier@example.com"}, "New order {order} on Payjaro"),
    "order_paid": ({"buyer@example.com", "shop@example.com", "supplier@example.com"}, None),
    "order_shipped": ({"buyer@example.com"}, "Your order {order} has shipped"),
    "order_delivered": ({"buyer@example.com", "shop@example.com"}, "Order {order} delivered"),
    "supplier_verified": ({"supplier@example.com"}, None),
    "supplier_rejected": ({"supplier@example.com"}, "Your Payjaro supplier application"),
    "supplier_kyc_changed": ({"supplier@example.com", "ops@example.com"}, None),
    "withdrawal_completed": ({"shop@example.com"}, "Withdrawal wd_0123456789abcdef completed"),
    "withdrawal_failed": ({"shop@example.com"}, "Withdrawal wd_0123456789abcdef failed"),
    "order_late_payment_refunded": ({"buyer@example.com"}, "Your payment for order {order} is being refunded"),
    "cod_order_placed": ({"buyer@example.com", "shop@example.com", "supplier@example.com"},
                         "Pay-on-delivery order {order} on Payjaro"),
    "cod_phone_code": (set(), None),  # an SMS to the phone being confirmed, no email (EXTRA_SMS)
    "checkout_placed": ({"buyer@example.com"}, 'Your order CHK-T1 from Ada & Sons "Wears"'),
}
COD_PHONE = "+2348030000009"
EXTRA_SMS = {"cod_phone_code": [COD_PHONE]}
PHONES = {"buyer@example.com": "+2348030000001", "shop@example.com": "+2348030000002",
          "supplier@example.com": "+2348030000003", "ops@example.com": "+2348030000004"}


def checkout_for(people):
    order = people["order"]
    checkout = Checkout.objects.create(checkout_id="CHK-T1", customer=order.customer, entrepreneur=order.entrepreneur,
                                       subtotal=order.subtotal, shipping_fee=order.shipping_fee,
                                       total_amount=order.total_amount)
    # The SMS goes to the phone typed at checkout (here the customer's own, written the Nigerian way).
    Order.objects.filter(pk=order.pk).update(checkout=checkout,
                                             shipping_address={**order.shipping_address, "phone": "0803 000 0001"})
    return checkout


def ids_for(event, people):
    if event == "cod_phone_code":
        return {"code_id": 1, "phone": COD_PHONE, "code": "123456"}
    if event == "checkout_placed":
        return {"checkout_id": checkout_for(people).pk, "order_link": "http://testserver/shop/orders/s3cret/"}
    if event.startswith(("order_", "cod_order_")):
        return {"order_id": people["order"].pk}
    if event.startswith("supplier_"):
        return {"supplier_id": people["supplier"].pk}
    return {"withdrawal_id": withdrawal_for(people["shop"]).pk}


def test_every_event_has_an_expectation():
    assert set(EXPECTED) == set(EVENTS)


@pytest.mark.parametrize("event", EVENTS)
def test_each_event_is_sent_once_to_its_recipients_after_commit(event, people, twilio,
                                                                django_capture_on_commit_callbacks):
    emails, subject = EXPECTED[event]
    extra_sms = EXTRA_SMS.get(event, [])
    twilio_ok(twilio, times=len(emails) + len(extra_sms))
    ids = ids_for(event, people)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            notify(event, **ids)
            assert mail.outbox == [] and len(twilio.calls) == 0  # nothing before the commit

    assert len(callbacks) == 1
    assert sorted(message.to[0] for message in mail.outbox) == sorted(emails)  # once each
    assert all(len(message.to) == 1 for message in mail.outbox)
    if subject:
        assert {message.subject for message in mail.outbox} == {subject.format(order=people["order"].order_id)}
    assert sorted(sms_sent(twilio)) == sorted([PHONES[email] for email in emails] + extra_sms)
    for message in mail.outbox:
        assert message.body.strip() and "{{" not in message.body and "{%" not in message.body


@pytest.mark.parametrize("event", EVENTS)
def test_nothing_is_sent_when_the_transaction_rolls_back(event, people, twilio, django_capture_on_commit_callbacks):
    ids = ids_for(event, people)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(event, **ids)
            raise RuntimeError("the service failed after notifying")

    assert callbacks == []
    assert mail.outbox == []
    assert len(twilio.calls) == 0


def test_templates_are_plain_text_with_the_order_details(people, django_capture_on_commit_callbacks):
    order = people["order"]
    with django_capture_on_commit_callbacks(execute=True):
        notify("order_placed", order_id=order)  # a model instance is reduced to its pk

    entrepreneur_mail = next(m for m in mail.outbox if m.to == ["shop@example.com"])
    assert 'Ada & Sons "Wears"' in entrepreneur_mail.body  # not &amp; / &quot;
    assert "2 × Ankara <Tote> at ₦1200.00" in entrepreneur_mail.body
    assert f"Order total: ₦{order.total_amount}" in entrepreneur_mail.body
    assert "Your markup: ₦400.00, your commission: ₦120.00" in entrepreneur_mail.body
    supplier_mail = next(m for m in mail.outbox if m.to == ["supplier@example.com"])
    assert "SKU" in supplier_mail.body and "markup" not in supplier_mail.body


def test_shipped_notification_carries_the_tracking_number(people, twilio, django_capture_on_commit_callbacks):
    twilio_ok(twilio)
    order = people["order"]
    order.tracking_number = "GIG-778899"
    order.save(update_fields=["tracking_number"])

    with django_capture_on_commit_callbacks(execute=True):
        notify("order_shipped", order_id=order.pk)

    assert "Tracking number: GIG-778899" in mail.outbox[0].body
    assert "Tracking: GIG-778899" in parse_qs(twilio.calls[0].request.body)["Body"][0]


def test_sms_request_is_twilios_form_post_with_basic_auth(people, twilio, django_capture_on_commit_callbacks):
    twilio_ok(twilio)

    with django_capture_on_commit_callbacks(execute=True):
        notify("supplier_verified", supplier_id=people["supplier"].pk)

    (call,) = twilio.calls
    assert call.request.url == TWILIO_URL
    assert call.request.headers["Authorization"] == "Basic " + base64.b64encode(f"{SID}:twilio-token".encode()).decode()
    form = parse_qs(call.request.body)
    assert form["To"] == ["+2348030000003"]
    assert form["From"] == ["+15005550006"]
    assert form["Body"][0].startswith("Payjaro: ") and "is verified" in form["Body"][0]


def test_sms_is_skipped_cleanly_when_twilio_is_not_configured(people, settings, django_capture_on_commit_callbacks):
    settings.TWILIO_ACCOUNT_SID = ""
    with responses.RequestsMock() as mocked, django_capture_on_commit_callbacks(execute=True):
        notify("order_paid", order_id=people["order"].pk)
        assert len(mocked.calls) == 0  # any HTTP call would also fail: no URL is registered

    assert len(mail.outbox) == 3


@pytest.fixture
def eager_retries():
    """Celery retries an eager task only while eager errors do not propagate (test settings propagate them)."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


def test_transient_twilio_errors_are_retried_then_sent(people, twilio, django_capture_on_commit_callbacks,
                                                       eager_retries):
    twilio.add(responses.POST, TWILIO_URL, status=500)
    twilio.add(responses.POST, TWILIO_URL, status=503)
    twilio_ok(twilio)

    with django_capture_on_commit_callbacks(execute=True):
        notify("withdrawal_completed", withdrawal_id=withdrawal_for(people["shop"]).pk)

    assert len(twilio.calls) == 3
    assert len(mail.outbox) == 1  # the email is a separate task: an SMS retry never re-sends it


def test_a_refused_sms_is_not_retried(people, twilio, django_capture_on_commit_callbacks, caplog):
    twilio.add(responses.POST, TWILIO_URL, json={"code": 21211, "message": "Invalid 'To' Phone Number"}, status=400)

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        notify("supplier_rejected", supplier_id=people["supplier"].pk)

    assert len(twilio.calls) == 1
    assert "refused by Twilio" in caplog.text
    assert len(mail.outbox) == 1


@pytest.mark.urls("notifications.tests.urls_notify")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("propagate", [False, True])
def test_twilio_down_is_retried_with_backoff_and_never_surfaces_to_the_api(people, twilio, api_client, propagate):
    """A real commit (transaction=True): the eager task runs inside the request, after the commit."""
    twilio.add(responses.POST, TWILIO_URL, status=500)  # every attempt fails
    order = people["order"]
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = propagate  # even if eager errors propagated, the request is safe
    try:
        response = api_client.post(f"/test-only/ship/{order.pk}/", {"tracking_number": "GIG-1"}, format="json")
    finally:
        celery_app.conf.task_eager_propagates = previous

    assert response.status_code == 200
    assert response.data == {"status": "shipped"}
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == ("shipped", "GIG-1")
    from notifications.tasks import deliver_sms

    if propagate:
        # Celery cannot retry eagerly when eager errors propagate; the robust on_commit still shields the request.
        assert len(twilio.calls) == 1
    else:
        assert len(twilio.calls) == deliver_sms.max_retries + 1 == 6  # first try + 5 retries, then give up
    assert [m.to for m in mail.outbox] == [["buyer@example.com"]]


def test_retry_policy_is_exponential_backoff_on_gateway_errors():
    from core.errors import GatewayError
    from notifications.tasks import deliver_sms, send_notification

    for task in (deliver_sms, send_notification):
        assert GatewayError in task.autoretry_for
        assert task.retry_backoff is True
        assert task.max_retries == 5


def test_broker_outage_is_logged_not_raised(people, caplog, django_capture_on_commit_callbacks):
    from notifications.tasks import send_notification

    with mock.patch.object(send_notification, "delay", side_effect=KombuOperationalError("connection refused")):
        with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                notify("order_placed", order_id=people["order"].pk)

    assert "broker is unavailable" in caplog.text
    assert mail.outbox == []


def test_deleted_object_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify("order_paid", order_id=987654)
        notify("withdrawal_failed", withdrawal_id=987654)

    assert mail.outbox == []


def test_unknown_event_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown notification event"):
        notify("order_teleported", order_id=1)


def test_withdrawal_failed_mentions_the_reason(people, django_capture_on_commit_callbacks):
    withdrawal = withdrawal_for(people["shop"], failure_reason="Account name mismatch", status="failed")
    with django_capture_on_commit_callbacks(execute=True):
        notify("withdrawal_failed", withdrawal_id=withdrawal.pk)

    (message,) = mail.outbox
    assert "could not be completed: Account name mismatch" in message.body
    assert "₦5000.00" in message.body


def test_the_cod_phone_code_is_printed_to_the_console_without_twilio(capsys, django_capture_on_commit_callbacks,
                                                                    caplog):
    with django_capture_on_commit_callbacks(execute=True):
        notify("cod_phone_code", code_id=1, phone=COD_PHONE, code="654321")
    out = capsys.readouterr().out
    assert f"[SMS to {COD_PHONE}] Payjaro: your pay-on-delivery code is 654321." in out
    assert "654321" not in caplog.text and mail.outbox == []


def test_the_cod_phone_code_sms_says_the_code(twilio, django_capture_on_commit_callbacks):
    twilio_ok(twilio)
    with django_capture_on_commit_callbacks(execute=True):
        notify("cod_phone_code", code_id=1, phone=COD_PHONE, code="654321")
    (call,) = twilio.calls
    assert "code is 654321" in parse_qs(call.request.body)["Body"][0]
