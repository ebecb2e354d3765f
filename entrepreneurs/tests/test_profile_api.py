from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from entrepreneurs.models import EntrepreneurProfile
from tests.factories import CustomerFactory, EntrepreneurFactory, EntrepreneurUserFactory, SupplierUserFactory

URL = "/api/entrepreneurs/profile/"
pytestmark = pytest.mark.django_db


def _payload(**overrides):
    return {"business_name": "Ada's Gadgets", "custom_url": "ada-gadgets", "bio": "Phones and more", **overrides}


def test_create_profile(auth_client):
    user = EntrepreneurUserFactory()
    response = auth_client(user).post(URL, _payload(custom_url="Ada-Gadgets"), format="json")
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["custom_url"] == "ada-gadgets"  # stored lower-case
    assert body["business_name"] == "Ada's Gadgets"
    assert body["commission_rate"] == "5.00"
    assert body["performance_tier"] == "bronze"
    assert body["total_sales"] == "0.00"
    assert body["is_active"] is True
    assert body["profile_image"] is None
    assert body["storefront_url"] == "http://testserver/ada-gadgets/"
    profile = EntrepreneurProfile.objects.get(user=user)
    assert profile.custom_url == "ada-gadgets"


def test_create_ignores_platform_managed_fields(auth_client):
    user = EntrepreneurUserFactory()
    response = auth_client(user).post(URL, _payload(commission_rate="50.00", performance_tier="platinum",
                                                    total_sales="99999.00", is_active=False), format="json")
    assert response.status_code == 201
    profile = EntrepreneurProfile.objects.get(user=user)
    assert profile.commission_rate == Decimal("5.00")
    assert profile.performance_tier == "bronze"
    assert profile.total_sales == Decimal("0.00")
    assert profile.is_active is True


@pytest.mark.parametrize("factory", [CustomerFactory, SupplierUserFactory])
def test_other_roles_are_forbidden(auth_client, factory):
    client = auth_client(factory())
    assert client.post(URL, _payload(), format="json").status_code == 403
    assert client.get(URL).status_code == 403
    assert client.patch(URL, {"bio": "x"}, format="json").status_code == 403
    assert EntrepreneurProfile.objects.count() == 0


def test_anonymous_is_401(api_client):
    assert api_client.get(URL).status_code == 401


def test_second_profile_is_409(auth_client):
    profile = EntrepreneurFactory()
    response = auth_client(profile.user).post(URL, _payload(custom_url="another-one"), format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "You already have an entrepreneur profile."


@pytest.mark.parametrize("custom_url", ["api", "ADMIN", "Health", "media", "static", "docs", "share", "Checkout"])
def test_reserved_custom_url_rejected(auth_client, custom_url):
    response = auth_client(EntrepreneurUserFactory()).post(URL, _payload(custom_url=custom_url), format="json")
    assert response.status_code == 400
    body = response.json()
    assert "custom_url" in body["details"]
    assert "reserved" in body["details"]["custom_url"][0]
    assert body["error"].startswith("custom_url:")


@pytest.mark.parametrize("variant", ["mama-put", "MAMA-PUT", "Mama-Put", " mama-put "])
def test_duplicate_custom_url_case_insensitive(auth_client, variant):
    EntrepreneurFactory(custom_url="mama-put")
    response = auth_client(EntrepreneurUserFactory()).post(URL, _payload(custom_url=variant), format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"custom_url": ["This address is already taken."]}


@pytest.mark.parametrize(
    "custom_url",
    ["ab", "a" * 51, "has space", "-leading", "trailing-", "dots.here", "ünïcode", "slash/x", "", "emoji🛍"],
)
def test_invalid_custom_url(auth_client, custom_url):
    response = auth_client(EntrepreneurUserFactory()).post(URL, _payload(custom_url=custom_url), format="json")
    assert response.status_code == 400
    assert "custom_url" in response.json()["details"]


def test_boundary_lengths_accepted(auth_client):
    assert auth_client(EntrepreneurUserFactory()).post(URL, _payload(custom_url="abc"), format="json").status_code == 201
    response = auth_client(EntrepreneurUserFactory()).post(URL, _payload(custom_url="b" * 50), format="json")
    assert response.status_code == 201


def test_missing_business_name(auth_client):
    response = auth_client(EntrepreneurUserFactory()).post(URL, {"custom_url": "shop-abc"}, format="json")
    assert response.status_code == 400
    assert "business_name" in response.json()["details"]


def test_get_profile(auth_client):
    profile = EntrepreneurFactory(custom_url="kemi-store", business_name="Kemi")
    response = auth_client(profile.user).get(URL)
    assert response.status_code == 200
    assert response.json()["id"] == profile.id
    assert response.json()["custom_url"] == "kemi-store"


def test_get_without_profile_is_404(auth_client):
    response = auth_client(EntrepreneurUserFactory()).get(URL)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "error": "You have no entrepreneur profile yet."}


def test_patch_profile(auth_client):
    profile = EntrepreneurFactory(custom_url="old-name")
    response = auth_client(profile.user).patch(
        URL, {"bio": "New bio", "custom_url": "New-Name", "commission_rate": "40.00", "total_earnings": "5.00",
              "performance_tier": "gold", "is_active": False},
        format="json",
    )
    assert response.status_code == 200, response.data
    profile.refresh_from_db()
    assert profile.bio == "New bio"
    assert profile.custom_url == "new-name"
    assert profile.commission_rate == Decimal("5.00")
    assert profile.total_earnings == Decimal("0.00")
    assert profile.performance_tier == "bronze"
    assert profile.is_active is True


def test_patch_own_custom_url_case_change_is_allowed(auth_client):
    profile = EntrepreneurFactory(custom_url="my-shop")
    response = auth_client(profile.user).patch(URL, {"custom_url": "MY-SHOP"}, format="json")
    assert response.status_code == 200
    assert response.json()["custom_url"] == "my-shop"


def test_patch_to_taken_or_reserved_custom_url(auth_client):
    EntrepreneurFactory(custom_url="taken-one")
    profile = EntrepreneurFactory(custom_url="mine-one")
    client = auth_client(profile.user)
    response = client.patch(URL, {"custom_url": "Taken-One"}, format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"custom_url": ["This address is already taken."]}
    response = client.patch(URL, {"custom_url": "checkout"}, format="json")
    assert response.status_code == 400
    profile.refresh_from_db()
    assert profile.custom_url == "mine-one"


def test_patch_without_profile_is_404(auth_client):
    assert auth_client(EntrepreneurUserFactory()).patch(URL, {"bio": "x"}, format="json").status_code == 404


def test_model_validation_used_by_admin():
    EntrepreneurFactory(custom_url="lagos-deals")
    candidate = EntrepreneurProfile(user=EntrepreneurUserFactory(), business_name="X", custom_url="Lagos-Deals")
    with pytest.raises(ValidationError):
        candidate.full_clean()
    reserved = EntrepreneurProfile(user=EntrepreneurUserFactory(), business_name="X", custom_url="api")
    with pytest.raises(ValidationError) as excinfo:
        reserved.full_clean()
    assert "custom_url" in excinfo.value.message_dict


def test_database_enforces_case_insensitive_uniqueness():
    from django.db import IntegrityError, transaction

    EntrepreneurFactory(custom_url="unique-one")
    other = EntrepreneurFactory(custom_url="unique-two")
    # save() lower-cases, and the Lower() constraint catches whatever bypasses the API.
    other.custom_url = "UNIQUE-ONE"
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()
