"""What a serving process checks before it starts: the secrets it cannot run without."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MISSING = {
    "SECRET_KEY": (
        "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
        "string (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
        "or set DEBUG=1 for a development run, which generates one into var/."
    ),
    "FIELD_ENCRYPTION_KEY": (
        "FIELD_ENCRYPTION_KEY is not set. Set it to a Fernet key (for example: python -c "
        "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'), "
        "or set DEBUG=1 for a development run, which generates one into var/."
    ),
}


def missing_secrets() -> list[str]:
    """The messages for each required secret that is not configured."""
    missing = []
    if not settings.SECRET_KEY_SET:
        missing.append(MISSING["SECRET_KEY"])
    if not settings.FIELD_ENCRYPTION_KEYS:
        missing.append(MISSING["FIELD_ENCRYPTION_KEY"])
    return missing


def require_secrets() -> None:
    """Stop a web or worker process at start-up, with a clear message, if a secret is missing."""
    missing = missing_secrets()
    if missing:
        raise ImproperlyConfigured(" ".join(missing))
