"""Test settings: fast hashing, eager Celery, media in a temporary folder, no real gateways."""
import tempfile

from .base import *  # noqa: F401,F403
from .base import BASE_DIR, REST_FRAMEWORK
from .env import env_str
from .secret_key import local_secret_key

SECRET_KEY = env_str("SECRET_KEY", "") or local_secret_key(BASE_DIR / ".secret_key")
VISITOR_ID_SALT = env_str("VISITOR_ID_SALT", "") or SECRET_KEY

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True  # a failing task fails its test
CELERY_BROKER_URL = "memory://"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="payjaro-test-media-")
PAYMENTS_SANDBOX = True
PUBLIC_BASE_URL = "http://testserver"
PAYOUT_RETRY_BACKOFF_SECONDS = 0
PAYSTACK_SECRET_KEY = "sk_test_payjaro"
PAYSTACK_PUBLIC_KEY = "pk_test_payjaro"
PAYSTACK_BASE_URL = "https://api.paystack.co"
FLUTTERWAVE_SECRET_KEY = "FLWSECK_TEST-payjaro"
FLUTTERWAVE_PUBLIC_KEY = "FLWPUBK_TEST-payjaro"
FLUTTERWAVE_SECRET_HASH = "flw-test-hash"
FLUTTERWAVE_BASE_URL = "https://api.flutterwave.com/v3"
TWILIO_ACCOUNT_SID = ""
TWILIO_AUTH_TOKEN = ""
# Many tests place several orders for one customer; the hoarding bounds' own tests set the real values.
ORDER_MAX_UNPAID_ORDERS = 1000
ORDER_MAX_UNPAID_UNITS_PER_PRODUCT = 100_000
ORDER_MAX_UNPAID_UNITS = 100_000
# Pay-on-delivery codes per phone / per address (orders.services.cod): generous; the throttle test sets its own.
COD_SENDS_PER_PHONE = 1000
COD_SENDS_PER_ADDRESS = 1000
ANALYTICS_VIEW_BUFFER_URL = ""  # views written at once; analytics/tests/test_buffer.py turns the buffer on
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "payjaro-test"}}
# Throttles are generous in tests; throttling tests override the rates they exercise.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        "anon": "100000/min",
        "user": "100000/min",
        "auth": "100000/min",
        "token_refresh": "100000/min",
        "tracking": "100000/min",
        "webhooks": "100000/min",
        "orders": "100000/min",
    },
}
