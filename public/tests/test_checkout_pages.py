"""Guest checkout at /<custom_url>/checkout/ and the order page reached by its unguessable token."""
import re
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from analytics.models import AnalyticsEvent
from orders.models import Checkout
from orders.tests.factories import make_store
from public.models import OrderPageToken
from tests.factories import CustomerFactory, ProductFactory, StoreProductFactory, SupplierFactory

from .test_pages import BROWSER_ACCEPT, PHONE_UA, html

pytestmark = pytest.mark.django_db

FORM = {"full_name": "Chinedu Okafor", "phone": "08031234567", "email": "Chinedu@Example.com",
        "address": "14 Allen Avenue, Ikeja", "city": "Ikeja", "state": "Lagos", "notes": "Call first",
        "payment": "sandbox"}


@pytest.fixture
def store():
    store = make_store(base_price=D("1000.00"), selling_price=D("1500.00"), stock_quantity=5)
    store.other = StoreProductFactory(
        storefront=store.storefront, selling_price=D("3000.00"),
        product=ProductFactory(supplier=SupplierFactory(), base_price=D("2000.00"), stock_quantity=5)).product
    return store


@pytest.fixture
def shopper():
    return Client(HTTP_ACCEPT=BROWSER_ACCEPT, HTTP_USER_AGENT=PHONE_UA)


def fill_cart(client, store):
    for product, quantity in ((store.product, 2), (store.other, 1)):
        response = client.post(f"/{store.custom_url}/cart/", {"action": "add", "product": product.pk,
                                                              "quantity": quantity})
        assert response.status_code == 303


def shown_cart(client, store) -> str:
    """The cart fingerprint the checkout page shows (what a browser posts back with the form)."""
    page = client.get(f"/{store.custom_url}/checkout/").content.decode()
    return re.search(r'name="cart_fingerprint" value="(\w+)"', page).group(1)


def place(client, store, django_capture_on_commit_callbacks, shown=None, **form):
    shown = shown or shown_cart(client, store)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/{store.custom_url}/checkout/", {**FORM, "cart_fingerprint": shown, **form})
    return response


def order_link() -> str:
    (message,) = [m for m in mail.outbox if "Your order" in m.subject]
    return re.search(r"http://testserver(/\S+/orders/[\w-]+/)", message.body).group(1)


def test_guest_checks_out_pays_in_the_sandbox_and_sees_the_order(shopper, store, django_capture_on_commit_callbacks):
    fill_cart(shopper, store)
    page = html(shopper.get(f"/{store.custom_url}/checkout/"))
    assert 'id="checkout-total">₦7,000.00' in page  # 2 × 1,500 + 3,000 + 2 × ₦500.00 delivery
    assert "<option>FCT</option>" in page and page.count("<option") == 38

    response = place(shopper, store, django_capture_on_commit_callbacks)
    assert response.status_code == 303
    assert response["Location"].startswith("http://testserver/api/payments/sandbox/checkout/PJ-CHK")
    checkout = Checkout.objects.get()
    assert checkout.total_amount == D("7000.00") and checkout.orders.count() == 2
    customer = checkout.customer
    assert (customer.email, customer.user_type, customer.has_usable_password()) == (
        "chinedu@example.com", "customer", False)
    assert {o.shipping_address["full_name"] for o in checkout.orders.all()} == {"Chinedu Okafor"}
    assert "Your cart is empty." in html(shopper.get(f"/{store.custom_url}/cart/"))

    link = order_link()
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 32
    assert OrderPageToken.objects.get().token_hash != token  # only its hash is stored
    assert html(shopper.get(link)).count('class="parcel"') == 2
    assert "Awaiting payment" in html(shopper.get(link))

    # The sandbox's Pay button, then its "Return to the shop" link back to the order page.
    sandbox = response["Location"].removeprefix("http://testserver")
    paid = shopper.post(sandbox, {"outcome": "pay"})
    reference = sandbox.rstrip("/").rsplit("/", 1)[1]
    assert f'href="http://testserver{link}?reference={reference}"' in paid.content.decode()
    page = html(shopper.get(f"{link}?reference={reference}"))
    assert '<strong id="order-status">Paid</strong>' in page
    assert page.count("Payment: <strong>Paid</strong>") == 2
    assert "Pay ₦" not in page  # nothing to pay again

    event = AnalyticsEvent.objects.get(event_type="checkout")
    assert event.metadata["checkout_id"] == checkout.checkout_id
    for row in AnalyticsEvent.objects.all():
        assert token not in str(row.metadata) and token not in row.user_agent


def test_form_errors_re_render_with_the_fields_kept(shopper, store, django_capture_on_commit_callbacks):
    fill_cart(shopper, store)
    response = place(shopper, store, django_capture_on_commit_callbacks, email="not-an-email", state="Atlantis",
                     city="")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid email address." in page and "Choose a state from the list." in page
    assert 'value="Chinedu Okafor"' in page and "14 Allen Avenue, Ikeja</textarea>" in page
    assert not Checkout.objects.exists()


