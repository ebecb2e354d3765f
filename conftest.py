"""Project-wide pytest fixtures."""
import os

os.environ["DJANGO_ENVIRONMENT"] = "test"

import pytest  # noqa: E402
from django.db import connection  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need real row locks and concurrent connections; skip them on SQLite."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite the test database is a file (one per xdist worker), not ``:memory:``, so a test can run a
    management command in a subprocess against the data it committed (``transactional_db``)."""
    import tempfile

    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        folder = tempfile.mkdtemp(prefix="payjaro-test-db-")
        database.setdefault("TEST", {})["NAME"] = os.path.join(folder, "test.sqlite3")


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    # An API client asks for JSON; the public storefront URLs answer HTML otherwise (SPEC §9).
    return APIClient(HTTP_ACCEPT="application/json")


@pytest.fixture
def auth_client():
    """``auth_client(user)`` → an APIClient authenticated with a real JWT for that user."""
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    def make(user):
        client = APIClient(HTTP_ACCEPT="application/json")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return client

    return make
