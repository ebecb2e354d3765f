"""Settings shared by every environment. Every value can be overridden from the environment."""
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from .env import env_bool, env_decimal, env_int, env_list, env_str, postgresql_prepared_statements

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DJANGO_ENVIRONMENT = (env_str("DJANGO_ENVIRONMENT", "development") or "").strip().lower()
# No default in the repository: development and test keep a generated key in .secret_key (git-ignored,
# settings/secret_key.py); production requires SECRET_KEY.
SECRET_KEY = env_str("SECRET_KEY", "") or ""
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    # core first: its runserver (the exposed-debug-server warning) wraps staticfiles' one.
    "core",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # third party
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "corsheaders",
    "drf_yasg",
    "storages",
    "axes",
    # ours
    "users",
    "entrepreneurs",
    "suppliers",
    "products",
    "social",
    "orders",
    "payments",
    "analytics",
    "notifications",
    "public",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RejectNulMiddleware",
    "core.middleware.EmptyApiAnswerContentTypeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a django-axes lockout of an admin login into the lockout page (users.admin_lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "payjaro_project.urls"
WSGI_APPLICATION = "payjaro_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: DATABASE_URL everywhere, SQLite when it is unset (outside production) ---
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 0),
    )
}
postgresql_prepared_statements(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "users.User"

# The lockout check first (admin site only), then Django's own.
AUTHENTICATION_BACKENDS = [
    "users.admin_lockout.AdminLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# --- Django admin brute-force protection (django-axes, users/admin_lockout.py) ---
# Locked per username or per client address after ADMIN_LOGIN_FAILURE_LIMIT failures, for ADMIN_LOCKOUT_MINUTES
# (fixed: attempts during the lockout do not extend it); attempts are recorded in the database.
AXES_ENABLED = True
AXES_ONLY_ADMIN_SITE = True
AXES_HANDLER = "users.admin_lockout.AdminLoginHandler"
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ADMIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "users.admin_lockout.client_ip"
AXES_LOCKOUT_TEMPLATE = "users/admin_locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS: list[str] = []  # log who and from where (passwords are always masked)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "Africa/Lagos"
USE_I18N = True
USE_TZ = True

# --- Static and media ---
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME", "")
AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID", "")
AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY", "")
AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME", "eu-west-1")
AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL", "") or None
AWS_S3_CUSTOM_DOMAIN = env_str("AWS_S3_CUSTOM_DOMAIN", "") or None
AWS_DEFAULT_ACL = None
AWS_S3_FILE_OVERWRITE = False
AWS_QUERYSTRING_AUTH = env_bool("AWS_QUERYSTRING_AUTH", False)
AWS_S3_OBJECT_PARAMETERS = {"CacheControl": "max-age=86400"}

if AWS_STORAGE_BUCKET_NAME:
    _MEDIA_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# SPEC §7: images at most 10 MB and 40 megapixels.
MAX_IMAGE_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Cache: Redis when REDIS_URL is set, local memory otherwise ---
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
            "KEY_PREFIX": "payjaro",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "payjaro"}}
# Public storefront pages and catalog reads (core.cache): seconds an entry may live; 0 turns that caching off.
PUBLIC_CACHE_SECONDS = env_int("PUBLIC_CACHE_SECONDS", 300)

# --- REST framework ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # core.parsers: a nested, undecodable or NUL-carrying body is a 400, never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "core.parsers.FormParser",
        "core.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.FilterBackend",  # django-filter, skipped when no filter is asked for
        "rest_framework.filters.SearchFilter",
        "core.filters.StrictOrderingFilter",  # an unknown ?ordering= field is a 400
    ],
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonRateThrottle",
        "core.throttling.UserRateThrottle",
    ],
    # Counted in the default cache (Redis in production, shared by every gunicorn worker). Per client address
    # (NUM_PROXIES hops of X-Forwarded-For trusted). "auth" = login + register; token refresh has its own scope
    # so that many app sessions behind one carrier address refreshing tokens never lock out logins;
    # 20/min rather than less because Nigerian mobile carriers put many customers behind one NAT address.
    # "webhooks" is generous: gateways send bursts from a few addresses and must never be turned away.
    # "orders": placing orders (and checkouts), per user — every placement reserves stock (orders.throttles).
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "300/min"),
        "user": env_str("THROTTLE_USER", "1200/min"),
        "auth": env_str("THROTTLE_AUTH", "20/min"),
        "token_refresh": env_str("THROTTLE_TOKEN_REFRESH", "60/min"),
        "tracking": env_str("THROTTLE_TRACKING", "120/min"),
        "webhooks": env_str("THROTTLE_WEBHOOKS", "3000/min"),
        "orders": env_str("THROTTLE_ORDERS", "30/hour"),
    },
    # 0 = use REMOTE_ADDR (direct connections); None would trust a client-sent X-Forwarded-For.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
}

