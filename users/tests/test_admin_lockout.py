"""Django admin brute force (issue 11 item 3): lockout per username and per address at /admin/login/."""
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client
from django.utils import timezone

from tests.factories import DEFAULT_PASSWORD, AdminFactory, CustomerFactory

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/?next=/admin/"
API_LOGIN = "/api/users/login/"
LIMIT = 5  # ADMIN_LOGIN_FAILURE_LIMIT's default


@pytest.fixture
def boss():
    return AdminFactory(username="boss", is_staff=True, is_superuser=True)


def admin_login(username, password, ip="198.51.100.7", client=None, **extra):
    client = client or Client()
    return client.post(ADMIN_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def assert_signed_in(response):
    assert response.status_code == 302 and response["Location"] == "/admin/", response.status_code


def assert_locked_out(response):
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many failed sign-in attempts" in body
    assert f"after {LIMIT} failed attempts" in body
    assert "0:30:00" in body  # the cool-off, 30 minutes


def test_failures_for_one_username_lock_it_out_from_every_address(boss):
    for attempt in range(LIMIT - 1):
        response = admin_login("boss", "wrong-password", ip=f"198.51.100.{attempt + 1}")
        assert response.status_code == 200  # the form again, with Django's error
        assert "Please enter the correct username and password" in response.content.decode()
    assert_locked_out(admin_login("boss", "wrong-password", ip="198.51.100.5"))  # the LIMIT-th failure
    # Even the right password, from an address never seen before, is refused during the lockout.
    assert_locked_out(admin_login("boss", DEFAULT_PASSWORD, ip="203.0.113.50"))
    assert AccessFailureLog.objects.filter(username="boss").count() == LIMIT
    attempt = AccessAttempt.objects.get(username="boss", ip_address="198.51.100.5")
    assert attempt.failures_since_start >= 1


def test_failures_from_one_address_lock_it_out_for_every_username(boss):
    for attempt in range(LIMIT):
        admin_login(f"guess{attempt}", "wrong-password", ip="198.51.100.9")
    assert_locked_out(admin_login("boss", DEFAULT_PASSWORD, ip="198.51.100.9"))
    # The administrator from another address is not affected.
    assert_signed_in(admin_login("boss", DEFAULT_PASSWORD, ip="203.0.113.8"))


def test_a_forged_x_forwarded_for_does_not_escape_the_address_lockout(boss):
    for attempt in range(LIMIT):
        admin_login(f"guess{attempt}", "wrong", ip="198.51.100.10", HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}")
    assert_locked_out(admin_login("someone", "wrong", ip="198.51.100.10", HTTP_X_FORWARDED_FOR="10.9.9.9"))


def test_failures_are_logged_with_username_and_address(boss, caplog):
    admin_login("boss", "wrong-password", ip="198.51.100.77")
    assert 'username: "boss"' in caplog.text and 'ip_address: "198.51.100.77"' in caplog.text
    assert "wrong-password" not in caplog.text


def test_fewer_failures_then_success_signs_in_and_resets_the_count(boss):
    for _ in range(LIMIT - 1):
        admin_login("boss", "wrong-password")
    assert_signed_in(admin_login("boss", DEFAULT_PASSWORD))
    assert AccessLog.objects.filter(username="boss").count() == 1
    for _ in range(LIMIT - 1):
        admin_login("boss", "wrong-password")
    assert_signed_in(admin_login("boss", DEFAULT_PASSWORD))


def test_the_lockout_ends_after_the_cool_off(boss):
    for _ in range(LIMIT):
        admin_login("boss", "wrong-password")
    assert_locked_out(admin_login("boss", DEFAULT_PASSWORD))
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    assert_signed_in(admin_login("boss", DEFAULT_PASSWORD))


def test_api_login_failures_are_not_counted_against_the_admin_site(api_client, boss):
    customer = CustomerFactory(username="ada")
    for _ in range(LIMIT * 2):
        response = api_client.post(API_LOGIN, {"username": "boss", "password": "wrong"}, format="json")
        assert response.status_code == 401
    assert not AccessAttempt.objects.exists()
    assert_signed_in(admin_login("boss", DEFAULT_PASSWORD, ip="127.0.0.1"))
    login = api_client.post(API_LOGIN, {"username": customer.username, "password": DEFAULT_PASSWORD}, format="json")
    assert login.status_code == 200


def test_the_test_client_can_still_sign_in(boss):
    client = Client()
    assert client.login(username="boss", password=DEFAULT_PASSWORD)
    assert client.get("/admin/").status_code == 200
    other = Client()
    other.force_login(boss)
    assert other.get("/admin/").status_code == 200


def test_attempts_are_visible_in_django_admin(boss):
    admin_login("boss", "wrong-password")
    client = Client()
    client.force_login(boss)
    page = client.get("/admin/axes/accessfailurelog/")
    assert page.status_code == 200
    assert "boss" in page.content.decode()
