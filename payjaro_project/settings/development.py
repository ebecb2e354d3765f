"""Development: the embedded default (SQLite, local-memory cache, eager Celery, sandbox payments)."""
from .base import *  # noqa: F401,F403
from .env import env_bool, env_str

DEBUG = env_bool("DEBUG", True)
PAYMENTS_SANDBOX = env_bool("PAYMENTS_SANDBOX", True)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
CORS_ALLOW_ALL_ORIGINS = env_bool("CORS_ALLOW_ALL_ORIGINS", True)
WHITENOISE_USE_FINDERS = True
