"""POST /api/suppliers/profiles/register/ — no auth, user + profile in one transaction."""
import pytest

from suppliers.models import SupplierProfile
from tests.factories import SupplierFactory, UserFactory
from users.models import User

URL = "/api/suppliers/profiles/register/"
pytestmark = pytest.mark.django_db


def payload(**overrides):
    data = {
        "username": "acme",
        "email": "Sales@Acme.ng",
        "phone_number": "08098765432",
        "password": "TestPass123!",
        "password2": "TestPass123!",
        "company_name": "Acme Nigeria Ltd",
        "business_registration": "RC765432",
        "tax_id": "TIN-1234",
        "address": "3 Marina, Lagos",
        "contact_person": "Ngozi Eze",
        "payment_terms": "Net 30",
        "minimum_order_value": "1000.00",
        "bank_details": {"bank": "GTBank", "account_number": "0123456789"},
        "delivery_areas": ["Lagos", "Abuja"],
    }
    data.update(overrides)
    return data


def test_register_creates_supplier_user_and_pending_profile(api_client):
    response = api_client.post(URL, payload(), format="json")

    assert response.status_code == 201, response.data
    body = response.json()
    assert body["supplier"]["verification_status"] == "pending"
    assert body["supplier"]["company_name"] == "Acme Nigeria Ltd"
    assert body["supplier"]["phone_number"] == "+2348098765432"
    assert body["supplier"]["email"] == "sales@acme.ng"
    assert body["user"]["user_type"] == "supplier"
    assert body["access"] and body["refresh"]
    profile = SupplierProfile.objects.select_related("user").get(business_registration="RC765432")
    assert profile.user.username == "acme"
    assert profile.user.user_type == User.UserType.SUPPLIER
    assert profile.user.check_password("TestPass123!")
    assert profile.bank_details == {"bank": "GTBank", "account_number": "0123456789"}
    assert profile.delivery_areas == ["Lagos", "FCT"]  # stored canonical (Abuja is the FCT)


def test_register_ignores_admin_only_fields(api_client):
    response = api_client.post(
        URL, payload(commission_rate="1.00", verification_status="verified", performance_rating="5.00",
                     user_type="admin"), format="json",
    )

    assert response.status_code == 201, response.data
    profile = SupplierProfile.objects.get(business_registration="RC765432")
    assert profile.verification_status == "pending"
    assert str(profile.commission_rate) == "10.00"
    assert str(profile.performance_rating) == "0.00"
    assert profile.user.user_type == "supplier"
    assert not profile.user.is_staff


def test_register_guide_style_form_without_password2(api_client):
    """The guide's integration test posts form data without password2."""
    data = payload()
    del data["password2"], data["bank_details"], data["delivery_areas"]
    data["commission_rate"] = 15.00
    response = api_client.post(URL, data)

    assert response.status_code == 201, response.data
    login = api_client.post("/api/users/login/", {"username": "acme", "password": "TestPass123!"})
    assert login.status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "existing"),
    [
        ("username", "taken", {"username": "taken"}),
        ("email", "TAKEN@example.com", {"email": "taken@example.com"}),
        ("phone_number", "08011112222", {"phone_number": "+2348011112222"}),
    ],
)
def test_register_duplicate_user_fields_are_400_naming_the_field(api_client, field, value, existing):
    UserFactory(**existing)
    response = api_client.post(URL, payload(**{field: value}), format="json")

    assert response.status_code == 400
    assert field in response.json()["details"]
    assert response.json()["error"].startswith(f"{field}:")
    assert not SupplierProfile.objects.exists()


def test_register_duplicate_business_registration_is_400_and_creates_no_user(api_client):
    SupplierFactory(business_registration="RC765432")
    users_before = User.objects.count()

    response = api_client.post(URL, payload(business_registration="rc765432"), format="json")

    assert response.status_code == 400
    assert response.json()["details"] == {
        "business_registration": ["A supplier with this business registration already exists."]
    }
    assert User.objects.count() == users_before


def test_register_password_mismatch_and_weak_password(api_client):
    response = api_client.post(URL, payload(password2="Different123!"), format="json")
    assert response.status_code == 400
    assert "password2" in response.json()["details"]

    response = api_client.post(URL, payload(password="12345678", password2="12345678"), format="json")
    assert response.status_code == 400
    assert "password" in response.json()["details"]


def test_register_missing_required_fields(api_client):
    response = api_client.post(URL, {"username": "x"}, format="json")

    assert response.status_code == 400
    details = response.json()["details"]
    for field in ("email", "phone_number", "password", "company_name", "business_registration", "address",
                  "contact_person"):
        assert field in details, field


def test_register_rejects_bad_json_shapes_and_phone(api_client):
    response = api_client.post(URL, payload(bank_details=["not", "an", "object"], phone_number="12"), format="json")

    assert response.status_code == 400
    assert set(response.json()["details"]) >= {"bank_details", "phone_number"}


def test_register_profile_failure_rolls_back_user(api_client, monkeypatch):
    """User and profile are created in one transaction: a profile that cannot be saved leaves no user."""
    from django.db import IntegrityError

    def boom(self, *args, **kwargs):
        raise IntegrityError("simulated race on business_registration")

    monkeypatch.setattr(SupplierProfile, "save", boom)
    response = api_client.post(URL, payload(), format="json")

    assert response.status_code == 400
    assert "business_registration" in response.json()["details"]
    assert not User.objects.filter(username="acme").exists()


def test_register_needs_no_auth_even_with_a_bad_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api_client.post(URL, payload(), format="json")
    assert response.status_code == 201
