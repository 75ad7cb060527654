"""Settings for the food bank system, read from environment variables.

Every value has a safe local default so that a laptop with nothing but Python runs the whole
system: SQLite for the database and kombu's filesystem transport as the Celery broker. Setting
``DATABASE_URL`` and ``REDIS_URL`` switches to PostgreSQL and Redis (the production shape, and CI).
The README lists every variable.
"""

import os
from datetime import time, timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


# --- Core -----------------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)
# The default key is for a laptop only; `manage.py check --deploy` flags it (security.W009).
SECRET_KEY = os.environ.get("SECRET_KEY", "django-insecure-local-development-key-change-me")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "foodbank",
    "inventory",
    "referrals",
    "shipping",
    "reports",
    "console",
    "traceability",
    # Agencies' systems: the changes feed and signed webhooks of their requests (docs/webhooks.md).
    "webhooks",
    # The windows directory as Open Referral HSDS 3.0 at /api/hsds/ (docs/directory.md).
    "directory",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every answer (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control: no-store unless a view set its own caching (static files are answered above).
    "foodbank.middleware.NoStoreMiddleware",
    # Before anything reads the request: oversized bodies are 413, NUL bytes 400 (foodbank.middleware).
    "foodbank.middleware.RequestGuardMiddleware",
    # A view that lost its database (PostgreSQL restarted) answers 503 + Retry-After, not 500.
    "foodbank.middleware.DatabaseUnavailableMiddleware",
    # An integer path or query parameter beyond bigint is 400 out_of_range (foodbank.ids).
    "foodbank.middleware.IntegerRangeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Audit events recorded by services carry the request's address and path (foodbank.audit).
    "foodbank.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused by django-axes into the lockout page or JSON.
    "axes.middleware.AxesMiddleware",
]

# No inline script or style anywhere (pages load theirs from static files, the API docs use
# drf-spectacular's split Swagger view), so scripts come from this origin only: an injected
# <script> or onclick= does not run. data: images: Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

ROOT_URLCONF = "foodbank.urls"
WSGI_APPLICATION = "foodbank.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Several processes (web, worker, beat) share the file: wait for a lock instead of failing.
    # IMMEDIATE transactions take the write lock at BEGIN, where the busy timeout applies; a
    # deferred one that tries to upgrade its read lock fails at once with "database is locked".
    # WAL lets readers go on while one writer writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DB_PREPARED_STATEMENTS", True
):
    # psycopg binds parameters on the server and prepares a statement on its sixth run on a
    # connection, so PostgreSQL stops parsing it and, once a generic plan serves, planning it: its
    # CPU on a handout halved (docs/benchmarks.md). Useful with persistent connections
    # (DB_CONN_MAX_AGE). Django leaves it off by default for connection poolers: behind PgBouncer
    # it needs 1.22 or later with max_prepared_statements set, otherwise set 0.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}  # psycopg's own default
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses any login attempt for a username/address locked out by django-axes.
    "foodbank.auth_backends.LoginThrottleBackend",
    # Django's ModelBackend, refusing integration users (token only).
    "foodbank.auth_backends.PasswordBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed attempts for one username from one
# address, every login with that username from there is refused (even with the right password) for
# AXES_COOLOFF_MINUTES. Locking on the pair, not the address alone, keeps one guesser from locking out
# a whole office behind one NAT address, and a stranger from locking out the Navi integration.
# Applies to the login page, the admin login and POST /api/v1/auth/token/.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout are refused without extending it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "foodbank.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "foodbank.security.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password"]
AXES_VERBOSE = False
# django-axes' records of logins and failed logins (staff usernames, addresses, browsers) are
# deleted after this many days by the nightly purge-login-records job.
AXES_RECORD_RETENTION_DAYS = env_int("AXES_RECORD_RETENTION_DAYS", 90)
# Integration tokens from POST /api/v1/auth/token/ expire after this many days (0: never).
# Tokens issued with `manage.py issue_token` choose their own expiry.
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 90)
# Staff sign in on shared office computers: a session ends after this many seconds.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)

# --- Deployment security --------------------------------------------------------------------------

