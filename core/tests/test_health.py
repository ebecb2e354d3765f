import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_health_ok(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body == {"status": "ok", "database": "ok", "cache": "ok"}


def test_health_reports_cache_down(client, monkeypatch):
    from django.core.cache import cache

    def boom(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "set", boom)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["cache"] == "error"


def test_schema_lists_auth_endpoints(client):
    response = client.get("/api/schema.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    base = schema.get("basePath", "").rstrip("/")
    full_paths = {base + p for p in schema["paths"]}
    for path in ("register/", "login/", "token/refresh/", "logout/", "profile/"):
        assert f"/api/users/{path}" in full_paths, path


def test_docs_page(client):
    assert client.get("/api/docs/").status_code == 200


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/nope/")
    assert response.status_code == 404


def test_system_check_clean():
    call_command("check", fail_level="WARNING")