def test_a_price_change_before_checkout_is_refused_and_shown(shopper, store, django_capture_on_commit_callbacks):
    fill_cart(shopper, store)
    shown = shown_cart(shopper, store)  # ₦7,000.00 shown
    listing = store.listing
    listing.selling_price = D("1600.00")
    listing.save()
    # Placed with the cart the page showed: refused, the page shown again with the new total — never taken silently.
    response = place(shopper, store, django_capture_on_commit_callbacks, shown=shown)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Your cart changed since you opened this page" in page and "7,200.00" in page
    assert not Checkout.objects.exists()
    # Confirmed from the page showing the new total: ordered at the price the shopper saw.
    fresh = re.search(r'name="cart_fingerprint" value="(\w+)"', page).group(1)
    assert fresh != shown
    response = place(shopper, store, django_capture_on_commit_callbacks, shown=fresh)
    assert response.status_code == 303
    assert Checkout.objects.get().total_amount == D("7200.00")


def test_wrong_or_foreign_tokens_are_404(shopper, store, django_capture_on_commit_callbacks):
    fill_cart(shopper, store)
    place(shopper, store, django_capture_on_commit_callbacks)
    link = order_link()
    token = link.rstrip("/").rsplit("/", 1)[1]
    stranger = Client(HTTP_ACCEPT=BROWSER_ACCEPT)
    assert stranger.get(link).status_code == 200  # the link is the capability
    assert stranger.get(f"/{store.custom_url}/orders/{token[:-1]}x/").status_code == 404
    assert stranger.get(f"/{store.custom_url}/orders/{'A' * 32}/").status_code == 404
    other = make_store()
    assert stranger.get(f"/{other.custom_url}/orders/{token}/").status_code == 404
    response = stranger.get(link)
    assert response["Referrer-Policy"] == "origin" and "no-store" in response["Cache-Control"]


def test_pay_again_while_unpaid(shopper, store, django_capture_on_commit_callbacks):
    fill_cart(shopper, store)
    first = place(shopper, store, django_capture_on_commit_callbacks)["Location"]
    link = order_link()
    page = html(shopper.get(link))
    assert "Pay ₦7,000.00" in page
    again = shopper.post(link, {"payment": "sandbox"})
    assert again.status_code == 303
    assert again["Location"].startswith("http://testserver/api/payments/sandbox/checkout/") and again["Location"] != first


def test_a_logged_in_customer_checks_out_as_themselves(shopper, store, django_capture_on_commit_callbacks):
    customer = CustomerFactory(email="ada@example.com")
    shopper.force_login(customer)
    fill_cart(shopper, store)
    assert place(shopper, store, django_capture_on_commit_callbacks, email="ada@example.com").status_code == 303
    assert Checkout.objects.get().customer == customer
    assert get_user_model().objects.filter(email__iexact="chinedu@example.com").count() == 0


def test_an_existing_guest_account_is_reused(shopper, store, django_capture_on_commit_callbacks):
    fill_cart(shopper, store)
    place(shopper, store, django_capture_on_commit_callbacks)
    second = Client(HTTP_ACCEPT=BROWSER_ACCEPT)
    fill_cart(second, store)
    place(second, store, django_capture_on_commit_callbacks, email="chinedu@example.com")
    assert Checkout.objects.count() == 2
    assert get_user_model().objects.filter(email="chinedu@example.com").count() == 1
    # Each shopper's link opens only their own checkout.
    links = [re.search(r"(/\S+/orders/[\w-]+/)", m.body).group(1) for m in mail.outbox if "Your order" in m.subject]
    ids = {re.search(r"Order (CHK\w+)", second.get(link).content.decode()).group(1) for link in links}
    assert len(ids) == 2


