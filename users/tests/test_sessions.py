"""Sessions end when they should: password change, admin reset, deactivation, logout (issue 11 item 2)."""
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import DEFAULT_PASSWORD, AdminFactory, CustomerFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/users/login/"
REFRESH = "/api/users/token/refresh/"
LOGOUT = "/api/users/logout/"
PROFILE = "/api/users/profile/"
CHANGE = "/api/users/password/change/"
NEW_PASSWORD = "Another-Secret-42"


@pytest.fixture
def user():
    return CustomerFactory(username="amaka", email="amaka@example.com")


def login(password=DEFAULT_PASSWORD, username="amaka") -> dict:
    response = APIClient().post(LOGIN, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def bearer(access) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def refresh(token):
    return APIClient().post(REFRESH, {"refresh": token}, format="json")


def assert_401(response):
    assert response.status_code == 401, response.content
    assert isinstance(response.json()["error"], str)


def test_access_tokens_live_10_minutes_and_refresh_rotates():
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] == timedelta(minutes=10)
    assert settings.SIMPLE_JWT["ROTATE_REFRESH_TOKENS"] and settings.SIMPLE_JWT["BLACKLIST_AFTER_ROTATION"]


def test_refresh_rotates_and_the_old_refresh_token_is_spent(user):
    first = login()["refresh"]
    response = refresh(first)
    assert response.status_code == 200
    assert response.json()["refresh"] != first
    assert_401(refresh(first))
    assert bearer(response.json()["access"]).get(PROFILE).status_code == 200


# --- password change endpoint ----------------------------------------------------------------------


def test_password_change_ends_every_session_and_answers_with_fresh_tokens(user):
    phone, laptop = login(), login()
    response = bearer(laptop["access"]).post(
        CHANGE, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access", "refresh", "user"} and body["user"]["id"] == user.pk

    # Every earlier token, on every device, is refused: access and refresh.
    for session in (phone, laptop):
        assert_401(bearer(session["access"]).get(PROFILE))
        assert_401(refresh(session["refresh"]))
    # The fresh pair works, and so does logging in with the new password (not the old).
    assert bearer(body["access"]).get(PROFILE).status_code == 200
    assert refresh(body["refresh"]).status_code == 200
    login(NEW_PASSWORD)
    assert APIClient().post(LOGIN, {"username": "amaka", "password": DEFAULT_PASSWORD}, format="json").status_code == 401


def test_wrong_old_password_is_400_and_changes_nothing(user):
    session = login()
    response = bearer(session["access"]).post(
        CHANGE, {"old_password": "not-my-password", "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"code": "validation_failed", "error": "old_password: The current password is wrong.",
                               "details": {"old_password": ["The current password is wrong."]}}
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert bearer(session["access"]).get(PROFILE).status_code == 200
    assert refresh(session["refresh"]).status_code == 200


@pytest.mark.parametrize("weak", ["short1", "12345678901", "password", "amaka-example"])
def test_new_password_goes_through_django_validators(user, weak):
    session = login()
    response = bearer(session["access"]).post(CHANGE, {"old_password": DEFAULT_PASSWORD, "new_password": weak},
                                              format="json")
    assert response.status_code == 400, response.content
    assert response.json()["details"]["new_password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_needs_authentication_and_both_fields(user):
    assert_401(APIClient().post(CHANGE, {"old_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
                                format="json"))
    response = bearer(login()["access"]).post(CHANGE, {"new_password": NEW_PASSWORD}, format="json")
    assert response.status_code == 400 and "old_password" in response.json()["details"]


# --- Django admin: password reset and deactivation ------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory(is_staff=True, is_superuser=True))
    return client


def test_a_password_reset_in_django_admin_ends_every_session(admin_client, user):
    session = login()
    response = admin_client.post(f"/admin/users/user/{user.pk}/password/",
                                 {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert_401(refresh(session["refresh"]))
    assert_401(bearer(session["access"]).get(PROFILE))


def test_a_deactivated_user_is_401_and_reactivation_does_not_revive_old_sessions(user):
    session = login()
    user.is_active = False
    user.save()
    assert_401(bearer(session["access"]).get(PROFILE))
    assert_401(refresh(session["refresh"]))

    user.is_active = True
    user.save()
    assert_401(refresh(session["refresh"]))  # blacklisted at deactivation
    assert refresh(login()["refresh"]).status_code == 200


def test_a_changepassword_from_code_ends_sessions_too(user):
    session = login()
    user.set_password(NEW_PASSWORD)
    user.save()
    assert_401(refresh(session["refresh"]))
    assert_401(bearer(session["access"]).get(PROFILE))


# --- logout ---------------------------------------------------------------------------------------


def test_logout_denies_its_access_token_until_it_expires(user):
    session, other_device = login(), login()
    client = bearer(session["access"])
    assert client.post(LOGOUT, {"refresh": session["refresh"]}, format="json").status_code == 205

    assert_401(client.get(PROFILE))
    assert_401(refresh(session["refresh"]))
    # The denial lasts as long as the token would have lived, and no longer.
    token = AccessToken(session["access"])
    key_ttl = cache._expire_info[cache.make_and_validate_key(f"jwt:denied:{token['jti']}")]  # locmem
    assert 0 < key_ttl - token["exp"] <= 2
    # Another device's session is untouched.
    assert bearer(other_device["access"]).get(PROFILE).status_code == 200
    assert refresh(other_device["refresh"]).status_code == 200


def test_the_denylist_fails_open_when_the_cache_is_down(user, monkeypatch):
    session = login()

    def down(*args, **kwargs):
        raise RedisConnectionError("cache down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    client = bearer(session["access"])
    assert client.get(PROFILE).status_code == 200
    assert client.post(LOGOUT, {"refresh": session["refresh"]}, format="json").status_code == 205
    assert_401(refresh(session["refresh"]))  # the refresh token is blacklisted in the database regardless


# --- the user behind an access token (users.authentication) ------------------------------------------

@pytest.mark.parametrize("case", ["deleted", "no_user_claim", "bad_user_claim", "inactive", "password_changed"])
def test_an_access_token_whose_user_cannot_be_used_is_401_with_simplejwts_code(user, case):
    token = AccessToken.for_user(user)
    expected = {"deleted": "User not found", "inactive": "User is inactive",
                "password_changed": "The user's password has been changed."}
    if case == "deleted":
        user.delete()
    elif case == "no_user_claim":
        del token["user_id"]
    elif case == "bad_user_claim":
        token["user_id"] = "abc"
    elif case == "inactive":
        user.is_active = False
        user.save()
    else:
        user.set_password(NEW_PASSWORD)
        user.save()
    response = bearer(str(token)).get(PROFILE)
    assert response.status_code == 401, response.content
    assert response.json() == {"code": "authentication_failed",
                               "error": expected.get(case, "Token contained no recognizable user identification")}


def test_an_access_token_reads_its_user_in_one_query(user, django_assert_num_queries):
    client = bearer(str(AccessToken.for_user(user)))
    client.get(PROFILE)
    with django_assert_num_queries(1) as context:
        assert client.get("/api/orders/orders/?status=nonexistent").status_code in (200, 400)
    assert context.captured_queries[0]["sql"].startswith('SELECT "users_user"."id"')
