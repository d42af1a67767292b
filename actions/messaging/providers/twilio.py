"""Twilio, through the official SDK, against TWILIO_API_BASE_URL."""

import functools
import os
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from actions.messaging.providers.base import (
    OutgoingSms,
    PermanentProviderError,
    SendResult,
    SentMessage,
    TransientProviderError,
    UncertainProviderError,
)

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY")


def client(account_sid: str, auth_token: str) -> Client:
    """An SDK client whose API requests go to TWILIO_API_BASE_URL."""
    return _client(
        account_sid, auth_token, settings.TWILIO_API_BASE_URL, settings.TWILIO_TIMEOUT_SECONDS
    )


@functools.lru_cache(maxsize=64)
def _client(account_sid: str, auth_token: str, base_url: str, timeout: float) -> Client:
    # One client per account keeps its HTTP connection alive between sends.
    http = TwilioHttpClient(timeout=timeout)
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
        except (TwilioException, OSError) as exc:
            raise provider_error(exc) from None
        return SendResult(sid=message.sid, status=message.status or "queued")

    def find(self, sms: OutgoingSms, since: datetime) -> list[SentMessage]:
        """The messages Twilio has to this recipient from this sender with this body, created
        since `since` (newest first): what a send whose answer was lost may have created.

        Reads Twilio's Messages list filtered by To (and From, unless the sender is a
        Messaging Service, whose messages are matched on its SID), newest first, and stops at
        the first message older than `since`. Raises like `send`.
        """
        filters = {"to": sms.to}
        if not sms.sender.startswith("MG"):
            filters["from_"] = sms.sender
        found = []
        try:
            for message in client(self.account_sid, self.auth_token).messages.stream(
                **filters, page_size=50
            ):
                created = message.date_created
                if created is not None and created < since:
                    break
                by_service = sms.sender.startswith("MG")
                if message.body == sms.body and (
                    not by_service or message.messaging_service_sid == sms.sender
                ):
                    found.append(
                        SentMessage(
                            sid=message.sid,
                            status=message.status or "queued",
                            to=message.to,
                            sender=message.from_ or sms.sender,
                            body=message.body,
                            created_at=created,
                        )
                    )
        except (TwilioException, OSError) as exc:
            raise provider_error(exc) from None
        return found


@dataclass(frozen=True)
class RedirectResult:
    twiml: str  # what the call was updated with
    call_from: str
    call_to: str


def redirect_call(
    account_sid: str,
    auth_token: str,
    call_sid: str,
    choose_twiml: Callable[[str, str], str],
) -> RedirectResult:
    """Fetch a live call and update it with the TwiML `choose_twiml(from, to)` picks for it.

    The call is fetched first because the right TwiML depends on its leg: a SIP REFER works
    only on a SIP leg. Errors as `TwilioProvider.send`: 429, 5xx and network failures are
    transient, the rest (20404 unknown call, 21220 call not in progress…) permanent.
    """
    if not (account_sid and auth_token):
        raise PermanentProviderError("No Twilio credentials are configured.", code="auth")
    call = client(account_sid, auth_token).calls(call_sid)
    try:
        found = call.fetch()
    except (TwilioException, OSError) as exc:
        error = provider_error(exc)
        # Reading a call changes nothing: a lost answer is only worth another try.
        if isinstance(error, UncertainProviderError):
            error = TransientProviderError(error.message)
        raise error from None
    # The SDK keeps the call's "from" as `_from` (`from` is a Python keyword).
    call_from, call_to = found._from or "", found.to or ""
    twiml = choose_twiml(call_from, call_to)
    try:
        call.update(twiml=twiml)
    except (TwilioException, OSError) as exc:
        raise provider_error(exc) from None
    return RedirectResult(twiml=twiml, call_from=call_from, call_to=call_to)


def provider_error(exc: Exception) -> TransientProviderError | PermanentProviderError:
    """The SDK's exception as ours: the type says whether retrying can help."""
    if isinstance(exc, TwilioRestException):
        error = TransientProviderError if _transient(exc.status) else PermanentProviderError
        return error(
            exc.msg or f"Twilio answered HTTP {exc.status}.",
            code=str(exc.code or exc.status),
            status=exc.status,
        )
    code, cause = network_cause(exc)
    if _may_have_arrived(exc):
        return UncertainProviderError(cause[:1].upper() + cause[1:], code=code)
    # Connection refused, a name that does not resolve, a connection that timed out.
    return TransientProviderError(f"Twilio could not be reached: {cause}", code=code)


def network_cause(exc: Exception) -> tuple[str, str]:
    """A network failure in plain words, with its code (messaging/provider_errors.py): never
    the library's text, which names pools, adapters and retries rather than the cause."""
    host = _host(exc)
    where = "check the network or TWILIO_API_BASE_URL"
    chain = _causes(exc)
    if any(isinstance(c, socket.gaierror) or type(c).__name__ == "NameResolutionError"
           for c in chain):  # fmt: skip
        return "network_dns", f"the name {host} did not resolve — {where}"
    if any(isinstance(c, ConnectionRefusedError) for c in chain):
        return "network_refused", f"{host} refused the connection — {where}"
    if any(isinstance(c, requests.exceptions.SSLError | ssl.SSLError) for c in chain):
        return (
            "network_tls",
            f"the secure connection to {host} failed — check the network's "
            "proxy or the system's certificates",
        )
    if isinstance(exc, requests.ConnectTimeout) or any(
        isinstance(c, ConnectTimeoutError) for c in chain
    ):
        return "network_timeout", f"{host} did not accept a connection in time — {where}"
    if isinstance(exc, requests.ReadTimeout | requests.Timeout):
        seconds = f"{settings.TWILIO_TIMEOUT_SECONDS:g}"
        return "no_answer", f"no answer from {host} within {seconds} s"
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return "network_reset", f"the connection to {host} broke before its answer came"
    return "network", f"the request to {host} failed ({type(exc).__name__})"


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception, what it wraps (urllib3's reason) and what caused it, to the root."""
    seen, todo = [], [exc]
    while todo and len(seen) < 10:
        current = todo.pop()
        if current is None or current in seen:
            continue
        seen.append(current)
        todo += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        todo += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
    return seen


def _host(exc: Exception) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", "") or settings.TWILIO_API_BASE_URL or "https://api.twilio.com"
    return urlsplit(url).hostname or "Twilio"


def _may_have_arrived(exc: Exception) -> bool:
    """Whether the request may have reached Twilio although no answer came back: the answer
    timed out, or the connection broke after the request went out. A connection that was never
    made (refused, unresolvable, connect timeout) carried no request."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return not isinstance(reason, NewConnectionError | ConnectTimeoutError)
    return isinstance(exc, requests.Timeout | requests.exceptions.ChunkedEncodingError)


def _transient(status: int | None) -> bool:
    return status is None or status == 429 or status >= 500
