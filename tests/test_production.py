"""Production configuration: settings hardening (in subprocesses with a production environment), throttling,
and the deployment files (gunicorn.conf.py, nginx.conf, docker-compose.yml, Dockerfile).

The live stack (gunicorn + nginx + Redis + Celery + PostgreSQL) is exercised by ``scripts/prod_smoke`` in CI.
"""
import json
import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import override_settings
from django.urls import resolve
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle

from core import throttling
from tests.factories import DEFAULT_PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parent.parent
LOGIN_URL = "/api/users/login/"
REGISTER_URL = "/api/users/register/"


def production_env(**overrides) -> dict:
    """A realistic production environment (nothing inherited but PATH/locale): values that would pass a review."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT") if key in os.environ}
    env.update(
        DJANGO_ENVIRONMENT="production",
        DJANGO_SETTINGS_MODULE="payjaro_project.settings",
        PYTHONDONTWRITEBYTECODE="1",
        SECRET_KEY=secrets.token_urlsafe(64),
        # Never contacted: `check --deploy` and settings import do not connect.
        DATABASE_URL="postgres://payjaro:s3cret-db-pass@db.internal.invalid:5432/payjaro",
        REDIS_URL="redis://redis.internal.invalid:6379/0",
        ALLOWED_HOSTS="api.payjaro.ng,.payjaro.ng",
        CORS_ALLOWED_ORIGINS="https://payjaro.ng,https://app.payjaro.ng",
        CSRF_TRUSTED_ORIGINS="https://payjaro.ng",
        PAYSTACK_SECRET_KEY="sk_live_" + secrets.token_hex(20),
        PAYSTACK_PUBLIC_KEY="pk_live_" + secrets.token_hex(20),
        FLUTTERWAVE_SECRET_KEY="FLWSECK-" + secrets.token_hex(16),
        FLUTTERWAVE_PUBLIC_KEY="FLWPUBK-" + secrets.token_hex(16),
        FLUTTERWAVE_SECRET_HASH=secrets.token_hex(16),
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


SETTINGS_DUMP = """
import json, django
from django.conf import settings
django.setup()
rf = settings.REST_FRAMEWORK
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "CORS_ALLOWED_ORIGINS": settings.CORS_ALLOWED_ORIGINS,
    "CORS_ALLOW_ALL_ORIGINS": getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False),
    "CSRF_TRUSTED_ORIGINS": settings.CSRF_TRUSTED_ORIGINS,
    "DB_ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DB_HOST": settings.DATABASES["default"]["HOST"],
    "CONN_MAX_AGE": settings.DATABASES["default"]["CONN_MAX_AGE"],
    "CONN_HEALTH_CHECKS": settings.DATABASES["default"]["CONN_HEALTH_CHECKS"],
    "DB_OPTIONS": settings.DATABASES["default"]["OPTIONS"],
    "CACHE_BACKEND": settings.CACHES["default"]["BACKEND"],
    "CACHE_LOCATION": settings.CACHES["default"]["LOCATION"],
    "SESSION_ENGINE": settings.SESSION_ENGINE,
    "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    "CELERY_TASK_ALWAYS_EAGER": settings.CELERY_TASK_ALWAYS_EAGER,
    "SECURE_PROXY_SSL_HEADER": list(settings.SECURE_PROXY_SSL_HEADER),
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "STORAGES": settings.STORAGES,
    "NUM_PROXIES": rf["NUM_PROXIES"],
    "THROTTLE_CLASSES": rf["DEFAULT_THROTTLE_CLASSES"],
    "THROTTLE_RATES": rf["DEFAULT_THROTTLE_RATES"],
    "PAYMENTS_SANDBOX": settings.PAYMENTS_SANDBOX,
    "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
    "LOG_HANDLERS": {name: {k: v for k, v in h.items() if k != "formatter"} for name, h in settings.LOGGING["handlers"].items()},
    "LOG_FORMATTER": settings.LOGGING["formatters"]["json"]["()"],
}))
"""


def dump_settings(**overrides) -> dict:
    result = run_python(production_env(**overrides), "-c", SETTINGS_DUMP)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- settings -------------------------------------------------------------------------------------------


def test_check_deploy_is_clean_with_a_realistic_environment():
    result = run_python(production_env(), "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = run_python(production_env(SECRET_KEY=None), "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr
    # An empty value is as bad as a missing one.
    result = run_python(production_env(SECRET_KEY="  "), "manage.py", "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_every_missing_variable_is_named_at_once():
    result = run_python(
        production_env(DATABASE_URL=None, REDIS_URL=None, ALLOWED_HOSTS=None), "manage.py", "check"
    )
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in message
    for name in ("DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"):
        assert name in message
    assert "SECRET_KEY" not in message


@pytest.mark.parametrize(
    "name", ["PAYSTACK_SECRET_KEY", "PAYSTACK_PUBLIC_KEY", "FLUTTERWAVE_SECRET_KEY", "FLUTTERWAVE_PUBLIC_KEY",
             "FLUTTERWAVE_SECRET_HASH"],
)
def test_gateway_keys_are_required_unless_the_sandbox_is_on(name):
    result = run_python(production_env(**{name: None}), "manage.py", "check")
    assert result.returncode != 0
    assert name in result.stderr.strip().splitlines()[-1]


def test_sandbox_makes_gateway_keys_optional_and_is_off_by_default():
    keys = dict.fromkeys(["PAYSTACK_SECRET_KEY", "PAYSTACK_PUBLIC_KEY", "FLUTTERWAVE_SECRET_KEY",
                          "FLUTTERWAVE_PUBLIC_KEY", "FLUTTERWAVE_SECRET_HASH"])
    assert dump_settings(PAYMENTS_SANDBOX="true", **keys)["PAYMENTS_SANDBOX"] is True
    assert dump_settings()["PAYMENTS_SANDBOX"] is False


def test_database_must_be_postgresql():
    result = run_python(production_env(DATABASE_URL="sqlite:////tmp/payjaro.sqlite3"), "manage.py", "check")
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL" in result.stderr


def test_production_settings_values():
    values = dump_settings()
    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["api.payjaro.ng", ".payjaro.ng"]
    assert values["CORS_ALLOWED_ORIGINS"] == ["https://payjaro.ng", "https://app.payjaro.ng"]
    assert values["CORS_ALLOW_ALL_ORIGINS"] is False
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://payjaro.ng"]
    assert values["DB_ENGINE"] == "django.db.backends.postgresql"
    assert values["DB_HOST"] == "db.internal.invalid"
    assert values["CONN_MAX_AGE"] == 60
    assert values["CONN_HEALTH_CHECKS"] is True
    # psycopg 3, parameters bound by the server, statements prepared after 5 runs on a connection.
    assert values["DB_OPTIONS"] == {"connect_timeout": 5, "server_side_binding": True, "prepare_threshold": 5}
    assert values["CACHE_BACKEND"] == "django_redis.cache.RedisCache"
    assert values["CACHE_LOCATION"] == "redis://redis.internal.invalid:6379/0"
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    assert values["CELERY_BROKER_URL"] == "redis://redis.internal.invalid:6379/0"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert values["NUM_PROXIES"] == 1
    assert values["THROTTLE_CLASSES"] == [
        "core.throttling.AnonRateThrottle", "core.throttling.UserRateThrottle",
    ]
    assert set(values["THROTTLE_RATES"]) == {"anon", "user", "auth", "token_refresh", "tracking", "webhooks", "orders"}
    assert values["PUBLIC_BASE_URL"] == "https://api.payjaro.ng"
    # Logs: JSON on stdout, no file handlers.
    assert values["LOG_FORMATTER"] == "pythonjsonlogger.json.JsonFormatter"
    assert values["LOG_HANDLERS"] == {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.__stdout__"}
    }


@pytest.mark.parametrize(("raw", "expected"), [("0", 0), (" 12 ", 12), ("off", None), ("OFF", None), ("", 5)])
def test_prepared_statements_threshold_from_the_environment(raw, expected):
    assert dump_settings(DATABASE_PREPARE_THRESHOLD=raw)["DB_OPTIONS"]["prepare_threshold"] == expected


@pytest.mark.parametrize("raw", ["-1", "five", "1.5"])
def test_a_bad_prepared_statements_threshold_is_refused_by_name(raw):
    result = run_python(production_env(DATABASE_PREPARE_THRESHOLD=raw), "manage.py", "check")
    assert result.returncode != 0
    assert "DATABASE_PREPARE_THRESHOLD must be a whole number" in result.stderr


def test_media_on_s3_when_a_bucket_is_configured():
    values = dump_settings(AWS_STORAGE_BUCKET_NAME="payjaro-media", PUBLIC_BASE_URL="https://payjaro.ng")
    assert values["STORAGES"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert values["PUBLIC_BASE_URL"] == "https://payjaro.ng"


def test_logs_are_json_lines_on_stdout():
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('payjaro.orders').warning('order %s placed', 'PJ-1', extra={'order_id': 7})"
    )
    result = run_python(production_env(), "-c", code)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout.strip().splitlines()[-1])
    assert record["level"] == "WARNING"
    assert record["logger"] == "payjaro.orders"
    assert record["message"] == "order PJ-1 placed"
    assert record["order_id"] == 7
    assert "time" in record


# --- throttling -----------------------------------------------------------------------------------------


def test_default_rates_and_scopes():
    rates = api_settings.DEFAULT_THROTTLE_RATES
    assert set(rates) >= {"anon", "user", "auth", "token_refresh", "tracking", "webhooks"}
    assert api_settings.DEFAULT_THROTTLE_CLASSES == [throttling.AnonRateThrottle, throttling.UserRateThrottle]


def _login(client, username, password, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password}, format="json", **extra)


@pytest.mark.django_db
def test_login_is_throttled_with_429_in_the_error_shape(api_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "auth", "3/min")
    user = UserFactory()

    assert _login(api_client, user.username, DEFAULT_PASSWORD).status_code == 200
    for _ in range(2):
        assert _login(api_client, user.username, "wrong-password").status_code in (400, 401)

    response = _login(api_client, user.username, DEFAULT_PASSWORD)
    assert response.status_code == 429
    retry_after = response["Retry-After"]
    assert 1 <= int(retry_after) <= 60
    body = response.json()
    assert set(body) == {"error", "code", "details"}
    assert body["error"].startswith("Request was throttled.")
    assert body["details"] == {"retry_after": retry_after}

    # Same "auth" bucket: switching to registration does not reset the count.
    response = api_client.post(REGISTER_URL, {"username": "newbie"}, format="json")
    assert response.status_code == 429
    # Token refresh has its own bucket, so app sessions refreshing behind one address never lock out logins.
    response = api_client.post("/api/users/token/refresh/", {"refresh": "x"}, format="json")
    assert response.status_code == 401


@pytest.mark.django_db
def test_token_refresh_is_throttled_in_its_own_scope(api_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "token_refresh", "2/min")
    statuses = [api_client.post("/api/users/token/refresh/", {"refresh": "x"}, format="json").status_code
                for _ in range(3)]
    assert statuses == [401, 401, 429]
    assert _login(api_client, "nobody", "wrong").status_code == 401


@pytest.mark.django_db
def test_behind_nginx_the_client_cannot_dodge_the_limit_with_its_own_forwarded_for(api_client, monkeypatch):
    """NUM_PROXIES=1: only the hop nginx appended to X-Forwarded-For counts, whatever the client put before it."""
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "auth", "2/min")
    with override_settings(REST_FRAMEWORK={**api_settings.user_settings, "NUM_PROXIES": 1}):
        assert api_settings.NUM_PROXIES == 1
        statuses = [
            _login(api_client, "nobody", "x", HTTP_X_FORWARDED_FOR=f"10.9.8.{n}, 41.58.1.1").status_code
            for n in range(3)
        ]
        assert statuses[0] != 429 and statuses[1] != 429 and statuses[2] == 429, statuses
        # Another real client (another last hop) has its own bucket.
        assert _login(api_client, "nobody", "x", HTTP_X_FORWARDED_FOR="41.58.2.2").status_code != 429


@pytest.mark.django_db
def test_webhooks_are_not_throttled_by_the_anonymous_rate(api_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/min")
    statuses = [
        api_client.post("/api/payments/webhooks/paystack/", {"event": "charge.success", "data": {}}, format="json",
                        HTTP_X_PAYSTACK_SIGNATURE="bad").status_code
        for _ in range(5)
    ]
    assert 429 not in statuses, statuses


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/api/users/login/", "auth"),
        ("/api/users/register/", "auth"),
        ("/api/users/token/refresh/", "token_refresh"),
        ("/api/payments/webhooks/paystack/", "webhooks"),
        ("/api/payments/webhooks/flutterwave/", "webhooks"),
        ("/api/analytics/track/", "tracking"),
        ("/api/analytics/track-click/", "tracking"),
    ],
)
def test_views_use_their_throttle_scope(path, scope):
    view_class = resolve(path).func.view_class
    assert view_class.throttle_scope == scope
    assert any(issubclass(cls, ScopedRateThrottle) for cls in view_class.throttle_classes)
    assert not any(issubclass(cls, AnonRateThrottle) for cls in view_class.throttle_classes)


# --- deployment files -----------------------------------------------------------------------------------


def _gunicorn_config(monkeypatch, **env) -> dict:
    for key in ("WEB_CONCURRENCY", "GUNICORN_BIND", "PORT", "GUNICORN_THREADS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_workers_from_cpu_count_and_overridable(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    config = _gunicorn_config(monkeypatch)
    assert config["workers"] == 7
    assert config["bind"] == "0.0.0.0:8000"
    assert config["worker_class"] == "sync"
    assert config["accesslog"] == "-"
    assert config["timeout"] == 30

    config = _gunicorn_config(monkeypatch, WEB_CONCURRENCY="3", GUNICORN_BIND="127.0.0.1:9001", GUNICORN_THREADS="4")
    assert config["workers"] == 3
    assert config["bind"] == "127.0.0.1:9001"
    assert config["worker_class"] == "gthread"


def _nginx_location(conf: str, head: str) -> str:
    start = conf.index(head)
    return conf[start: conf.index("}", start)]


def test_nginx_conf_limits_and_locations():
    conf = (ROOT / "nginx.conf").read_text()
    assert re.search(r"^\s*client_max_body_size 11m;", conf, re.M)  # SPEC §7: 10 MB + multipart envelope
    assert "limit_req_zone $binary_remote_addr zone=api:10m rate=10r/s;" in conf
    assert "limit_req_zone $binary_remote_addr zone=auth:10m rate=5r/s;" in conf
    assert "limit_req_status 429;" in conf
    webhooks = _nginx_location(conf, "location ^~ /api/payments/webhooks/")
    assert "proxy_pass" in webhooks and "limit_req" not in webhooks
    assert "limit_req zone=auth" in _nginx_location(conf, "location ~ ^/api/(users|auth)/")
    assert "limit_req zone=api" in _nginx_location(conf, "location /api/ {")
    for header in ("Host $host", "X-Forwarded-For $proxy_add_x_forwarded_for", "X-Real-IP $remote_addr",
                   "X-Forwarded-Proto $payjaro_forwarded_proto"):
        assert f"proxy_set_header {header};" in conf
    for header in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"):
        assert f"add_header {header} " in conf
    assert "location ^~ /static/" in conf and "location ^~ /media/" in conf
    for tag in ("# @listen", "# @upstream", "# @root", "# @log"):  # what scripts/_nginx.sh rewrites
        assert tag in conf


def test_compose_stack_is_health_gated_and_migrates_once():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "migrate", "web", "worker", "beat", "nginx"} <= set(services)
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("db", "redis", "web", "worker", "nginx"):
        assert "healthcheck" in services[name], name
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name
    assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert "migrate" in " ".join(services["migrate"]["command"])
    for name in ("web", "worker", "beat"):
        assert "migrate" not in " ".join(services[name].get("command", [])), name


def test_dockerfile_is_multistage_non_root_with_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", dockerfile, re.M | re.I)
    assert len(stages) >= 2
    final = dockerfile[dockerfile.lower().rindex("\nfrom "):].replace("\\\n", " ")  # join continued lines
    assert stages[-1][0].startswith("python:3.11-slim")
    assert re.search(r"^USER\s+(?!root)\w+", final, re.M)
    assert not re.search(r"build-essential|\bgcc\b|libpq-dev", final)
    assert "collectstatic" in final
    assert re.search(r"^HEALTHCHECK .*scripts/healthcheck\.py", final, re.M)
    assert re.search(r'^CMD \["gunicorn", "--config", "gunicorn.conf.py"', final, re.M)


@pytest.mark.django_db
def test_throttles_fail_open_when_the_cache_is_down(api_client, monkeypatch):
    """Redis unreachable: throttled endpoints keep answering (no 500); /health/ says the cache is down."""
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError

    def down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    user = UserFactory()
    monkeypatch.setattr(SimpleRateThrottle, "cache", cache)
    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    assert _login(api_client, user.username, DEFAULT_PASSWORD).status_code == 200
    assert api_client.post("/api/users/token/refresh/", {"refresh": "x"}, format="json").status_code == 401
    assert api_client.get("/health/").status_code == 503
