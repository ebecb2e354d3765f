"""Project health: system check, migrations up to date, error shape through the real URLs, permissions."""
import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from rest_framework.test import APIRequestFactory

from core.permissions import IsAdmin, IsCustomer, IsEntrepreneur, IsSupplier, is_admin
from products.permissions import IsVerifiedSupplier
from suppliers.models import SupplierProfile
from tests.factories import (
    AdminFactory,
    CustomerFactory,
    EntrepreneurUserFactory,
    SupplierFactory,
    SupplierUserFactory,
    UserFactory,
)


def test_check_is_clean():
    out = io.StringIO()
    call_command("check", fail_level="WARNING", stdout=out)
    assert "no issues" in out.getvalue()


@pytest.mark.django_db
def test_migrations_are_up_to_date():
    """``makemigrations --check`` for every app: exits non-zero (SystemExit) when a model has no migration."""
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        pytest.fail(f"Models changed without a migration:\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue()


# --- error shape through the real URLs ---------------------------------------------------------------

@pytest.mark.django_db
def test_400_shape(api_client):
    response = api_client.post("/api/users/register/", {"username": "x"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"error", "code", "details"}
    assert isinstance(body["error"], str)
    assert isinstance(body["details"], dict)
    assert body["details"]["email"] == ["This field is required."]


@pytest.mark.django_db
def test_401_shape(api_client):
    response = api_client.get("/api/users/profile/")
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "error": "Authentication credentials were not provided."}
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("path, accept", [("/api/nope/", ""), ("/api/users/nope/", "text/html"),
                                          ("/no/such/page/here/", "application/json")])
def test_404_shape_for_unknown_paths(client, path, accept):
    # Outside /api/ a browser gets the friendly HTML page instead (public/tests/test_error_pages.py).
    response = client.get(path, HTTP_ACCEPT=accept)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"code": "not_found", "error": "Not found."}


@pytest.mark.django_db
def test_405_shape(api_client):
    response = api_client.get("/api/users/register/")
    assert response.status_code == 405
    assert response.json() == {"code": "method_not_allowed", "error": 'Method "GET" not allowed.'}


@pytest.mark.django_db
def test_schema_is_valid_json_with_error_shape(client):
    response = client.get("/api/schema.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["swagger"] == "2.0"
    assert schema["info"]["title"] == "Payjaro API"
    base = schema.get("basePath", "").rstrip("/")
    paths = {base + path: operations for path, operations in schema["paths"].items()}
    register = paths["/api/users/register/"]["post"]
    assert "201" in register["responses"]
    assert "400" in register["responses"]
    assert "Bearer" in schema.get("securityDefinitions", {})


@pytest.mark.django_db
def test_health_is_json_and_not_cached(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert client.post("/health/").status_code == 405


@pytest.mark.django_db
def test_health_reports_database_down(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "error", "cache": "ok"}


# --- role permission classes --------------------------------------------------------------------------

def _request_for(user):
    request = APIRequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.django_db
def test_role_permissions():
    customer = CustomerFactory()
    entrepreneur = EntrepreneurUserFactory()
    verified = SupplierFactory().user
    pending = SupplierFactory(verification_status=SupplierProfile.VerificationStatus.PENDING).user
    inactive = SupplierFactory(is_active=False).user
    admin = AdminFactory()
    staff_customer = UserFactory(is_staff=True)
    superuser = UserFactory(is_superuser=True)

    def allowed(permission, user):
        return permission().has_permission(_request_for(user), None)

    assert allowed(IsCustomer, customer) and not allowed(IsCustomer, entrepreneur)
    assert allowed(IsEntrepreneur, entrepreneur) and not allowed(IsEntrepreneur, customer)
    assert allowed(IsSupplier, verified) and allowed(IsSupplier, pending) and not allowed(IsSupplier, customer)
    assert allowed(IsVerifiedSupplier, verified)
    assert not allowed(IsVerifiedSupplier, pending)
    assert not allowed(IsVerifiedSupplier, inactive)
    assert not allowed(IsVerifiedSupplier, customer)
    assert not allowed(IsVerifiedSupplier, SupplierUserFactory())  # a supplier user without a profile
    for user in (admin, staff_customer, superuser):
        assert allowed(IsAdmin, user) and is_admin(user)
    for user in (customer, entrepreneur, verified):
        assert not allowed(IsAdmin, user) and not is_admin(user)


def test_permissions_refuse_anonymous():
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    for permission in (IsCustomer, IsEntrepreneur, IsSupplier, IsVerifiedSupplier, IsAdmin):
        assert not permission().has_permission(_request_for(anonymous), None)
    assert not is_admin(anonymous)
    assert not is_admin(None)


# --- .env.example documents every variable -------------------------------------------------------------

SPEC_VARIABLES = {
    "DJANGO_ENVIRONMENT", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "CORS_ALLOWED_ORIGINS",
    "FRONTEND_URL", "PUBLIC_BASE_URL", "PAYSTACK_SECRET_KEY", "PAYSTACK_PUBLIC_KEY", "PAYSTACK_BASE_URL",
    "FLUTTERWAVE_SECRET_KEY", "FLUTTERWAVE_PUBLIC_KEY", "FLUTTERWAVE_SECRET_HASH", "FLUTTERWAVE_BASE_URL",
    "PAYMENTS_SANDBOX", "AWS_STORAGE_BUCKET_NAME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "EMAIL_HOST",
    "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
    "SHIPPING_FEE_NGN", "ORDER_RESERVATION_MINUTES", "EARNINGS_RELEASE_DAYS",
}


def _env_example_variables() -> set[str]:
    text = (Path(settings.BASE_DIR) / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def _variables_read_by_settings() -> set[str]:
    pattern = re.compile(
        r"""(?:env_(?:str|bool|int|list|decimal|required)|_require|os\.environ\.get)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
    )
    names = set()
    for path in (Path(settings.BASE_DIR) / "payjaro_project" / "settings").glob("*.py"):
        names.update(pattern.findall(path.read_text()))
    return names


def test_env_example_lists_every_variable():
    documented = _env_example_variables()
    read = _variables_read_by_settings()
    assert len(read) > 40
    missing = sorted((read | SPEC_VARIABLES) - documented)
    assert not missing, f".env.example lacks: {missing}"


def test_env_example_values_are_commented_except_safe_ones():
    active = [line for line in (Path(settings.BASE_DIR) / ".env.example").read_text().splitlines()
              if line.strip() and not line.lstrip().startswith("#")]
    assert active == ["DJANGO_ENVIRONMENT=development"]


@pytest.mark.django_db
def test_postgresql_connections_bind_on_the_server_and_prepare_repeated_statements():
    """The suite runs with the production driver options on PostgreSQL (and leaves other engines alone)."""
    from django.db import connection

    from payjaro_project.settings.env import postgresql_prepared_statements

    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}
    postgresql_prepared_statements(sqlite)
    assert "OPTIONS" not in sqlite
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    options = connection.settings_dict["OPTIONS"]
    assert options["server_side_binding"] is True and options["prepare_threshold"] == 5
    with connection.cursor() as cursor:
        for _ in range(6):
            cursor.execute("SELECT count(*) FROM users_user WHERE id = %s", [1])
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                       ["SELECT count(*) FROM users_user WHERE id = $1%"])
        assert cursor.fetchone()[0] == 1
