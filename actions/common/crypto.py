"""Encryption at rest for provider credentials (Fernet, keys from FIELD_ENCRYPTION_KEY)."""

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    from builder.startup import require_secrets

    if not settings.FIELD_ENCRYPTION_KEYS:
        require_secrets()
    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


@functools.lru_cache(maxsize=256)
def decrypt(token: str) -> str:
    """The plaintext; a token no configured key opens is an error naming the setting.

    Cached: a worker decrypts each channel's token once, not once per message.
    """
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "A stored credential cannot be decrypted with FIELD_ENCRYPTION_KEY: was the key "
            "changed without keeping the old one in the list?"
        ) from None
