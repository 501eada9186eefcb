"""Settings for the government-services portal: one module, configured from the environment.

With no ``DATABASE_URL`` and no ``REDIS_URL`` the portal runs on embedded defaults: a SQLite file
(WAL, busy timeout, immediate transactions — web, worker and beat share it) and Celery's
filesystem broker. Production (docker-compose.yml) sets both, plus ``SECRET_KEY`` and hosts.
"""

import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from import_export.formats import base_formats as _import_export_formats

from portal.env import ConfigurationError, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything the portal writes at run time lives under one folder outside the code.
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """The key from the environment, else one generated once into var/ (never in the repo)."""
    configured = env_str("SECRET_KEY")
    if configured:
        if len(configured) < 50:
            raise ConfigurationError("SECRET_KEY must be at least 50 characters long")
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "guardian",
    "import_export",
    "django_htmx",
    "django_celery_beat",
    "portal.organisation",
    "portal.audit",
    "portal.workdays",
    "portal.catalogue",
    "portal.documents",
    "portal.outbox",
    "portal.notifications",
    "portal.uploads",
    "portal",
    "approvals",
    "supervision",
    "supervision.conduct",
    "supervision.rectification",
    "supervision.efficiency",
    "enforcement",
    "intermediaries",
    "credit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "portal.sqlite3"
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        # Test databases need a UTF-8 collation so pg_trgm sees CJK characters as word characters.
        DATABASES["default"]["TEST"] = {"TEMPLATE": "template0", "CHARSET": "UTF8"}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # web, worker and beat share the file: WAL lets readers run beside one writer,
                # the busy timeout waits instead of failing, and IMMEDIATE takes the write lock at
                # BEGIN so that two writers never deadlock upgrading read locks.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "organisation.User"
# How long a process keeps a signed-in user's row, department, regions and roles between requests
# (portal/organisation/backends.py); 0 loads them on every request.
USER_CACHE_SECONDS = env_int("USER_CACHE_SECONDS", 10, minimum=0)
AUTHENTICATION_BACKENDS = [
    "portal.organisation.backends.UserBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:workspace"
LOGOUT_REDIRECT_URL = "portal:home"
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # anonymous visitors get no object grants

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"  # a day is a Beijing calendar day (TIME_RULES.md §1)
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"  # served only through permission-checked views, never by the web server
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- Redis, cache and Celery ----------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    BROKER_DIR = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # at-least-once: a task is acknowledged after it ran
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# On a lost broker connection, cancel running tasks so they are redelivered (the outbox and
# idempotent task bodies make a second run harmless).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
DJANGO_CELERY_BEAT_TZ_AWARE = True

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "政务服务平台 API",
    "DESCRIPTION": "Government-services portal: catalogue, organisation and (later) the application lifecycle.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # drf-spectacular names an enum after its property ("status", "kind", "outcome"); several choice
    # sets share those names, and it would then invent hashed names (Status10aEnum) that change
    # whenever another field joins. Every choice set the API shows is named here after its class,
    # so clients generated from the schema keep stable type names.
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "approvals.choices.ApplicationStatus",
        "ChannelEnum": "approvals.choices.Channel",
        "StepKindEnum": "approvals.choices.StepKind",
        "StepOutcomeEnum": "approvals.choices.StepOutcome",
        "PauseReasonEnum": "approvals.choices.PauseReason",
        "DecisionOutcomeEnum": "approvals.choices.DecisionOutcome",
        "ServiceMethodEnum": "approvals.choices.ServiceMethod",
        "MaterialStateEnum": "approvals.choices.MaterialState",
        "MaterialInputStateEnum": "approvals.api.serializers.MATERIAL_INPUT_STATES",
        "LicenceStatusEnum": "approvals.choices.LicenceStatus",
        "SubCaseStatusEnum": "approvals.choices.SubCaseStatus",
        "SubCaseOpinionEnum": "approvals.choices.SubCaseOpinion",
        "SubjectTypeEnum": "portal.organisation.choices.SubjectType",
        "DepartmentKindEnum": "portal.organisation.choices.DepartmentKind",
        "RegionLevelEnum": "portal.organisation.choices.RegionLevel",
        "ItemNatureEnum": "portal.catalogue.choices.ItemNature",
        "ItemStatusEnum": "portal.catalogue.choices.ItemStatus",
        "ItemLevelEnum": "portal.catalogue.choices.ItemLevel",
        "HandlingClassEnum": "portal.catalogue.choices.HandlingClass",
        "ServiceCategoryEnum": "portal.catalogue.choices.ServiceCategory",
    },
}