# Sessions end when they should (users.sessions): short access tokens, rotated refresh tokens, every token
# refused after a password change (CHECK_REVOKE_TOKEN) or a deactivation, the access token denied at logout.
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 10)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "CHECK_REVOKE_TOKEN": True,
    "REVOKE_TOKEN_CLAIM": "pwd",
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SWAGGER_SETTINGS = {
    "SECURITY_DEFINITIONS": {
        "Bearer": {"type": "apiKey", "name": "Authorization", "in": "header",
                   "description": "JWT access token: `Bearer <token>`"}
    },
    "USE_SESSION_AUTH": False,
    "DEFAULT_AUTO_SCHEMA_CLASS": "core.openapi.ErrorAwareAutoSchema",
}

# --- CORS / CSRF ---
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# The shopper's forms (cart, checkout): a failed CSRF check is a friendly 403 page.
CSRF_FAILURE_VIEW = "public.pages.csrf_failure"

# --- Product settings (SPEC §2) ---
# A separate web/mobile frontend, if there is one. Empty (the default): purchase links, the payment return
# address and the sandbox page's "return to the shop" point at the HTML storefront pages (SPEC §9).
FRONTEND_URL = (env_str("FRONTEND_URL", "") or "").rstrip("/")
PUBLIC_BASE_URL = (env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000") or "").rstrip("/")
# Open-redirect guard: a payment's callback_url must be on one of these origins (scheme://host[:port]); the
# origins of FRONTEND_URL and PUBLIC_BASE_URL are always allowed (core.validators.validate_redirect_url).
PAYMENT_CALLBACK_ALLOWED_ORIGINS = env_list("PAYMENT_CALLBACK_ALLOWED_ORIGINS", "")
SHIPPING_FEE_NGN = env_decimal("SHIPPING_FEE_NGN", "500")
ORDER_RESERVATION_MINUTES = env_int("ORDER_RESERVATION_MINUTES", 30)
# A store may sell a product for at most this many times its base price (SPEC §5: the price has an upper bound).
STORE_PRICE_MAX_FACTOR = env_decimal("STORE_PRICE_MAX_FACTOR", "10")
# Stock hoarding bounds (orders.limits): what one customer may hold reserved in unpaid orders at once.
ORDER_MAX_UNPAID_ORDERS = env_int("ORDER_MAX_UNPAID_ORDERS", 3)
ORDER_MAX_UNPAID_UNITS_PER_PRODUCT = env_int("ORDER_MAX_UNPAID_UNITS_PER_PRODUCT", 20)
ORDER_MAX_UNPAID_UNITS = env_int("ORDER_MAX_UNPAID_UNITS", 100)
EARNINGS_RELEASE_DAYS = env_int("EARNINGS_RELEASE_DAYS", 7)
PAYMENT_RECONCILE_AFTER_MINUTES = env_int("PAYMENT_RECONCILE_AFTER_MINUTES", 10)
# An attempt failed by us while still pending at the gateway (nothing it paid was payable any more) is verified
# again by reconciliation for this long after it was made — Paystack retries a webhook for up to 72 hours — so
# that a late success is refunded even when its webhook is lost; at most PAYMENT_LATE_SUCCESS_PER_RUN a run.
PAYMENT_LATE_SUCCESS_HOURS = env_int("PAYMENT_LATE_SUCCESS_HOURS", 72)
PAYMENT_LATE_SUCCESS_PER_RUN = env_int("PAYMENT_LATE_SUCCESS_PER_RUN", 100)
# A partial refund (one order of a checkout's charge) whose call went unanswered is sent again no sooner than this:
# a second copy of it would be paid, so the gateway's list of the charge's refunds gets time to show the first.
REFUND_PARTIAL_RESEND_MINUTES = env_int("REFUND_PARTIAL_RESEND_MINUTES", 30)
# Withdrawals still processing this long after their last change are verified with the gateway (0 = all).
PAYOUT_CHECK_AFTER_MINUTES = env_int("PAYOUT_CHECK_AFTER_MINUTES", 10)
# Payout calls answered 429/5xx/timeout are retried after 1×, 2× this many seconds (never taken as final).
PAYOUT_RETRY_BACKOFF_SECONDS = env_decimal("PAYOUT_RETRY_BACKOFF_SECONDS", "1")
# `manage.py run_scheduler` (the embedded default's beat): > 0 runs every periodic job at this interval instead
# of CELERY_BEAT_SCHEDULE's own (tests and hand-run demos); 0 = the schedule below.
SCHEDULER_INTERVAL_SECONDS = env_int("SCHEDULER_INTERVAL_SECONDS", 0)
VISITOR_ID_SALT = env_str("VISITOR_ID_SALT", "") or SECRET_KEY
# Storefront/product view events are pushed to this Redis list and written in batches (analytics.buffer);
# empty (no REDIS_URL): written at once. The flush job runs every ANALYTICS_VIEW_FLUSH_SECONDS.
ANALYTICS_VIEW_BUFFER_URL = env_str("ANALYTICS_VIEW_BUFFER_URL", REDIS_URL)
ANALYTICS_VIEW_FLUSH_SECONDS = env_int("ANALYTICS_VIEW_FLUSH_SECONDS", 30)
# Notifications are pushed to this Redis list after the commit and rendered by the worker (notifications.outbox);
# unset: the Celery broker's Redis when tasks are not eager; empty: no outbox (a task is published per event).
# The flush job runs every NOTIFICATIONS_FLUSH_SECONDS.
NOTIFICATIONS_OUTBOX_URL = env_str("NOTIFICATIONS_OUTBOX_URL", None)
NOTIFICATIONS_FLUSH_SECONDS = env_int("NOTIFICATIONS_FLUSH_SECONDS", 2)

# --- Payment gateways ---
PAYSTACK_SECRET_KEY = env_str("PAYSTACK_SECRET_KEY", "")
PAYSTACK_PUBLIC_KEY = env_str("PAYSTACK_PUBLIC_KEY", "")
PAYSTACK_BASE_URL = (env_str("PAYSTACK_BASE_URL", "https://api.paystack.co") or "").rstrip("/")
FLUTTERWAVE_SECRET_KEY = env_str("FLUTTERWAVE_SECRET_KEY", "")
FLUTTERWAVE_PUBLIC_KEY = env_str("FLUTTERWAVE_PUBLIC_KEY", "")
FLUTTERWAVE_SECRET_HASH = env_str("FLUTTERWAVE_SECRET_HASH", "")
FLUTTERWAVE_BASE_URL = (env_str("FLUTTERWAVE_BASE_URL", "https://api.flutterwave.com/v3") or "").rstrip("/")
PAYMENT_GATEWAY_TIMEOUT = env_int("PAYMENT_GATEWAY_TIMEOUT", 15)
PAYMENTS_SANDBOX = env_bool("PAYMENTS_SANDBOX", False)

# --- Email and SMS ---
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Payjaro <no-reply@payjaro.ng>")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_PHONE_NUMBER = env_str("TWILIO_PHONE_NUMBER", "")
TWILIO_BASE_URL = (env_str("TWILIO_BASE_URL", "https://api.twilio.com") or "").rstrip("/")

# --- Celery: Redis broker when REDIS_URL is set, eager otherwise ---
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "") or REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not bool(REDIS_URL))
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TIMEZONE = TIME_ZONE
# Every periodic job the project has (SPEC §5, §6, §8). Times are Africa/Lagos. Production runs it with
# Celery beat; the embedded default (`make run`) with `manage.py run_scheduler`. Each job also has a
# management command: release_expired_orders, reconcile_payments, check_payouts, release_earnings,
# rollup_metrics.
CELERY_BEAT_SCHEDULE = {
    "release-expired-orders": {
        "task": "orders.tasks.release_expired_orders",
        "schedule": timedelta(minutes=5),
    },
    "reconcile-pending-transactions": {
        "task": "payments.tasks.reconcile_pending_transactions",
        "schedule": timedelta(minutes=5),
    },
    "check-payouts": {
        "task": "payments.tasks.check_payouts",
        "schedule": timedelta(minutes=5),
    },
    "release-matured-earnings": {
        "task": "payments.tasks.release_matured_earnings",
        "schedule": timedelta(hours=1),
    },
    "flush-notifications": {
        "task": "notifications.tasks.flush_notifications",
        "schedule": timedelta(seconds=NOTIFICATIONS_FLUSH_SECONDS),
        # A flush that waited longer than a few intervals in the queue is superseded by the next one.
        "options": {"expires": NOTIFICATIONS_FLUSH_SECONDS * 5},
    },
    "flush-view-events": {
        "task": "analytics.tasks.flush_view_events",
        "schedule": timedelta(seconds=ANALYTICS_VIEW_FLUSH_SECONDS),
    },
    "rollup-daily-metrics": {
        "task": "analytics.tasks.rollup_daily_metrics",
        "schedule": crontab(hour=0, minute=30),
    },
}

# --- Logging: plain text to stdout ---
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
