"""WSGI entry point (gunicorn builder.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "builder.settings")

application = get_wsgi_application()

from builder.startup import require_secrets  # noqa: E402  (needs settings loaded)

require_secrets()
