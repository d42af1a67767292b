"""The real settings, with the few changes a test run needs, made through the environment."""

import os
import uuid

os.environ.setdefault("SECRET_KEY", "tests-only-" + "x" * 50)
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "dGVzdHMtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleSE=")
# Playwright's sync API runs an event loop in the test thread; the ORM calls around it are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# A queue of its own per test session, inherited by the worker processes the tests start, so
# tasks left in a shared Redis by another run are never picked up.
os.environ.setdefault("CELERY_QUEUE", f"switchboard-test-{uuid.uuid4().hex[:12]}")
# The same for the abuse limits' counts in Redis; and limits that no test meets by accident
# (the tests of the limits lower them).
os.environ.setdefault("RATE_LIMIT_PREFIX", f"switchboard-test-{uuid.uuid4().hex[:12]}")
os.environ.setdefault("API_REQUESTS_PER_MINUTE", "10000")
os.environ.setdefault("API_FAILED_KEYS_PER_MINUTE", "10000")
os.environ.setdefault("TEXTS_PER_RECIPIENT_PER_DAY", "10000")
os.environ.setdefault("TEXTS_PER_CONVERSATION", "10000")

from builder.settings import *  # noqa: E402, F403

# Serve static files from the source folders, no collectstatic needed.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only

# Two test runs at once on one machine each need their own test database: set
# TEST_DATABASE_SUFFIX to tell them apart.
_suffix = os.environ.get("TEST_DATABASE_SUFFIX", "")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory, so that worker processes started by the tests see the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test{_suffix}.sqlite3")}  # noqa: F405
elif _suffix:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}{_suffix}"}  # noqa: F405
