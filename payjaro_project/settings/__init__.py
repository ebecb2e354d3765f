"""Settings package: ``DJANGO_ENVIRONMENT`` (development | production | test) picks the module."""
import os

_ENVIRONMENT = os.environ.get("DJANGO_ENVIRONMENT", "development").strip().lower()

if _ENVIRONMENT == "production":
    from .production import *  # noqa: F401,F403
elif _ENVIRONMENT == "test":
    from .test import *  # noqa: F401,F403
elif _ENVIRONMENT == "development":
    from .development import *  # noqa: F401,F403
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"DJANGO_ENVIRONMENT must be development, production or test, not {_ENVIRONMENT!r}"
    )