# One switch: SECURE_HTTPS=1 declares that the site is served over HTTPS. With DEBUG off it turns on
# the redirect to HTTPS, secure cookies and HSTS (one year, subdomains, preload); each value can
# still be set on its own. There is no production-only code path: the same settings run everywhere.
SECURE_HTTPS = env_bool("SECURE_HTTPS", False)
_https_deployment = SECURE_HTTPS and not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _https_deployment)
# Load balancers and container health checks ask over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SECURE_HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", SECURE_HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if _https_deployment else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _https_deployment)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", _https_deployment)
# How many reverse proxies (load balancer, nginx) stand in front of the web server and append to
# X-Forwarded-For. 0 trusts REMOTE_ADDR only. The audit log, the login lockout and the throttles take
# the client's address from this (foodbank.security.client_ip).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Opt-in, only behind a proxy that always sets it: e.g. SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto.
_proxy_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "").strip()
if _proxy_header:
    _meta_name = _proxy_header.upper().replace("-", "_")
    SECURE_PROXY_SSL_HEADER = (
        _meta_name if _meta_name.startswith("HTTP_") else f"HTTP_{_meta_name}",
        "https",
    )
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# Request size limits (foodbank.middleware answers 413 with a JSON code on the API).
# Any request body, uploads included:
MAX_REQUEST_BODY_SIZE = env_int("MAX_REQUEST_BODY_SIZE", 20 * 1024 * 1024)
# Bodies other than uploaded files (JSON, form fields), and how much of an upload stays in memory:
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
# The carrier's tracking-number file (B2 Cloud "issued data" CSV; ~10,000 rows is a few MB).
TRACKING_IMPORT_MAX_BYTES = env_int("TRACKING_IMPORT_MAX_BYTES", 16 * 1024 * 1024)
# ... and its rows: at most the batch's parcels plus this margin (repeated rows, a header), beyond
# which the file is refused unread (413 too_many_rows); an answer lists at most
# TRACKING_IMPORT_REJECTS_SHOWN rejected rows, with the count of each reason.
TRACKING_IMPORT_ROW_MARGIN = env_int("TRACKING_IMPORT_ROW_MARGIN", 100)
TRACKING_IMPORT_REJECTS_SHOWN = env_int("TRACKING_IMPORT_REJECTS_SHOWN", 100)

# --- Cache ----------------------------------------------------------------------------------------