# --- Import / export ------------------------------------------------------------------------
IMPORT_EXPORT_USE_TRANSACTIONS = True  # a bad import writes nothing
IMPORT_EXPORT_SKIP_ADMIN_LOG = True  # our own audit trail records every change
IMPORT_EXPORT_FORMATS = [_import_export_formats.XLSX, _import_export_formats.CSV]  # officials live in Excel

# --- Audit trail ----------------------------------------------------------------------------
AUDIT_SEAL_DIR = Path(env_str("AUDIT_SEAL_DIR", str(VAR_DIR / "audit-seals")))
AUDIT_SIGNING_KEY_FILE = Path(env_str("AUDIT_SIGNING_KEY_FILE", str(VAR_DIR / "keys" / "audit-seal-ed25519.pem")))
AUDIT_ENCRYPTION_KEY = env_str("AUDIT_ENCRYPTION_KEY")  # Fernet key; generated into var/keys when unset

# --- Working days ---------------------------------------------------------------------------
# Dotted paths of callables run (by a task, after commit) when admins publish a year's schedule,
# so that apps recompute their provisional deadlines. Apps add theirs; portal never imports them.
WORKDAY_PUBLISHED_HOOKS: list[str] = [
    # Recompute approvals' provisional deadlines, then re-evaluate the time-limit lights on them.
    "supervision.services.resweep_after_publication",
    # Rectifications of bad reviews whose deadline reached into the year, counted on weekends only.
    "supervision.rectification.services.recompute_provisional_deadlines",
]

# --- Documents and seals -------------------------------------------------------------------
# The signer behind the seal interface: a certificate file by default; a hardware token or a
# remote GB/T 38540 seal service can take its place by naming another class here.
DOCUMENT_SIGNER = env_str("DOCUMENT_SIGNER", "portal.documents.signing.CertificateFileSigner")
# Demo PKI (root CA and one seal certificate per organ), generated on first use; never committed.
PKI_DIR = Path(env_str("PKI_DIR", str(VAR_DIR / "pki")))

# The address the public reaches the portal at: printed on documents and in QR codes.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000")
# A system's claimed acting time further than this from the server's recorded time is flagged as
# possible off-system processing (体外循环; approvals.claimed_time).
CLAIMED_TIME_GAP_LIMIT_MINUTES = env_int("CLAIMED_TIME_GAP_LIMIT_MINUTES", 120, minimum=1)
# Remedies a refusal must name (Administrative Licensing Law art. 38).
RECONSIDERATION_ORGAN = env_str("RECONSIDERATION_ORGAN", "江州市人民政府")
ADMINISTRATIVE_COURT = env_str("ADMINISTRATIVE_COURT", "江州市江城区人民法院")

# --- Efficiency scores and dashboards (supervision/efficiency) ---------------------------------
# Every night the rollups of this many days back are recomputed whole: a safety net beside the
# ten-minute refresh, which follows the audit trail.
EFFICIENCY_ROLLUP_NIGHTLY_DAYS = env_int("EFFICIENCY_ROLLUP_NIGHTLY_DAYS", 62, minimum=1)

# --- Outbox, notifications and uploads ------------------------------------------------------
# kind -> dotted path of the handler that delivers it; apps add their own kinds.
OUTBOX_HANDLERS: dict[str, str] = {
    "notification.send": "portal.notifications.delivery.deliver_notification",
    "approvals.document": "approvals.documents.produce_for_outbox",
    "supervision.warning_notices": "supervision.notices.deliver_warning_notices",
    "supervision.document": "supervision.documents.produce_for_outbox",
}
SMS_BACKEND = env_str("SMS_BACKEND", "portal.notifications.sms.LoggingSmsBackend")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend" if DEBUG else
                        "django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@zwfw.jiangzhou.gov.cn")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)

# --- Retention of housekeeping rows (purged daily by beat, in batches) -----------------------
# How long an Idempotency-Key answers a retry with the first answer; a retry after that runs again.
IDEMPOTENCY_KEY_RETENTION_DAYS = env_int("IDEMPOTENCY_KEY_RETENTION_DAYS", 7, minimum=1)
# How long a delivered outbox message is kept for inspection. Waiting and dead messages are
# never purged: they are work still to do or an administrator's to retry.
OUTBOX_DELIVERED_RETENTION_DAYS = env_int("OUTBOX_DELIVERED_RETENTION_DAYS", 30, minimum=1)

# --- Security -------------------------------------------------------------------------------
HTTPS = env_bool("PORTAL_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]  # the container healthcheck asks over plain HTTP
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", HTTPS) else None
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Sessions are read from the cache (Redis) and written through to the database: signing in survives
# a cache flush, and a page view costs no database query for its session.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
