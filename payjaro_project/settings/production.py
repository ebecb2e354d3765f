"""Production: PostgreSQL, Redis, S3 (optional), gunicorn behind nginx. Secrets come only from the environment.

Required (startup fails with ImproperlyConfigured naming every missing variable):
    SECRET_KEY, DATABASE_URL (PostgreSQL), REDIS_URL, ALLOWED_HOSTS,
    and unless PAYMENTS_SANDBOX is on: PAYSTACK_SECRET_KEY, PAYSTACK_PUBLIC_KEY,
    FLUTTERWAVE_SECRET_KEY, FLUTTERWAVE_PUBLIC_KEY, FLUTTERWAVE_SECRET_HASH.

TLS is terminated in front of Django (nginx or a load balancer); nginx passes ``X-Forwarded-Proto``
and appends the client address to ``X-Forwarded-For`` (``NUM_PROXIES`` trusted hops, default 1).
"""
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import BASE_DIR, REST_FRAMEWORK
from .env import env_bool, env_int, env_list, env_str, postgresql_prepared_statements

_missing: list[str] = []


def _require(name: str) -> str:
    """The variable's value, or "" after noting it as missing (all missing names are reported at once)."""
    value = os.environ.get(name, "").strip()
    if not value:
        _missing.append(name)
    return value


DEBUG = False  # never from the environment in production

# --- Secrets and hosts (no defaults) ---
SECRET_KEY = _require("SECRET_KEY")
_require("ALLOWED_HOSTS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
_database_url = _require("DATABASE_URL")
REDIS_URL = _require("REDIS_URL")

# --- Payments: real gateways unless the sandbox is explicitly switched on (never by default) ---
PAYMENTS_SANDBOX = env_bool("PAYMENTS_SANDBOX", False)
if not PAYMENTS_SANDBOX:
    for _name in ("PAYSTACK_SECRET_KEY", "PAYSTACK_PUBLIC_KEY", "FLUTTERWAVE_SECRET_KEY",
                  "FLUTTERWAVE_PUBLIC_KEY", "FLUTTERWAVE_SECRET_HASH"):
        _require(_name)

if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables, which are missing or empty: "
        + ", ".join(_missing) + " (see .env.example)."
    )

# --- Database: PostgreSQL with persistent, health-checked connections ---
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        f"DATABASE_URL must point at PostgreSQL in production (got engine {DATABASES['default']['ENGINE']!r})."
    )
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5))
postgresql_prepared_statements(DATABASES["default"])

# --- Cache (also the throttling store) and sessions on Redis ---
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "payjaro"),
        "TIMEOUT": env_int("CACHE_DEFAULT_TIMEOUT", 300),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 2,
            "SOCKET_TIMEOUT": 2,
        },
    }
}
# Sessions are only used by Django admin: cached in Redis, persisted in the database (survive a Redis flush).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Celery: Redis broker, never eager ---
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "") or REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # keep the JSON logging below in the worker and beat

# --- HTTPS behind the proxy ---
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Load balancer / container health probes speak plain HTTP to the app.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# --- Cross-origin: explicit lists only (scheme://host[:port], comma separated) ---
CORS_ALLOW_ALL_ORIGINS = False
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# --- Client addresses behind nginx: the last NUM_PROXIES hops of X-Forwarded-For are ours (throttles, analytics) ---
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": env_int("NUM_PROXIES", 1)}

# --- Static files: collected at image build, served by whitenoise (and by nginx from the shared volume) ---
STATIC_ROOT = Path(env_str("STATIC_ROOT", "") or BASE_DIR / "staticfiles")
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME", "")
STORAGES = {
    # S3 when a bucket is configured (credentials from AWS_* or the instance role), else MEDIA_ROOT served by nginx.
    "default": {"BACKEND": "storages.backends.s3.S3Storage" if AWS_STORAGE_BUCKET_NAME
                else "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False

# --- Product settings that must not fall back to development values ---
if not env_str("PUBLIC_BASE_URL", ""):
    _public_host = next((host.lstrip(".") for host in ALLOWED_HOSTS if host != "*"), "")
    if _public_host:
        PUBLIC_BASE_URL = f"https://{_public_host}"
VISITOR_ID_SALT = env_str("VISITOR_ID_SALT", "") or SECRET_KEY

# --- Logging: one JSON object per line on stdout; no files ---
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    # sys.__stdout__: the real stdout even where Celery has redirected sys.stdout into its logger.
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.__stdout__", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "celery": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
