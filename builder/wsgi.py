"""WSGI entry point (gunicorn builder.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "builder.settings")

application = get_wsgi_application()

from builder.startup import require_secrets  # noqa: E402  (needs settings loaded)

require_secrets()

# Load the URLconf, and the platform SDKs its views import (retell-sdk takes ~2 s), when the
# worker starts rather than on its first request: a caller on a live call should not wait.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
