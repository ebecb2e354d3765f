"""Production: PostgreSQL, Redis, S3, secrets from the environment with no defaults."""
import dj_database_url

from .base import *  # noqa: F401,F403
from .env import env_bool, env_int, env_list, env_required

DEBUG = False
SECRET_KEY = env_required("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or [env_required("ALLOWED_HOSTS")]
DATABASES = {
    "default": dj_database_url.parse(env_required("DATABASE_URL"), conn_max_age=env_int("CONN_MAX_AGE", 60))
}
PAYMENTS_SANDBOX = env_bool("PAYMENTS_SANDBOX", False)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
