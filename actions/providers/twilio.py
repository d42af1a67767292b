"""Twilio, through the official SDK, against TWILIO_API_BASE_URL."""

import functools
import os

from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from actions.providers import (
    OutgoingSms,
    PermanentProviderError,
    SendResult,
    TransientProviderError,
)

TIMEOUT_SECONDS = 10
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY")


def client(account_sid: str, auth_token: str) -> Client:
    """An SDK client whose API requests go to TWILIO_API_BASE_URL."""
    return _client(account_sid, auth_token, settings.TWILIO_API_BASE_URL)


@functools.lru_cache(maxsize=64)
def _client(account_sid: str, auth_token: str, base_url: str) -> Client:
    # One client per account keeps its HTTP connection alive between sends.
    http = TwilioHttpClient(timeout=TIMEOUT_SECONDS)
    if not any(os.environ.get(name) for name in PROXY_VARIABLES):
        # Without a proxy to honour, skip requests' per-request look-ups of proxy variables
        # and ~/.netrc: they cost about a millisecond a send.
        http.session.trust_env = False
    twilio = Client(account_sid, auth_token, http_client=http)
    twilio.api.base_url = base_url
    return twilio


class TwilioProvider:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid = account_sid
        self.auth_token = auth_token

    def send(self, sms: OutgoingSms) -> SendResult:
        """Create the message; 429, 5xx and network failures are transient, the rest permanent."""
        if not (self.account_sid and self.auth_token):
            raise PermanentProviderError("The channel has no Twilio credentials.", code="auth")
        kwargs = {"to": sms.to, "body": sms.body}
        if sms.sender.startswith("MG"):
            kwargs["messaging_service_sid"] = sms.sender
        else:
            kwargs["from_"] = sms.sender
        if sms.status_callback:
            kwargs["status_callback"] = sms.status_callback
        try:
            message = client(self.account_sid, self.auth_token).messages.create(**kwargs)
        except TwilioRestException as exc:
            error = TransientProviderError if _transient(exc.status) else PermanentProviderError
            raise error(
                exc.msg or f"Twilio answered HTTP {exc.status}.",
                code=str(exc.code or exc.status),
                status=exc.status,
            ) from None
        except TwilioException as exc:  # connection refused, timeout, unreadable answer
            raise TransientProviderError(f"Twilio could not be reached: {exc}") from None
        except OSError as exc:
            raise TransientProviderError(f"Twilio could not be reached: {exc}") from None
        return SendResult(sid=message.sid, status=message.status or "queued")


def _transient(status: int | None) -> bool:
    return status is None or status == 429 or status >= 500
