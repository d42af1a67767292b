"""The Celery application: every setting comes from Django settings prefixed CELERY_."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "builder.settings")

app = Celery("builder")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def check_secrets(**kwargs):
    """A worker without its secrets stops at start-up instead of failing task after task."""
    from django.core.exceptions import ImproperlyConfigured

    from builder.startup import require_secrets

    try:
        require_secrets()
    except ImproperlyConfigured as exc:
        # Celery logs and swallows exceptions from signal handlers; SystemExit gets through.
        raise SystemExit(f"Switchboard worker cannot start: {exc}") from None


@worker_init.connect
def load_provider_client(**kwargs):
    """Import the Twilio SDK's message resources before the pool starts: the SDK imports them
    on first use, which makes a process's first send a few hundred milliseconds slower than
    the rest — long enough for a fast sender's next message to overtake it."""
    import twilio.rest.api.v2010.account.call  # noqa: F401
    import twilio.rest.api.v2010.account.message  # noqa: F401
