import pytest

from social.models import EntrepreneurStorefront
from tests.factories import CustomerFactory, EntrepreneurFactory, EntrepreneurUserFactory, StorefrontFactory

URL = "/api/social/storefront/"
pytestmark = pytest.mark.django_db

PAYLOAD = {
    "theme": "default",
    "about_section": "Welcome to our store",
    "contact_info": {"email": "store@test.com"},
    "social_links": {"instagram": "ada.gadgets"},
    "seo_title": "Test Electronics Store",
    "is_published": True,
}


def test_create_storefront(auth_client):
    profile = EntrepreneurFactory(custom_url="test-electronics")
    response = auth_client(profile.user).post(URL, PAYLOAD, format="json")
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["custom_url"] == "test-electronics"
    assert body["public_url"] == "http://testserver/test-electronics/"
    assert body["contact_info"] == {"email": "store@test.com"}
    assert body["is_published"] is True
    storefront = EntrepreneurStorefront.objects.get(entrepreneur=profile)
    assert storefront.seo_title == "Test Electronics Store"


def test_defaults_to_unpublished(auth_client):
    profile = EntrepreneurFactory()
    response = auth_client(profile.user).post(URL, {}, format="json")
    assert response.status_code == 201
    assert response.json()["is_published"] is False


def test_second_storefront_is_409(auth_client):
    storefront = StorefrontFactory()
    response = auth_client(storefront.entrepreneur.user).post(URL, PAYLOAD, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "You already have a storefront."


def test_needs_profile_first(auth_client):
    response = auth_client(EntrepreneurUserFactory()).post(URL, PAYLOAD, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "Create your entrepreneur profile first (POST /api/entrepreneurs/profile/)."


def test_wrong_role_is_403(auth_client):
    client = auth_client(CustomerFactory())
    assert client.post(URL, PAYLOAD, format="json").status_code == 403
    assert client.get(URL).status_code == 403
    assert client.patch(URL, {"theme": "x"}, format="json").status_code == 403


def test_get_own_storefront(auth_client):
    storefront = StorefrontFactory(seo_title="Mine")
    StorefrontFactory(seo_title="Someone else's")
    response = auth_client(storefront.entrepreneur.user).get(URL)
    assert response.status_code == 200
    assert response.json()["id"] == storefront.id
    assert response.json()["seo_title"] == "Mine"


def test_get_without_storefront_is_404(auth_client):
    profile = EntrepreneurFactory()
    response = auth_client(profile.user).get(URL)
    assert response.status_code == 404
    assert auth_client(profile.user).patch(URL, {"theme": "x"}, format="json").status_code == 404


def test_patch_storefront(auth_client):
    storefront = StorefrontFactory(is_published=False)
    response = auth_client(storefront.entrepreneur.user).patch(
        URL, {"is_published": True, "about_section": "Hello", "social_links": {"x": "@ada"}}, format="json"
    )
    assert response.status_code == 200, response.data
    storefront.refresh_from_db()
    assert storefront.is_published is True
    assert storefront.about_section == "Hello"
    assert storefront.social_links == {"x": "@ada"}


@pytest.mark.parametrize(
    "payload",
    [
        {"contact_info": ["not", "an", "object"]},
        {"social_links": "instagram"},
        {"social_links": {"instagram": {"nested": "object"}}},
        {"seo_title": "x" * 71},
        {"seo_description": "x" * 161},
        {"is_published": "maybe"},
    ],
)
def test_validation_errors(auth_client, payload):
    profile = EntrepreneurFactory()
    response = auth_client(profile.user).post(URL, payload, format="json")
    assert response.status_code == 400
    assert set(response.json()["details"]) == set(payload)
    assert not EntrepreneurStorefront.objects.exists()


@pytest.mark.django_db
def test_the_published_storefront_read_answers_as_the_orm_does():
    """``public_storefront_get`` (a read compiled once per connection): the address whatever its case, only a
    published store of an active entrepreneur, reserved words never; its entrepreneur comes with it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.errors import NotFound
    from social.selectors import public_storefront_get

    shop = StorefrontFactory(entrepreneur=EntrepreneurFactory(custom_url="Ada-Styles"), is_published=True)
    StorefrontFactory(entrepreneur=EntrepreneurFactory(custom_url="hidden-shop"), is_published=False)
    gone = StorefrontFactory(entrepreneur=EntrepreneurFactory(custom_url="gone-shop"), is_published=True)
    gone.entrepreneur.is_active = False
    gone.entrepreneur.save()
    for address in ("ada-styles", "ADA-STYLES", "Ada-Styles"):
        with CaptureQueriesContext(connection) as queries:
            found = public_storefront_get(custom_url=address)
            assert found.entrepreneur.custom_url == "ada-styles"  # (stored lower-case)
        assert found.pk == shop.pk and len(queries.captured_queries) == 1
    for address in ("hidden-shop", "gone-shop", "nobody", "", "api", "admin"):
        with pytest.raises(NotFound):
            public_storefront_get(custom_url=address)