# Shared by every process (DRF throttles count across web workers) when Redis is configured.
CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "foodbank",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Internationalisation -------------------------------------------------------------------------

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
# The shared core's catalogue comes first, before Django's own (admin, auth), so that one page never
# mixes two spellings of a word (ユーザー名 from ours, ユーザ名 from Django's on the same login page).
LOCALE_PATHS = [BASE_DIR / "foodbank" / "locale"]
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Where files (the dispatch batches' documents) are kept: "filesystem" (MEDIA_ROOT, one machine),
# "database" (PostgreSQL rows that every web and worker replica reads, foodbank.storage), or the
# dotted path of another storage class, e.g. django-storages' object storage (docs/storage.md).
FILE_STORAGE = os.environ.get("FILE_STORAGE", "").strip() or "filesystem"
_FILE_STORAGES = {
    "filesystem": "django.core.files.storage.FileSystemStorage",
    "database": "foodbank.storage.DatabaseStorage",
}
STORAGES = {
    "default": {"BACKEND": _FILE_STORAGES.get(FILE_STORAGE, FILE_STORAGE)},
    # No manifest: pages render before (or without) collectstatic, e.g. on a laptop and in tests.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders when collectstatic has not been run.
WHITENOISE_USE_FINDERS = True

# --- Email ----------------------------------------------------------------------------------------

# A staff invitation link (console) works once, for this many hours.
INVITATION_TTL_HOURS = env_int("INVITATION_TTL_HOURS", 72)
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@foodbank.invalid")

# --- REST API -------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Hashed, revocable integration tokens (foodbank.models.ApiToken).
        "foodbank.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # The API takes JSON only; an upload view adds MultiPartParser itself. Offering form and
    # multipart bodies beside JSON breaks clients generated from the schema (docs/api-clients.md).
    # JSON with bounded nesting (foodbank.api.parsers).
    "DEFAULT_PARSER_CLASSES": ["foodbank.api.parsers.BoundedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "foodbank.api.schema.FoodbankAutoSchema",
    "EXCEPTION_HANDLER": "foodbank.api.exceptions.exception_handler",
    # Throttles key anonymous clients by address, behind this many proxies (X-Forwarded-For); 0
    # is REMOTE_ADDR only (None would make DRF trust any X-Forwarded-For a client sends).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    # Views opt in with `throttle_scope`; a view without one is not throttled. The address is
    # foodbank.security.client_ip, the same as the audit log's and the lockout's.
    "DEFAULT_THROTTLE_CLASSES": ["foodbank.throttling.ClientScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # POST /api/v1/auth/token/, per client address (django-axes also locks out repeated failures).
        "auth": os.environ.get("THROTTLE_RATE_AUTH", "10/min"),
        # POST /api/v1/intake/navi/, per integration user.
        "navi_intake": os.environ.get("THROTTLE_RATE_NAVI_INTAKE", "60/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Food bank referral and parcel logistics API",
    "DESCRIPTION": (
        "Window handouts and stock, home-delivery requests from case workers, Navi self-referrals, "
        "dispatch batches and referrals back to consultation services. Authenticate with "
        "`Authorization: Token <token>` (POST /api/v1/auth/token/). Domain refusals are JSON with a "
        "machine-readable `code`; POSTs that create something accept an `Idempotency-Key` header."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # 3.1 for its `webhooks`: what the system sends to agencies' receivers (webhooks/schema.py).
    "OAS_VERSION": "3.1.0",
    "WEBHOOKS": ["webhooks.schema.delivery_request_changed", "webhooks.schema.referral_changed"],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # Integer path and query parameters document bigint's range (foodbank.ids).
        "foodbank.api.schema.document_integer_ranges",
    ],
    # Swagger UI assets ship in a package: the docs page works without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status` or `category`; give each choice set its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "ItemCategoryEnum": "inventory.models.Item.Category",
        "SituationCategoryEnum": "referrals.models.SituationCategory",
        "RestockShipmentStatusEnum": "inventory.models.RestockShipment.Status",
        "StockTakeStatusEnum": "inventory.models.StockTake.Status",
        "DeliveryRequestStatusEnum": "referrals.models.DeliveryRequest.Status",
        "HouseholdTypeEnum": "foodbank.models.HouseholdType",
        "HandoutHouseholdTypeEnum": "inventory.models.HandoutHouseholdType",
        "ParcelStatusEnum": "shipping.models.Parcel.Status",
        "ParcelSourceEnum": "shipping.models.Parcel.Source",
        "DeliveryRequestSourceEnum": "referrals.models.DeliveryRequest.Source",
        "DispatchBatchStatusEnum": "shipping.models.DispatchBatch.Status",
        "BatchDocumentKindEnum": "shipping.models.BatchDocument.Kind",
        "ParcelVoidReasonEnum": "shipping.models.Parcel.VoidReason",
        "WebhookEventTypeEnum": "webhooks.payloads.EVENT_TYPE_CHOICES",
        # Kept under the name it had before shipping added its own `reason`.
        "ReasonEnum": "inventory.models.ReasonCode",
        # Donors (inventory.lot_models.Donor.Kind) and receipts share one set of donor kinds.
        "DonorTypeEnum": "inventory.models.DonationReceipt.DonorType",
        "IncidentKindEnum": "inventory.lot_models.Incident.Kind",
    },
}

# --- Celery ---------------------------------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_RESULT_BACKEND = (
    os.environ.get("CELERY_RESULT_BACKEND") or REDIS_URL or f"file://{VAR_DIR / 'celery' / 'results'}"
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: an embedded broker that needs no server. Producer and consumer
    # must share the folder, so both directions point at the same one.
    _broker_dir = str(VAR_DIR / "celery" / "broker")
    Path(_broker_dir).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _broker_dir,
        "data_folder_out": _broker_dir,
        # Broadcast (pidbox) exchanges; kombu's default is ./control relative to the working dir.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    # Redis redelivers an unacknowledged message after the visibility timeout; no task is scheduled
    # further ahead than that (next-day work is a database row that beat picks up).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A message redelivered more often than this (its worker died each time it ran it) is acknowledged
# without running: a poison task cannot loop forever (foodbank.redelivery).
TASK_MAX_REDELIVERIES = env_int("TASK_MAX_REDELIVERIES", 3)
# A hard ceiling for any task; each task declares its own (lower) time_limit and soft_time_limit.
# No global soft limit: one above a task's own time_limit makes apply_async refuse the task.
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_RESULT_BACKEND.startswith("file://"):
    Path(CELERY_RESULT_BACKEND.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
# Webhooks to agencies' systems (docs/webhooks.md): seconds a receiver has to answer; exponential
# backoff from the base, capped, for this many hours, then the delivery is given up.
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))
WEBHOOK_RETRY_MAX_SECONDS = float(os.environ.get("WEBHOOK_RETRY_MAX_SECONDS", "3600"))
WEBHOOK_RETRY_HOURS = float(os.environ.get("WEBHOOK_RETRY_HOURS", "24"))
# Hosts that may receive webhooks over plain HTTP (a receiver on the same machine); others need HTTPS.
WEBHOOK_INSECURE_HOSTS = [h for h in os.environ.get("WEBHOOK_INSECURE_HOSTS", "").split(",") if h]

CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Relay tasks whose immediate send failed (broker down at commit time) from the outbox.
    "relay-outbox": {"task": "foodbank.tasks.relay_outbox_task", "schedule": 30.0},
    # Canary for /healthz: proves a worker is still taking tasks off the queue.
    "worker-heartbeat": {"task": "foodbank.tasks.heartbeat_task", "schedule": 60.0},
    # Idempotency keys are kept IDEMPOTENCY_KEY_TTL_DAYS days; agencies retry the next morning.
    "purge-idempotency-keys": {
        "task": "foodbank.tasks.purge_idempotency_keys_task",
        "schedule": crontab(hour=3, minute=10),
    },
    # django-axes' login records older than AXES_RECORD_RETENTION_DAYS days are deleted.
    "purge-login-records": {
        "task": "foodbank.tasks.purge_login_records_task",
        "schedule": crontab(hour=3, minute=20),
    },
    # The monthly parcel for enrolled single-parent households: this month's requests, early on
    # the 1st (running it again in the same month creates nothing).
    "monthly-programme-requests": {
        "task": "referrals.tasks.create_monthly_requests_task",
        "schedule": crontab(day_of_month=1, hour=5, minute=30),
    },
    # Nightly: raise window par levels ahead of Golden Week, Obon and New Year from last year's
    # handouts, then propose a restock for every window under par (coordinators approve in the morning).
    "inventory-plan-restocks": {
        "task": "inventory.tasks.plan_restocks_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # Dispatch batches: every 5 minutes, each carrier account whose cutoff (DISPATCH_CUTOFF or the
    # account's own) has passed today on a pickup day gets today's batch, once (unique per day).
    # Webhooks: deliveries whose retry is due (a lost task message), and the fan-out of events as
    # a backstop to the outbox message each change sends (docs/webhooks.md).
    "webhooks-deliver-due": {"task": "webhooks.tasks.deliver_due_webhooks_task", "schedule": 60.0},
    "shipping-open-due-batches": {"task": "shipping.tasks.open_due_batches_task", "schedule": 300.0},
    # Dispatch batches that made no progress for DISPATCH_STUCK_MINUTES (a killed worker) continue.
    "shipping-resume-stuck-batches": {"task": "shipping.tasks.resume_stuck_batches_task", "schedule": 600.0},
    # Daily, before windows open: list each site's stock expiring within INVENTORY_EXPIRY_WARNING_DAYS.
    "inventory-expiry-reports": {
        "task": "inventory.tasks.expiry_reports_task",
        "schedule": crontab(hour=6, minute=0),
    },
    # Reports: roll up yesterday (just after midnight) and, every hour, rewrite earlier days that a
    # late or voided handout or a parcel's status change touched (reports read today live anyway).
    "reports-refresh-rollups": {
        "task": "reports.tasks.refresh_rollups_task",
        "schedule": crontab(minute=5),
    },
    # Daily, before the retention job: parcels handed over DELIVERY_ASSUMED_AFTER_DAYS days ago
    # with no return are closed as delivered (shipping.deliveries), so their cases close.
    "shipping-close-delivered": {
        "task": "shipping.tasks.close_delivered_parcels_task",
        "schedule": crontab(hour=3, minute=30),
    },
    # Daily, at night: erase the personal data of cases closed more than RETENTION_MONTHS ago
    # (referrals.retention); reports keep their figures.
    "referrals-retention": {
        "task": "referrals.tasks.anonymise_closed_cases_task",
        "schedule": crontab(hour=3, minute=40),
    },
    # Daily, before offices open: referrals a window or agency has not acknowledged within
    # REFERRAL_ESCALATE_AFTER_WORKING_DAYS working days go to the coordinator (once each).
    "referrals-escalate-unacknowledged": {
        "task": "referrals.tasks.escalate_referrals_task",
        "schedule": crontab(hour=8, minute=0),
    },
}

# --- Domain settings ------------------------------------------------------------------------------

# Requests approved before this local time go into the next day's dispatch batch.
DISPATCH_CUTOFF = time.fromisoformat(os.environ.get("DISPATCH_CUTOFF", "15:00"))
# How many packs fit one box when the food bank set no PackSizing row (inventory.sizing).
PACKS_PER_BOX = env_int("PACKS_PER_BOX", 2)
# A parcel handed over this many days ago with no return is closed as delivered by the daily job
# (shipping.deliveries), so its case closes and retention can run.
DELIVERY_ASSUMED_AFTER_DAYS = env_int("DELIVERY_ASSUMED_AFTER_DAYS", 7)
# Chunk tasks a dispatch batch is split into, whatever its size (built in parallel by the workers;
# a fixed number keeps the queries of a batch independent of its size, docs/spec.md §7).
DISPATCH_CHUNKS = env_int("DISPATCH_CHUNKS", 4)
DISPATCH_STUCK_MINUTES = env_int("DISPATCH_STUCK_MINUTES", 15)
# Personal data of closed cases is erased this many months after the case closed (referrals.retention).
RETENTION_MONTHS = env_int("RETENTION_MONTHS", 13)
IDEMPOTENCY_KEY_TTL_DAYS = env_int("IDEMPOTENCY_KEY_TTL_DAYS", 8)
# A claimed key whose request never finished (a killed process) may be reclaimed after this.
IDEMPOTENCY_LEASE_SECONDS = env_int("IDEMPOTENCY_LEASE_SECONDS", 120)
# /healthz reports the worker as stale when its last heartbeat is older than this.
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 300)
# ... and then sends a canary task itself, at most once per this many seconds.
WORKER_PROBE_INTERVAL = env_int("WORKER_PROBE_INTERVAL", 60)
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "foodbank-demo")
# A Japanese TrueType font (.ttf) to embed in PDFs; empty uses IPAexGothic from the matplotlib-fontja
# package, then Debian's fonts-ipaexfont-gothic (shipping.fonts).
PDF_FONT_PATH = os.environ.get("PDF_FONT_PATH", "")
# Stock whose best-before date is this many days away (or less) is listed in the daily expiry report.
INVENTORY_EXPIRY_WARNING_DAYS = env_int("INVENTORY_EXPIRY_WARNING_DAYS", 14)
# Window par levels are raised this many days before a holiday peak (Golden Week, Obon, New Year).
INVENTORY_PEAK_LEAD_DAYS = env_int("INVENTORY_PEAK_LEAD_DAYS", 21)
# A handout may be logged this many days late (today counts as 0): a busy morning, a phone that was
# offline (inventory.late_entry). Keep it below IDEMPOTENCY_KEY_TTL_DAYS, so that a queued handout is
# still protected against a double send for as long as it may be sent.
HANDOUT_LATE_ENTRY_DAYS = env_int("HANDOUT_LATE_ENTRY_DAYS", 7)
# An adjustment, or a stock-take line, that changes a lot by more than this many units or sets needs
# a coordinator: recorded by one, or the stock-take confirmed by one (docs/inventory.md).
INVENTORY_LARGE_DIFFERENCE = env_int("INVENTORY_LARGE_DIFFERENCE", 100)
# A referral not acknowledged by its target after this many working days (weekends and Japanese
# public holidays do not count) is escalated to the food bank's coordinators.
REFERRAL_ESCALATE_AFTER_WORKING_DAYS = env_int("REFERRAL_ESCALATE_AFTER_WORKING_DAYS", 3)
# Keys for fields encrypted at rest (foodbank.crypto): comma-separated base64 32-byte keys, newest
# first. Unset on a laptop (derived from SECRET_KEY); `check --deploy` warns.
FIELD_ENCRYPTION_KEYS = os.environ.get("FIELD_ENCRYPTION_KEYS", "")
BLIND_INDEX_KEY = os.environ.get("BLIND_INDEX_KEY", "")

# --- Logging --------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
