"""Development: the embedded default (SQLite, local-memory cache, eager Celery, sandbox payments)."""
from .base import *  # noqa: F401,F403
from .base import BASE_DIR
from .env import env_bool, env_str
from .secret_key import local_secret_key

# SECRET_KEY from the environment, else this checkout's own generated key (.secret_key, git-ignored).
SECRET_KEY = env_str("SECRET_KEY", "") or local_secret_key(BASE_DIR / ".secret_key")
VISITOR_ID_SALT = env_str("VISITOR_ID_SALT", "") or SECRET_KEY

DEBUG = env_bool("DEBUG", True)
PAYMENTS_SANDBOX = env_bool("PAYMENTS_SANDBOX", True)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
CORS_ALLOW_ALL_ORIGINS = env_bool("CORS_ALLOW_ALL_ORIGINS", True)
WHITENOISE_USE_FINDERS = True
