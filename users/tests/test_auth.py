"""Login (username or email), token refresh, logout blacklisting — SPEC §4 "Users"."""
import pytest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import DEFAULT_PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/users/login/"
REFRESH = "/api/users/token/refresh/"
LOGOUT = "/api/users/logout/"
PROFILE = "/api/users/profile/"


@pytest.fixture
def user():
    return CustomerFactory(username="tunde", email="tunde@example.com")


def assert_401(response):
    assert response.status_code == 401, response.content
    body = response.json()
    assert set(body) <= {"error", "code", "details"}
    assert isinstance(body["error"], str) and body["error"]
    return body


def login(client, identifier, password=DEFAULT_PASSWORD):
    return client.post(LOGIN, {"username": identifier, "password": password}, format="json")


@pytest.mark.parametrize("identifier", ["tunde", "tunde@example.com", "TUNDE@Example.com", "  tunde@example.com "])
def test_login_by_username_or_email(api_client, user, identifier):
    response = login(api_client, identifier)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"]["id"] == user.pk
    assert body["user"]["username"] == "tunde"
    user.refresh_from_db()
    assert user.last_login is not None


def test_login_access_token_authenticates(api_client, user):
    access = login(api_client, "tunde").json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api_client.get(PROFILE).json()["username"] == "tunde"


@pytest.mark.parametrize("identifier", ["tunde", "tunde@example.com"])
def test_login_wrong_password_is_401(api_client, user, identifier):
    body = assert_401(login(api_client, identifier, "wrong-password-1"))
    assert body == {"code": "authentication_failed", "error": "Invalid username/email or password."}


def test_login_unknown_user_is_401(api_client, user):
    body = assert_401(login(api_client, "nobody@example.com"))
    assert body == {"code": "authentication_failed", "error": "Invalid username/email or password."}


def test_login_inactive_user_is_401(api_client):
    CustomerFactory(username="gone", is_active=False)
    assert_401(login(api_client, "gone"))


def test_login_missing_fields_is_400(api_client):
    response = api_client.post(LOGIN, {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "username" in body["details"] and "password" in body["details"]


def test_refresh_returns_new_access(api_client, user):
    tokens = login(api_client, "tunde").json()
    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["access"]
    # rotation is on: a new refresh token, and the old one is blacklisted
    assert body["refresh"] and body["refresh"] != tokens["refresh"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get(PROFILE).status_code == 200

    api_client.credentials()
    assert_401(api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json"))


def test_refresh_with_garbage_is_401(api_client):
    assert_401(api_client.post(REFRESH, {"refresh": "not-a-token"}, format="json"))


def test_refresh_with_access_token_is_401(api_client, user):
    tokens = login(api_client, "tunde").json()
    assert_401(api_client.post(REFRESH, {"refresh": tokens["access"]}, format="json"))


def test_refresh_missing_body_is_400(api_client):
    response = api_client.post(REFRESH, {}, format="json")
    assert response.status_code == 400
    assert "refresh" in response.json()["details"]


def test_logout_blacklists_refresh_token(api_client, user):
    tokens = login(api_client, "tunde").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 205
    assert BlacklistedToken.objects.filter(token__user=user).count() == 1

    api_client.credentials()
    body = assert_401(api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json"))
    assert "blacklisted" in body["error"].lower()


def test_logout_twice_is_401(api_client, user):
    tokens = login(api_client, "tunde").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 205
    assert_401(api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json"))


def test_logout_requires_authentication(api_client, user):
    tokens = login(api_client, "tunde").json()
    assert_401(api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json"))
    assert BlacklistedToken.objects.count() == 0


def test_logout_with_someone_elses_refresh_token_is_401(auth_client, user):
    other = CustomerFactory()
    other_refresh = str(RefreshToken.for_user(other))
    assert_401(auth_client(user).post(LOGOUT, {"refresh": other_refresh}, format="json"))
    assert BlacklistedToken.objects.count() == 0


def test_logout_with_garbage_token_is_401(auth_client, user):
    assert_401(auth_client(user).post(LOGOUT, {"refresh": "garbage"}, format="json"))


def test_logout_missing_refresh_is_400(auth_client, user):
    response = auth_client(user).post(LOGOUT, {}, format="json")
    assert response.status_code == 400
    assert "refresh" in response.json()["details"]


def test_bad_bearer_token_is_401_in_error_shape(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    response = api_client.get(PROFILE)
    body = assert_401(response)
    assert "details" not in body or isinstance(body["details"], dict)
    assert response["WWW-Authenticate"]
