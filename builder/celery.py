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
