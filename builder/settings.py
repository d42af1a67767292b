"""Switchboard settings.

Every setting comes from the environment and is read here, once. The defaults are the
embedded development setup of `make run`: SQLite and a Redis under var/.
"""

import hashlib
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int, minimum: int = 0) -> int:
    """A whole number from the environment; a clear error naming the variable otherwise."""
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, {minimum} or more; it is set to {value!r}."
        )
    return number


def generated_secret(filename: str, make) -> str:
    """A secret generated once into var/, for development only."""
    path = VAR_DIR / filename
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(make())
    return path.read_text().strip()


DEBUG = env_bool("DEBUG")

# Without DEBUG both secrets must come from the environment. Settings still load without
# them, so that commands which need neither (makemigrations, check) work in any checkout;
# the web, ASGI and worker entry points refuse to start (builder/startup.py).
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = generated_secret("secret_key", lambda: secrets.token_urlsafe(50))
# Django refuses to read an empty SECRET_KEY at all; this says whether there is one.
SECRET_KEY_SET = bool(SECRET_KEY)

# Fernet keys (comma-separated; the first encrypts, all decrypt, so keys can be rotated) for
# provider credentials stored in the database.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEY")
if not FIELD_ENCRYPTION_KEYS and DEBUG:
    FIELD_ENCRYPTION_KEYS = [
        generated_secret("field_encryption_key", lambda: Fernet.generate_key().decode())
    ]
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY is not a valid Fernet key: 32 url-safe base64-encoded bytes."
        ) from None

PORT = int(os.environ.get("PORT", "8000"))
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS") or [PUBLIC_BASE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "simple_history",
    "axes",  # login throttling, see "Abuse limits" below
    "actions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Records the logged-in user as the author of each change in the history.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "actions.accounts.middleware.FirstRunMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: turns a locked-out login into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "builder.urls"

# Every form's fields are marked invalid exactly while they show an error (actions/common/forms.py).
FORM_RENDERER = "actions.common.forms.FormRenderer"

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
            # {% if user|may:"url_name" %} in every template: links follow the URL permissions.
            "builtins": ["actions.templatetags.access"],
        },
    },
]

WSGI_APPLICATION = "builder.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A pool per process: Celery closes database connections around every task, and a
    # pooled connection is handed back instead of being torn down and opened again.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DATABASE_POOL_MIN", "1")),
        "max_size": int(os.environ.get("DATABASE_POOL_MAX", "10")),
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # SQLite cannot pool connections across threads; WAL lets the worker read while web writes.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------------------------
# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=1 so Django sees https.
HTTPS = env_bool("HTTPS", default=not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Preloading commits the whole domain to HTTPS in browsers for good: the operator's choice.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Load balancers probe /healthz over plain HTTP inside a private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# --- Redis and Celery -----------------------------------------------------------------------


def embedded_redis_socket() -> Path:
    """Where `make run` starts its embedded Redis; a short path, since sockets allow ~100 bytes."""
    path = VAR_DIR / "redis" / "redis.sock"
    if len(str(path)) < 100:
        return path
    digest = hashlib.sha256(str(VAR_DIR).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"switchboard-{digest}.sock"


EMBEDDED_REDIS = not os.environ.get("REDIS_URL")
REDIS_URL = os.environ.get("REDIS_URL") or f"unix://{embedded_redis_socket()}"


def celery_redis_url(url: str) -> str:
    """Celery spells a Unix-socket Redis URL redis+socket://; redis-py spells it unix://."""
    if url.startswith("unix://"):
        return "redis+socket://" + url.removeprefix("unix://")
    return url


CELERY_BROKER_URL = celery_redis_url(REDIS_URL)
CELERY_RESULT_BACKEND = celery_redis_url(REDIS_URL)
CELERY_RESULT_EXPIRES = 3600
# Tasks report through the database (the send log), not the result store; a task that needs
# its result says so.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "switchboard")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# A task is acknowledged only when it has finished, and given back to the queue when the
# worker running it dies, so a killed worker loses nothing; tasks must be idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
# A message waiting for its sender's turn is a task due then (messaging/throttle.py): the ETA
# scheduler checks at least every 10 ms, not every second, so turns are kept to the moment.
CELERY_WORKER_TIMER_PRECISION = 0.01
CELERY_WORKER_DISABLE_RATE_LIMITS = True  # no task has a rate limit; skip the bookkeeping
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "30"))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "60"))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis redelivers an unacknowledged task after this long; it must exceed the hard time limit.
# A broker that does not answer a new connection within 2 s counts as down.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
# Publishing from a web request tries twice, then gives up: the message is already in the
# database, and the reconciliation publishes it once the broker is back (common/broker.py).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "reconcile-messages": {"task": "actions.reconcile_messages", "schedule": 5.0},
    "reconcile-redirects": {"task": "actions.reconcile_redirects", "schedule": 5.0},
    "redact-old-messages": {"task": "actions.redact_old_messages", "schedule": 3600.0},
}

