"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "builder.settings")

application = get_asgi_application()

from builder.startup import require_secrets  # noqa: E402  (needs settings loaded)

require_secrets()
