"""What every SMS provider speaks: the message out, the result back, and two kinds of failure.

The send task decides retries in one place: `TransientProviderError` is retried with
backoff, `PermanentProviderError` fails the message with the provider's code and text.
"""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    sender: str  # E.164 number or Twilio Messaging Service SID (MG…)
    body: str
    status_callback: str = ""


@dataclass(frozen=True)
class SentMessage:
    """A message the provider has, as its list shows it."""

    sid: str
    status: str
    to: str
    sender: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class SendResult:
    sid: str
    status: str  # the provider's status word, e.g. "queued", "sent", "delivered"


class ProviderError(Exception):
    def __init__(self, message: str, *, code: str = "", status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class TransientProviderError(ProviderError):
    """Worth retrying: rate limited, provider down, timeout, connection refused."""


class UncertainProviderError(TransientProviderError):
    """No answer after the request may have reached the provider (a read timeout, a connection
    dropped mid-answer): it may have been accepted. Never retried blindly: the worker first
    asks the provider whether it has the message."""


class PermanentProviderError(ProviderError):
    """Retrying cannot help: invalid number, unsubscribed recipient, bad credentials."""
