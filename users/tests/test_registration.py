"""POST /api/users/register/ — SPEC §4 "Users"."""
import pytest

from tests.factories import CustomerFactory, UserFactory
from users.models import REFERRAL_ALPHABET, User

pytestmark = pytest.mark.django_db

URL = "/api/users/register/"
PASSWORD = "Lagos-Rain-2026!"


def payload(**overrides):
    data = {
        "username": "chidinma",
        "email": "chidinma@example.com",
        "phone_number": "08031234567",
        "password": PASSWORD,
        "password2": PASSWORD,
        "user_type": "entrepreneur",
        "first_name": "Chidinma",
        "last_name": "Okafor",
    }
    data.update(overrides)
    return data


def assert_error(response, status, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert set(body) <= {"error", "code", "details"}
    if field is not None:
        assert field in body["details"], body
        assert isinstance(body["details"][field], list) and body["details"][field]
    return body


def test_register_happy_path(api_client):
    response = api_client.post(URL, payload(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["access"] and body["refresh"]
    user_data = body["user"]
    assert user_data["username"] == "chidinma"
    assert user_data["email"] == "chidinma@example.com"
    assert user_data["phone_number"] == "+2348031234567"
    assert user_data["user_type"] == "entrepreneur"
    assert user_data["referred_by"] is None
    assert "password" not in user_data

    user = User.objects.get(username="chidinma")
    assert user.check_password(PASSWORD)
    assert user.phone_number == "+2348031234567"
    assert user.user_type == User.UserType.ENTREPRENEUR
    assert not user.is_staff and not user.is_superuser
    # own referral code generated from the unambiguous alphabet
    assert len(user.referral_code) == 8
    assert set(user.referral_code) <= set(REFERRAL_ALPHABET)
    assert user_data["referral_code"] == user.referral_code


def test_register_tokens_work(api_client):
    body = api_client.post(URL, payload(), format="json").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    response = api_client.get("/api/users/profile/")
    assert response.status_code == 200
    assert response.json()["username"] == "chidinma"


def test_register_defaults_to_customer(api_client):
    data = payload()
    del data["user_type"]
    response = api_client.post(URL, data, format="json")
    assert response.status_code == 201
    assert User.objects.get(username="chidinma").user_type == "customer"


def test_register_email_is_stored_lowercase(api_client):
    response = api_client.post(URL, payload(email="Chidinma@Example.COM"), format="json")
    assert response.status_code == 201
    assert User.objects.get(username="chidinma").email == "chidinma@example.com"


@pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@Example.com"])
def test_register_duplicate_email(api_client, email):
    UserFactory(email="taken@example.com")
    response = api_client.post(URL, payload(email=email), format="json")
    body = assert_error(response, 400, "email")
    assert body["details"]["email"] == ["A user with that email already exists."]
    assert not User.objects.filter(username="chidinma").exists()


@pytest.mark.parametrize("username", ["chidinma", "ChiDinma", "CHIDINMA"])
def test_register_duplicate_username_case_insensitive(api_client, username):
    UserFactory(username="chidinma", email="other@example.com")
    response = api_client.post(URL, payload(username=username), format="json")
    body = assert_error(response, 400, "username")
    assert body["details"]["username"] == ["A user with that username already exists."]
    assert User.objects.count() == 1


def test_register_duplicate_phone(api_client):
    UserFactory(phone_number="+2348031234567")
    response = api_client.post(URL, payload(), format="json")
    body = assert_error(response, 400, "phone_number")
    assert body["details"]["phone_number"] == ["A user with that phone number already exists."]


@pytest.mark.parametrize(
    "first,second",
    [
        ("08012345678", "+2348012345678"),
        ("+2348012345678", "08012345678"),
        ("2348012345678", "08012345678"),
        ("08012345678", "2348012345678"),
        ("0801 234 5678", "+234 801 234 5678"),
    ],
)
def test_nigerian_phone_forms_are_the_same_user(api_client, first, second):
    response = api_client.post(URL, payload(phone_number=first), format="json")
    assert response.status_code == 201, response.content
    assert User.objects.get(username="chidinma").phone_number == "+2348012345678"

    response = api_client.post(
        URL, payload(username="emeka", email="emeka@example.com", phone_number=second), format="json"
    )
    assert_error(response, 400, "phone_number")
    assert User.objects.count() == 1


@pytest.mark.parametrize("phone", ["12345", "0801234567", "not-a-phone", "080123456789012", ""])
def test_register_invalid_phone(api_client, phone):
    response = api_client.post(URL, payload(phone_number=phone), format="json")
    assert_error(response, 400, "phone_number")
    assert User.objects.count() == 0


def test_register_phone_required(api_client):
    data = payload()
    del data["phone_number"]
    assert_error(api_client.post(URL, data, format="json"), 400, "phone_number")


@pytest.mark.parametrize("password", ["short1!", "password123", "12345678901", "chidinma2026"])
def test_register_weak_password(api_client, password):
    response = api_client.post(URL, payload(password=password, password2=password), format="json")
    assert_error(response, 400, "password")
    assert User.objects.count() == 0


def test_register_password_mismatch(api_client):
    response = api_client.post(URL, payload(password2=PASSWORD + "x"), format="json")
    body = assert_error(response, 400, "password2")
    assert body["details"]["password2"] == ["The two passwords do not match."]
    assert User.objects.count() == 0


@pytest.mark.parametrize("user_type", ["admin", "supplier", "superuser", ""])
def test_register_refuses_privileged_or_unknown_user_type(api_client, user_type):
    response = api_client.post(URL, payload(user_type=user_type), format="json")
    assert_error(response, 400, "user_type")
    assert User.objects.count() == 0


def test_register_ignores_staff_flags(api_client):
    response = api_client.post(URL, payload(is_staff=True, is_superuser=True), format="json")
    assert response.status_code == 201
    user = User.objects.get(username="chidinma")
    assert not user.is_staff and not user.is_superuser


def test_register_with_own_referral_code(api_client):
    response = api_client.post(URL, payload(referral_code="ada2026"), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["user"]["referral_code"] == "ADA2026"
    assert User.objects.get(username="chidinma").referral_code == "ADA2026"


@pytest.mark.parametrize("code", ["ADA2026", "ada2026"])
def test_register_own_referral_code_taken(api_client, code):
    UserFactory(referral_code="ADA2026")
    response = api_client.post(URL, payload(referral_code=code), format="json")
    body = assert_error(response, 400, "referral_code")
    assert body["details"]["referral_code"] == ["This referral code is already taken."]


@pytest.mark.parametrize("code", ["ab", "has space", "bad-dash!"])
def test_register_own_referral_code_malformed(api_client, code):
    assert_error(api_client.post(URL, payload(referral_code=code), format="json"), 400, "referral_code")


def test_register_referred_by_known_code(api_client):
    referrer = CustomerFactory(referral_code="REFER123")
    response = api_client.post(URL, payload(referred_by="refer123"), format="json")
    assert response.status_code == 201, response.content
    user = User.objects.get(username="chidinma")
    assert user.referred_by == referrer
    assert response.json()["user"]["referred_by"] == referrer.pk
    assert list(referrer.referrals.all()) == [user]


def test_register_referred_by_unknown_code(api_client):
    response = api_client.post(URL, payload(referred_by="NOSUCH99"), format="json")
    body = assert_error(response, 400, "referred_by")
    assert body["details"]["referred_by"] == ["Unknown referral code."]
    assert User.objects.count() == 0


def test_register_missing_fields_names_each(api_client):
    response = api_client.post(URL, {}, format="json")
    body = assert_error(response, 400)
    for field in ("username", "email", "phone_number", "password", "password2"):
        assert field in body["details"], field


def test_register_invalid_json_is_400(api_client):
    response = api_client.post(URL, "{not json", content_type="application/json")
    assert_error(response, 400)


def test_register_invalid_email(api_client):
    assert_error(api_client.post(URL, payload(email="not-an-email"), format="json"), 400, "email")
