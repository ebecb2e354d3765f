"""GET/PATCH /api/users/profile/ — users cannot change their role, referral code or staff flags."""
import pytest

from tests.factories import CustomerFactory, EntrepreneurUserFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/users/profile/"


def test_profile_requires_auth(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert set(response.json()) == {"error", "code"}


def test_profile_get(auth_client):
    user = EntrepreneurUserFactory(username="amaka", email="amaka@example.com", phone_number="+2348031234567",
                                   first_name="Amaka")
    response = auth_client(user).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.pk
    assert body["username"] == "amaka"
    assert body["email"] == "amaka@example.com"
    assert body["phone_number"] == "+2348031234567"
    assert body["user_type"] == "entrepreneur"
    assert body["referral_code"] == user.referral_code
    assert body["first_name"] == "Amaka"
    assert "password" not in body
    assert "is_staff" not in body and "is_superuser" not in body


def test_profile_patch_updates_allowed_fields(auth_client):
    user = CustomerFactory()
    response = auth_client(user).patch(
        URL, {"first_name": "Ngozi", "last_name": "Eze", "phone_number": "0809 876 5432", "email": "Ngozi@Example.com"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["first_name"] == "Ngozi"
    assert body["phone_number"] == "+2348098765432"
    assert body["email"] == "ngozi@example.com"
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.phone_number, user.email) == (
        "Ngozi", "Eze", "+2348098765432", "ngozi@example.com"
    )


def test_profile_patch_ignores_forbidden_fields(auth_client):
    user = CustomerFactory(username="emeka")
    referral_code = user.referral_code
    referrer = CustomerFactory()
    response = auth_client(user).patch(
        URL,
        {
            "user_type": "admin",
            "referral_code": "HACKED01",
            "referred_by": referrer.pk,
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "is_phone_verified": True,
            "username": "root",
            "id": 999999,
            "first_name": "Emeka",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user_type"] == "customer"
    assert body["referral_code"] == referral_code
    assert body["username"] == "emeka"
    assert body["id"] == user.pk
    user.refresh_from_db()
    assert user.user_type == "customer"
    assert user.referral_code == referral_code
    assert user.referred_by is None
    assert user.username == "emeka"
    assert not user.is_staff and not user.is_superuser
    assert user.is_active
    assert not user.is_phone_verified
    assert user.first_name == "Emeka"


def test_profile_patch_duplicate_email_is_400(auth_client):
    UserFactory(email="taken@example.com")
    user = CustomerFactory()
    response = auth_client(user).patch(URL, {"email": "TAKEN@example.com"}, format="json")
    assert response.status_code == 400
    assert response.json()["details"]["email"] == ["A user with that email already exists."]


def test_profile_patch_duplicate_phone_in_other_form_is_400(auth_client):
    UserFactory(phone_number="+2348031234567")
    user = CustomerFactory()
    response = auth_client(user).patch(URL, {"phone_number": "08031234567"}, format="json")
    assert response.status_code == 400
    assert response.json()["details"]["phone_number"] == ["A user with that phone number already exists."]


def test_profile_patch_own_values_are_not_duplicates(auth_client):
    user = CustomerFactory(email="me@example.com", phone_number="+2348031234567")
    response = auth_client(user).patch(URL, {"email": "ME@example.com", "phone_number": "08031234567"}, format="json")
    assert response.status_code == 200, response.content


def test_profile_patch_invalid_phone_is_400(auth_client):
    user = CustomerFactory()
    response = auth_client(user).patch(URL, {"phone_number": "12345"}, format="json")
    assert response.status_code == 400
    assert "phone_number" in response.json()["details"]


def test_profile_put_and_delete_not_allowed(auth_client):
    client = auth_client(CustomerFactory())
    assert client.put(URL, {"first_name": "x"}, format="json").status_code == 405
    response = client.delete(URL)
    assert response.status_code == 405
    assert set(response.json()) == {"error", "code"}