@pytest.mark.parametrize("account", ["customer", "supplier"])
def test_a_guest_checkout_never_lands_in_an_account_someone_can_sign_in_to(
        shopper, store, django_capture_on_commit_callbacks, account):
    """Anyone may register an email they do not own: a guest checkout under that email is refused (sign in, or use
    another email) rather than put in that account, where its holder would read the shopper's name, phone and
    address — and a staff or business account's email gets the very same words."""
    from tests.factories import UserFactory

    holder = (CustomerFactory if account == "customer" else UserFactory)(email="chinedu@example.com")
    if account == "supplier":
        holder.user_type = "supplier"
        holder.save()
    assert holder.has_usable_password()
    fill_cart(shopper, store)
    response = place(shopper, store, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This email belongs to a Payjaro account, so it cannot be used to check out as a guest." in page
    assert "Only customer accounts" not in page
    assert Checkout.objects.count() == 0 and not mail.outbox
    assert place(shopper, store, django_capture_on_commit_callbacks, email="chinedu.o@example.com").status_code == 303
    assert Checkout.objects.get().customer.email == "chinedu.o@example.com"


def test_checkout_is_throttled_per_address(shopper, store, settings, django_capture_on_commit_callbacks):
    settings.PUBLIC_CHECKOUT_ATTEMPTS = 2
    fill_cart(shopper, store)
    for _ in range(2):
        assert place(shopper, store, django_capture_on_commit_callbacks, city="").status_code == 400
    assert place(shopper, store, django_capture_on_commit_callbacks).status_code == 429
    assert not Checkout.objects.exists()


def test_checkout_needs_csrf_and_a_cart(store):
    strict = Client(enforce_csrf_checks=True, HTTP_ACCEPT=BROWSER_ACCEPT)
    assert strict.post(f"/{store.custom_url}/checkout/", FORM).status_code == 403
    response = strict.get(f"/{store.custom_url}/checkout/")
    assert response.status_code == 303 and response["Location"].endswith("/cart/")


def test_buy_now_goes_to_checkout(shopper, store):
    response = shopper.post(f"/{store.custom_url}/cart/", {"action": "add", "product": store.product.pk,
                                                           "quantity": 1, "buy_now": "1"})
    assert response["Location"] == f"/{store.custom_url}/checkout/"


def test_order_page_tokens_are_redacted_from_the_access_logs():
    import runpy
    from pathlib import Path

    from django.conf import settings

    from payjaro_project.gunicorn_logging import RedactingLogger, redact

    line = "GET /ada-styles/orders/q1W2e3-R4_t5/?reference=PJ-CHK1 HTTP/1.1"
    assert redact(line) == "GET /ada-styles/orders/[token]/?reference=PJ-CHK1 HTTP/1.1"
    assert redact("https://shop.example/ada/orders/abc/") == "https://shop.example/ada/orders/[token]/"
    assert redact("GET /api/orders/orders/PAY20261201AB/ HTTP/1.1").endswith("PAY20261201AB/ HTTP/1.1")
    config = runpy.run_path(str(Path(settings.BASE_DIR) / "gunicorn.conf.py"))
    assert config["logger_class"] == "payjaro_project.gunicorn_logging.RedactingLogger"
    assert RedactingLogger
    nginx = (Path(settings.BASE_DIR) / "nginx.conf").read_text()
    assert '"$payjaro_logged_request"' in nginx and '"$request"' not in nginx


def test_a_wrong_token_is_not_logged(store, caplog):
    with caplog.at_level("WARNING", logger="django.request"):
        assert Client().get(f"/{store.custom_url}/orders/NotARealToken0123456789/").status_code == 404
    assert "NotARealToken" not in caplog.text


def test_the_order_link_goes_through_notify_by_email_and_sms(shopper, store, settings, monkeypatch, caplog,
                                                             django_capture_on_commit_callbacks):
    import responses

    from core import notifications

    sent = []
    real_notify = notifications.notify
    monkeypatch.setattr("public.checkout_pages.notify",
                        lambda event, **ids: (sent.append((event, ids)), real_notify(event, **ids)))
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC123", "token"
    settings.TWILIO_PHONE_NUMBER, settings.TWILIO_BASE_URL = "+15005550006", "https://api.twilio.com"
    fill_cart(shopper, store)
    with responses.RequestsMock() as twilio, caplog.at_level("DEBUG"):
        sms = twilio.post("https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json",
                          json={"sid": "SM1"}, status=201)
        place(shopper, store, django_capture_on_commit_callbacks)

    checkout = Checkout.objects.get()
    link = order_link()
    assert sent == [("checkout_placed", {"checkout_id": checkout.pk, "order_link": f"http://testserver{link}"})]
    (email,) = [m for m in mail.outbox if "Your order" in m.subject]
    assert email.to == ["chinedu@example.com"] and email.subject.startswith(f"Your order {checkout.checkout_id}")
    assert "₦7,000.00" not in email.body and "₦7000.00" in email.body and email.body.count("Parcel ") == 2
    # the phone typed at checkout, as Twilio wants it (the others are the shop's and supplier's order_placed)
    (call,) = [c for c in sms.calls if "To=%2B2348031234567" in c.request.body]
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token in call.request.body
    assert "checkout_placed" in caplog.text and token not in caplog.text  # logged, the token masked


def test_a_nul_character_in_the_form_is_a_friendly_error(shopper, store, django_capture_on_commit_callbacks):
    fill_cart(shopper, store)
    response = place(shopper, store, django_capture_on_commit_callbacks, full_name="Chinedu\x00", notes="a\x00b")
    assert response.status_code == 400
    assert response.content.decode().count("Remove the invisible characters from this field.") == 2
    assert not Checkout.objects.exists()