# Sending: transient provider failures (429, 5xx, timeouts) are retried with exponential
# backoff and full jitter, base * 2**attempt seconds at most, up to SEND_MAX_ATTEMPTS in all.
SEND_MAX_ATTEMPTS = int(os.environ.get("SEND_MAX_ATTEMPTS", "5"))
SEND_RETRY_BASE_SECONDS = float(os.environ.get("SEND_RETRY_BASE_SECONDS", "2"))
# A send whose answer was lost (a timeout after the request went out) is "unconfirmed": this
# many seconds later the worker asks the provider whether it has the message, and sends it
# again only if it certainly does not.
SEND_CONFIRM_AFTER_SECONDS = float(os.environ.get("SEND_CONFIRM_AFTER_SECONDS", "15"))

# Retention: after this many days a message's body, parameters and variables are removed
# (status, times and the timeline stay); 0 keeps them forever. Removed in batches of
# MESSAGE_RETENTION_BATCH messages, one short statement each.
MESSAGE_RETENTION_DAYS = env_int("MESSAGE_RETENTION_DAYS", 90, minimum=0)
MESSAGE_RETENTION_BATCH = env_int("MESSAGE_RETENTION_BATCH", 1000, minimum=1)

# How long /healthz waits for the broker and a worker to answer, in seconds.
HEALTHZ_TIMEOUT = float(os.environ.get("HEALTHZ_TIMEOUT", "1.0"))

# --- Abuse limits ----------------------------------------------------------------------------
# Counted in Redis (REDIS_URL), shared by every web process; skipped while Redis is down.
# Requests per API key in any 60 seconds; an agent's own "requests per minute" overrides it.
API_REQUESTS_PER_MINUTE = env_int("API_REQUESTS_PER_MINUTE", 120, minimum=1)
# Wrong or missing API keys from one client address in any 60 seconds; past it the address
# is answered 429 before any key is looked up. The address is REMOTE_ADDR: behind a proxy,
# make it the client's (docs/operations.md).
API_FAILED_KEYS_PER_MINUTE = env_int("API_FAILED_KEYS_PER_MINUTE", 20, minimum=1)
# Texts an agent may send to one number in any 24 hours, and within one conversation (an
# invoke's conversation_id) in any 24 hours: against SMS pumping. Past either, invoke is 422
# and nothing is written; an agent's own limits (its page) override these. Try it and the
# channel test message are not limited.
TEXTS_PER_RECIPIENT_PER_DAY = env_int("TEXTS_PER_RECIPIENT_PER_DAY", 10, minimum=1)
TEXTS_PER_CONVERSATION = env_int("TEXTS_PER_CONVERSATION", 5, minimum=1)
# Starts every Redis key of the limits: deployments sharing one Redis need one each.
RATE_LIMIT_PREFIX = os.environ.get("RATE_LIMIT_PREFIX", "switchboard-limits")

# Logins (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair is locked out for LOGIN_COOLOFF_MINUTES (counted again from each try
# made while locked out). Kept in the database, so shared by every web process too.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "actions.accounts.lockout.locked_out"
# The same address as the API's limits (never a forwarded header).
AXES_CLIENT_IP_CALLABLE = "actions.common.limits.client_address"
# Failed attempts are kept (until the cool-off ends); a row per successful login is not.
AXES_DISABLE_ACCESS_LOG = True
# Failures and lockouts are logged with username and address masked; no banner at start.
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken"]

# --- Providers --------------------------------------------------------------------------------
TWILIO_API_BASE_URL = os.environ.get("TWILIO_API_BASE_URL", "https://api.twilio.com").rstrip("/")
# How long a request to Twilio may take. An answer that comes later may still mean the message
# was created: such a send is "unconfirmed" until the worker has asked Twilio (docs/api.md).
TWILIO_TIMEOUT_SECONDS = float(os.environ.get("TWILIO_TIMEOUT_SECONDS", "10"))
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Masks phone numbers and withholds database error texts (actions/ops/logformat.py).
        "plain": {
            "()": "actions.ops.logformat.Formatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The Twilio SDK logs every request at INFO, query parameters included: the numbers a
        # Messages-list look-up is filtered by. No phone number in the logs: warnings only.
        "twilio.http_client": {"level": "WARNING"},
    },
}
