"""A local Twilio REST API emulator for tests, local development and benchmarks.

It is a real HTTP server on loopback that answers the parts of Twilio's 2010-04-01 REST API the
official ``twilio`` Python SDK uses for SMS and live-call control, so product code runs the real
SDK against it (``client.api.base_url = emulator.base_url``):

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: create a message, validated the way
  Twilio validates requests made with its TEST credentials (the documented magic numbers);
* ``GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json``: fetch a message;
* ``GET  /2010-04-01/Accounts/{AccountSid}/Messages.json``: list messages, newest first, filtered
  by ``To`` and ``From``, in pages (``PageSize``, ``Page``), as the SDK's ``messages.list`` reads;
* ``POST /2010-04-01/Accounts/{AccountSid}/Calls.json``: create a call, which is live
  (``in-progress``) at once, so tests can set one up through the SDK;
* ``POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json``: update a live call (TwiML,
  URL or status), every update recorded; ``GET`` of the same path fetches it. An unknown call
  is 404 (20404) and redirecting one that has ended is 400 (21220), as with Twilio.

A call updated with TwiML whose ``<Dial>`` or ``<Refer>`` has an ``action`` is dialled: after
``callback_delay`` the outcome is posted to the action URL, signed, as Twilio does when a dial
ends (``DialCallStatus``, ``DialCallDuration``, ``DialCallSid``; ``ReferCallStatus`` for a
REFER), and the TwiML answered continues the call: another ``<Dial action>`` is dialled in
turn, ``<Hangup/>`` ends the call. The outcome is chosen by the number dialled, as Twilio's
magic numbers choose theirs (:data:`DIAL_OUTCOMES`; :meth:`set_dial_outcome` for others): any
other number answers and talks for 7 seconds (``completed``). A ``<Number url>`` whisper is
played first, as the person answering: its TwiML is fetched and its ``<Gather>`` answered with
1, or with 2 when the number's outcome is ``declined`` (then the dial reports ``completed``
with no talk time).

Everything else answers 404 with Twilio's error JSON. Requests are authenticated with HTTP Basic
auth exactly as Twilio does (account SID and auth token). After a message is created, its status
moves on in the background (``sent``, then ``delivered`` or what :meth:`set_final_status` says)
and each step is posted to the message's ``StatusCallback`` URL, signed with
``X-Twilio-Signature`` the way Twilio signs webhooks.

In-process use (pytest)::

    with TwilioEmulator() as emu:
        client = Client(emu.account_sid, emu.auth_token)
        client.api.base_url = emu.base_url
        client.messages.create(to="+15551230000", from_="+15005550006", body="hi")

Standalone use::

    python -m tests.twilio_emulator --port 8089 --account-sid AC... --auth-token ...

The server logs nothing per request unless ``verbose`` is set, and even then never logs message
bodies or full phone numbers.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import collections
import contextlib
import heapq
import hmac
import http.client
import itertools
import json
import logging
import math
import re
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from twilio.request_validator import RequestValidator

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "RecordedRequest",
    "TwilioEmulator",
    "main",
]

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "00000000000000000000000000000001"
DEFAULT_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"

#: The From number Twilio's test credentials accept.
VALID_TEST_FROM = "+15005550006"
#: A call SID that never exists, so tests can exercise an unknown call.
UNKNOWN_CALL_SID = "CA" + "0" * 32
#: The sender a Messaging Service "picks" when a message is sent without a From.
SERVICE_SENDER = VALID_TEST_FROM

MAX_BODY_CHARS = 1600
MAX_REQUEST_BYTES = 1 << 20
FINAL_STATUSES = ("delivered", "undelivered", "failed", "sent")

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_MESSAGING_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")
_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
# What a call's To and From may be: a number, a SIP URI or a Client identity.
_CALL_ADDRESS = re.compile(r"\+?[0-9]{3,15}|sips?:\S+@\S+|client:\S+")
_ACCOUNT_PATH = re.compile(r"/2010-04-01/Accounts/([^/]+)(/.*)?")
_MESSAGE_PATH = re.compile(r"/Messages/([^/]+)\.json")
_CALL_PATH = re.compile(r"/Calls/([^/]+)\.json")
# The emulator's magic numbers for a transfer's outcome: what a <Dial> to them reports.
DIAL_OUTCOMES = {
    "+15005550101": ("busy", 0),
    "+15005550102": ("no-answer", 0),
    "+15005550103": ("failed", 0),
    "+15005550104": ("canceled", 0),
}
ANSWERED_SECONDS = 7
_DIAL_TARGET = re.compile(r"(\+?\d{6,15})")

# GSM 03.38: the basic character set (one septet each) and its extension table (two septets).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

# Texts of the delivery error codes Twilio reports most often (the resource's error_message).
_DELIVERY_ERRORS = {
    30001: "Queue overflow",
    30002: "Account suspended",
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
}

_FAILURE_TEXTS = {
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}


@dataclass(frozen=True)
class RecordedRequest:
    """One API request the emulator received, whatever it answered."""

    method: str
    path: str  #: without the query string
    form: dict[str, str]  #: form fields of the body (last value wins for repeated fields)
    account_sid: str | None  #: the username of the request's Basic auth, if any
    time: float  #: ``time.time()`` when it arrived
    status: int = 0  #: the HTTP status the emulator answered
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class _Response:
    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)
    after: Callable[[], None] | None = None  # run once the response has been written


@dataclass
class _Lifecycle:
    account_sid: str
    callback_url: str
    steps: list[tuple[str, int | None]]
    generation: int


def _error(status: int, code: int, message: str) -> _Response:
    """An error answer shaped exactly like Twilio's (legacy, non RFC-9457) error JSON."""
    payload = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if status == 401 else {}
    return _Response(status, payload, headers)


def _not_found(path: str) -> _Response:
    return _error(404, 20404, f"The requested resource {path} was not found")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _now_rfc2822() -> str:
    return format_datetime(datetime.now(UTC).replace(microsecond=0))


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _mask(number: str | None) -> str:
    """A phone number safe to log: only its first two and last two characters."""
    if not number:
        return "-"
    if len(number) <= 4:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


def num_segments(body: str) -> int:
    """How many SMS segments Twilio bills for ``body`` (GSM-7 when it can, else UCS-2)."""
    if not body:
        return 1
    if all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in body):
        units = sum(2 if c in _GSM_EXTENSION else 1 for c in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def _parse_basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def _parse_form(text: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="replace", max_num_fields=1000)
    except ValueError:
        return {}
    return dict(pairs)


def _valid_callback_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _post_form(url: str, params: dict[str, str], signature: str, timeout: float, body=None):
    """POST ``params`` form-encoded to ``url``; the HTTP status, or None and the error. With
    ``body`` (a list), the response's text is appended to it."""
    connection = None
    try:
        parts = urlsplit(url)
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = cls(parts.hostname, parts.port, timeout=timeout)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(
            "POST",
            target,
            body=urlencode(params).encode("utf-8"),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "TwilioProxy/1.1",
                "X-Twilio-Signature": signature,
                "I-Twilio-Idempotency-Token": secrets.token_hex(16),
                "Connection": "close",
            },
        )
        response = connection.getresponse()
        text = response.read()
        if body is not None:
            body.append(text.decode("utf-8", "replace"))
        return response.status, None
    except Exception as exc:  # any failure is recorded, never raised
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        if connection is not None:
            connection.close()


class _Scheduler:
    """Runs quick callables at given times on one thread, and slow ones on a small pool."""

    def __init__(self, workers: int = 8):
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="twilio-emu-cb")
        self._thread = threading.Thread(target=self._run, name="twilio-emu-sched", daemon=True)
        self._thread.start()

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the scheduler thread after ``delay`` seconds; it must not block."""
        with self._cond:
            if self._stopped:
                return
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._counter), fn))
            self._cond.notify()

    def submit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` (which may block, e.g. on HTTP) on the pool."""
        with contextlib.suppress(RuntimeError):  # the pool is shutting down
            self._pool.submit(fn)

    def clear(self) -> None:
        with self._cond:
            self._heap.clear()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _, _, fn = heapq.heappop(self._heap)
            try:
                fn()
            except Exception:
                logger.exception("twilio emulator: scheduled task failed")

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._heap.clear()
            self._cond.notify_all()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, emulator: TwilioEmulator):
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Hang up kept-alive connections so no handler answers after stop()."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request, client_address):
        if self.emulator.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TwilioEmulator/1.0"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are closed after this many seconds
    server: _Server

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:  # http.server's naming
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024).strip():  # trailers
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_REQUEST_BYTES:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_REQUEST_BYTES:
            raise ValueError("bad Content-Length")
        return self.rfile.read(length) if length else b""

    def _dispatch(self, head: bool = False) -> None:
        emulator = self.server.emulator
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._write(_error(400, 20001, "Unable to read the request body"), head)
            return
        try:
            response = emulator._handle(self.command, self.path, self.headers, body)
        except Exception:
            logger.exception("twilio emulator: internal error on %s", self.command)
            response = _error(500, 20500, "Internal Server Error")
        self._write(response, head)
        if response.after is not None:
            try:
                response.after()
            except Exception:
                logger.exception("twilio emulator: could not schedule callbacks")

    def _write(self, response: _Response, head: bool) -> None:
        # Status line, headers and body go out in one write: one syscall, no Nagle stall.
        data = json.dumps(response.payload).encode("utf-8")
        reason = _reason(response.status)
        lines = [
            f"HTTP/1.1 {response.status} {reason}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            "Content-Type: application/json; charset=utf-8",
            f"Content-Length: {len(data)}",
            f"Twilio-Request-Id: {_sid('RQ')}",
        ]
        lines.extend(f"{name}: {value}" for name, value in response.headers.items())
        if self.close_connection:
            lines.append("Connection: close")
        head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head_bytes if head else head_bytes + data)
        self.log_request(response.status)

    def log_request(self, code="-", size="-") -> None:
        # The request line may carry phone numbers in its query string: log the path only.
        path = self.path.partition("?")[0] if isinstance(self.path, str) else "-"
        self.log_message("%s %s %s", getattr(self, "command", "-"), path, code)

    def log_message(self, format: str, *args) -> None:
        if self.server.emulator.verbose:
            sys.stderr.write(f"twilio-emulator: {format % args}\n")


class TwilioEmulator:
    """A local, in-memory Twilio REST API on a loopback HTTP server.

    All recorded state (``requests``, ``messages``, ``calls``, ``callbacks_sent``) is live and
    may be read from tests at any time; the emulator appends to it from its own threads.
    """

    def __init__(
        self,
        accounts: dict[str, str] | None = None,
        callbacks: bool = True,
        callback_delay: float = 0.05,
        strict_from: bool = True,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
        callback_timeout: float = 5.0,
    ):
        """Configure the emulator; nothing listens until :meth:`start`.

        :param accounts: account SID -> auth token pairs it accepts (default: one test account,
            :data:`DEFAULT_ACCOUNT_SID` / :data:`DEFAULT_AUTH_TOKEN`).
        :param callbacks: whether created messages move on through their statuses and have
            them posted to their ``StatusCallback``; when False they stay ``queued``.
        :param callback_delay: seconds between the API response and the ``sent`` callback, and
            between each callback's completion and the next one.
        :param strict_from: when True only Twilio's magic test numbers are valid senders (any
            other From -> 21606, as with Twilio's test credentials); when False any From is.
        :param host: the interface to listen on (loopback by default).
        :param port: the TCP port; 0 picks a free one.
        :param verbose: log one line per request (path and status only) to stderr.
        :param callback_timeout: seconds to wait for the app to answer a status callback.
        """
        self.accounts: dict[str, str] = dict(accounts or {DEFAULT_ACCOUNT_SID: DEFAULT_AUTH_TOKEN})
        if not self.accounts:
            raise ValueError("at least one account is needed")
        self.callbacks = callbacks
        self.callback_delay = callback_delay
        self.strict_from = strict_from
        self.host = host
        self.port = port
        self.verbose = verbose
        self.callback_timeout = callback_timeout
        # Seconds each message create takes to answer, as the real API's latency does.
        self.response_delay = 0.0

        self.requests: list[RecordedRequest] = []
        self.messages: dict[str, dict] = {}
        self.calls: dict[str, dict] = {}
        self.callbacks_sent: list[dict] = []
        # Each <Dial>/<Refer> action callback posted: url, params, http_status, answer (TwiML).
        self.dial_callbacks: list[dict] = []
        self.whispers: list[dict] = []  # each <Number url> whisper played, and the key pressed
        self.dial_outcomes: dict[str, tuple[str, int]] = dict(DIAL_OUTCOMES)

        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._failures: collections.deque[int] = collections.deque()
        self._late_answers: collections.deque[float] = collections.deque()
        self._call_failures: collections.deque[int] = collections.deque()
        self._final_statuses: dict[str, tuple[str, int | None]] = {}
        self._lifecycles: dict[str, _Lifecycle] = {}
        self._generation = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._scheduler: _Scheduler | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def account_sid(self) -> str:
        """The first (by default the only) account SID the emulator accepts."""
        return next(iter(self.accounts))

    @property
    def auth_token(self) -> str:
        """The auth token of :attr:`account_sid`."""
        return self.accounts[self.account_sid]

    @property
    def base_url(self) -> str:
        """Where the API listens, e.g. ``http://127.0.0.1:54321`` (only once started)."""
        if self._server is None:
            raise RuntimeError("the Twilio emulator is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> TwilioEmulator:
        """Bind the port and serve on a background thread; returns self."""
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), _Handler, self)
        self._scheduler = _Scheduler()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="twilio-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, hang up open connections and drop pending callbacks. Idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._scheduler is not None:
            self._scheduler.stop()
            self._scheduler = None

    def __enter__(self) -> TwilioEmulator:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- test controls -----------------------------------------------------------------------

    def fail_next(self, n: int, status: int = 500, *, resource: str = "Messages") -> None:
        """Make the next ``n`` Messages-create requests fail with HTTP ``status``.

        ``status`` must be 429 or a 5xx; the answer is Twilio's error JSON (429 -> 20429
        "Too Many Requests", 500 -> 20500 "Internal Server Error", 503 -> 20503 "Service
        Unavailable", any other 5xx -> 20000 + status with the standard reason phrase).
        Calls accumulate: ``fail_next(1, 429); fail_next(1, 503)`` fails with 429 then 503.
        The failures are taken by authenticated create requests only; with
        ``resource="Calls"``, by authenticated call updates instead (each resource has its
        own queue of failures).
        """
        if n < 0:
            raise ValueError("n must not be negative")
        if status != 429 and not 500 <= status <= 599:
            raise ValueError("status must be 429 or a 5xx")
        if resource not in ("Messages", "Calls"):
            raise ValueError('resource must be "Messages" or "Calls"')
        with self._lock:
            queue = self._failures if resource == "Messages" else self._call_failures
            queue.extend([status] * n)

    def answer_late(self, n: int, seconds: float) -> None:
        """Make the next ``n`` Messages-create requests create their message at once, as Twilio
        does, and answer only ``seconds`` later: a client whose timeout is shorter gives up on
        a message that exists (a slow Twilio, a dropped answer)."""
        if n < 0 or seconds < 0:
            raise ValueError("n and seconds must not be negative")
        with self._lock:
            self._late_answers.extend([seconds] * n)

    def set_final_status(self, to: str, status: str, error_code: int | None = None) -> None:
        """Make messages created to ``to`` from now on end with ``status`` (and ``ErrorCode``).

        ``status`` is one of ``delivered``, ``undelivered``, ``failed`` or ``sent``. The
        callbacks are ``sent`` then the final status, except for ``failed`` (only ``failed``,
        as Twilio never reports a failed message as sent) and ``sent`` (only ``sent``).
        """
        if status not in FINAL_STATUSES:
            raise ValueError(f"status must be one of {', '.join(FINAL_STATUSES)}")
        with self._lock:
            self._final_statuses[to] = (status, error_code)

    def add_call(
        self, to: str, from_: str, *, call_sid: str | None = None, account_sid: str | None = None
    ) -> str:
        """Register a live (``in-progress``) call and return its SID.

        The same as creating it through the API (``client.calls.create``), without a request.
        """
        sid = call_sid or _sid("CA")
        if not _CALL_SID.fullmatch(sid) or sid == UNKNOWN_CALL_SID:
            raise ValueError("call_sid must be CA + 32 hex digits, and not all zeros")
        with self._lock:
            self.calls[sid] = self._new_call(sid, account_sid or self.account_sid, to, from_)
        return sid

    def wait_for_callbacks(self, count: int, timeout: float = 10) -> list[dict]:
        """Wait until at least ``count`` status callbacks have been posted (answered or not).

        Returns a copy of :attr:`callbacks_sent`; raises ``TimeoutError`` after ``timeout``
        seconds with fewer.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.callbacks_sent) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} status callbacks within {timeout}s, "
                    f"got {len(self.callbacks_sent)}"
                )
            return list(self.callbacks_sent)

    def reset(self) -> None:
        """Forget all recorded state, queued failures, final statuses and pending callbacks."""
        with self._lock:
            self._generation += 1
            self.requests.clear()
            self.messages.clear()
            self.calls.clear()
            self.callbacks_sent.clear()
            self.dial_callbacks.clear()
            self.whispers.clear()
            self.dial_outcomes = dict(DIAL_OUTCOMES)
            self._failures.clear()
            self._late_answers.clear()
            self._call_failures.clear()
            self._final_statuses.clear()
            self._lifecycles.clear()
            self.response_delay = 0.0
        if self._scheduler is not None:
            self._scheduler.clear()

    # -- request handling --------------------------------------------------------------------

    def _handle(self, method: str, raw_path: str, headers, body: bytes) -> _Response:
        arrived = time.time()
        path, _, query_string = raw_path.partition("?")
        path = unquote(path)
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        form: dict[str, str] = {}
        if body and content_type in ("", "application/x-www-form-urlencoded"):
            form = _parse_form(body.decode("utf-8", errors="replace"))
        query = _parse_form(query_string) if query_string else {}
        credentials = _parse_basic_auth(headers.get("Authorization"))
        response = self._route(method, path, form, credentials, query)
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    method=method,
                    path=path,
                    form=form,
                    account_sid=credentials[0] if credentials else None,
                    time=arrived,
                    status=response.status,
                    query=query,
                )
            )
        return response

    def _route(self, method, path, form, credentials, query=None) -> _Response:
        match = _ACCOUNT_PATH.fullmatch(path)
        if match is None:
            return _not_found(path)
        account_sid, rest = match.group(1), match.group(2) or ""
        if not self._authenticated(account_sid, credentials):
            return _error(401, 20003, "Authenticate")
        if rest == "/Messages.json" and method == "POST":
            return self._create_message(account_sid, form)
        if rest == "/Messages.json" and method in ("GET", "HEAD"):
            return self._list_messages(account_sid, path, query or {})
        if rest == "/Calls.json" and method == "POST":
            return self._create_call(account_sid, form)
        if (found := _MESSAGE_PATH.fullmatch(rest)) and method in ("GET", "HEAD"):
            return self._fetch_message(account_sid, found.group(1), path)
        if found := _CALL_PATH.fullmatch(rest):
            if method == "POST":
                return self._update_call(account_sid, found.group(1), form, path)
            if method in ("GET", "HEAD"):
                return self._fetch_call(account_sid, found.group(1), path)
        return _not_found(path)

    def _authenticated(self, account_sid: str, credentials: tuple[str, str] | None) -> bool:
        if credentials is None:
            return False
        username, password = credentials
        expected = self.accounts.get(username)
        return (
            expected is not None
            and username == account_sid
            and hmac.compare_digest(password.encode("utf-8"), expected.encode("utf-8"))
        )

    def _validate_message(self, form: dict[str, str]) -> _Response | None:
        to = form.get("To", "").strip()
        from_ = form.get("From", "").strip()
        service = form.get("MessagingServiceSid", "").strip()
        body = form.get("Body", "")
        has_content = bool(form.get("MediaUrl") or form.get("ContentSid"))
        callback = form.get("StatusCallback", "").strip()

        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            return _error(400, 21603, "A 'From' phone number is required.")
        if from_:
            if from_ == "+15005550001":
                return _error(
                    400,
                    21212,
                    f"The 'From' number {from_} is not a valid phone number, shortcode, "
                    "or alphanumeric sender ID.",
                )
            if from_ == "+15005550008":
                return _error(
                    400,
                    21611,
                    "This 'From' number has exceeded the maximum number of queued messages",
                )
            if from_ == "+15005550007" or (from_ != VALID_TEST_FROM and self.strict_from):
                return _error(
                    400,
                    21606,
                    f"The From phone number {from_} is not a valid, SMS-capable inbound phone "
                    "number or short code for your account.",
                )
        elif not _MESSAGING_SERVICE_SID.fullmatch(service):
            return _error(400, 21701, f"The Messaging Service Sid {service} is invalid.")
        sender = from_ or SERVICE_SENDER
        if to == "+15005550001" or not _E164.fullmatch(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to == "+15005550002":
            return _error(
                400,
                21612,
                f"The 'To' phone number: {to}, is not currently reachable using the 'From' "
                f"phone number: {sender} via SMS.",
            )
        if to == "+15005550003":
            return _error(
                400,
                21408,
                "Permission to send an SMS has not been enabled for the region indicated by "
                f"the 'To' number: {to}.",
            )
        if to == "+15005550004":
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        if to == "+15005550009":
            return _error(400, 21614, f"'To' number {to} is not a valid mobile number")
        if to == from_:
            return _error(400, 21266, f"'To' and 'From' number cannot be the same: {to}")
        if not body and not has_content:
            return _error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY_CHARS:
            return _error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if callback and not _valid_callback_url(callback):
            return _error(400, 21609, f"The StatusCallback URL {callback} is not a valid URL.")
        return None

    def _create_message(self, account_sid: str, form: dict[str, str]) -> _Response:
        if self.response_delay:
            time.sleep(self.response_delay)  # on this request's own thread
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            code, text = _FAILURE_TEXTS.get(failure, (20000 + failure, _reason(failure)))
            return _error(failure, code, text)
        invalid = self._validate_message(form)
        if invalid is not None:
            return invalid

        sid = _sid("SM")
        now = _now_rfc2822()
        to = form["To"].strip()
        from_ = form.get("From", "").strip() or None
        service = form.get("MessagingServiceSid", "").strip() or None
        body = form.get("Body", "")
        uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json"
        resource = {
            "account_sid": account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": "1" if form.get("MediaUrl") else "0",
            "num_segments": str(num_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # Twilio answers "accepted" when a Messaging Service still has to pick a sender.
            "status": "queued" if from_ else "accepted",
            "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
            "to": to,
            "uri": uri,
        }
        with self._lock:
            final = self._final_statuses.get(to, ("delivered", None))
            self.messages[sid] = resource
            snapshot = dict(resource)
            if self.callbacks:
                if final[0] == "failed" or final[0] == "sent":
                    steps = [final]
                else:
                    steps = [("sent", None), final]
                self._lifecycles[sid] = _Lifecycle(
                    account_sid=account_sid,
                    callback_url=form.get("StatusCallback", "").strip(),
                    steps=steps,
                    generation=self._generation,
                )
        if self.verbose:
            sys.stderr.write(f"twilio-emulator: message {sid} to {_mask(to)} created\n")
        with self._lock:
            late = self._late_answers.popleft() if self._late_answers else 0.0
        if late:
            time.sleep(late)  # created; the answer comes too late for a short client timeout
        after = (lambda: self._schedule_step(sid)) if self.callbacks else None
        return _Response(201, snapshot, after=after)

    def _list_messages(self, account_sid: str, path: str, query: dict[str, str]) -> _Response:
        """Twilio's Messages list: newest first, filtered by To and From, in pages
        (PageSize, default 50, at most 1000; Page from 0)."""
        try:
            size = min(max(int(query.get("PageSize", "50")), 1), 1000)
            number = max(int(query.get("Page", "0")), 0)
        except ValueError:
            return _error(400, 20001, "Invalid paging parameters")
        with self._lock:
            found = [
                dict(m)
                for m in self.messages.values()
                if m["account_sid"] == account_sid
                and ("To" not in query or m["to"] == query["To"])
                and ("From" not in query or m["from"] == query["From"])
            ]
        found.reverse()  # dicts keep creation order: newest first, as Twilio lists them
        page = found[number * size : (number + 1) * size]
        filters = "".join(f"&{k}={quote(query[k])}" for k in ("To", "From") if k in query)
        more = (number + 1) * size < len(found)
        payload = {
            "messages": page,
            "page": number,
            "page_size": size,
            "start": number * size,
            "end": number * size + len(page) - 1 if page else number * size,
            "uri": f"{path}?PageSize={size}&Page={number}{filters}",
            "first_page_uri": f"{path}?PageSize={size}&Page=0{filters}",
            "previous_page_uri": (
                f"{path}?PageSize={size}&Page={number - 1}{filters}" if number else None
            ),
            "next_page_uri": f"{path}?PageSize={size}&Page={number + 1}{filters}" if more else None,
        }
        return _Response(200, payload)

    def _fetch_message(self, account_sid: str, sid: str, path: str) -> _Response:
        with self._lock:
            resource = self.messages.get(sid)
            if resource is None or resource["account_sid"] != account_sid:
                return _not_found(path)
            return _Response(200, dict(resource))

    @staticmethod
    def _new_call(sid: str, account_sid: str, to: str | None, from_: str | None) -> dict:
        now = _now_rfc2822()
        uri = f"/{API_VERSION}/Accounts/{account_sid}/Calls/{sid}.json"
        base = uri.removesuffix(".json")
        return {
            "account_sid": account_sid,
            "annotation": None,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": now,
            "date_updated": now,
            "direction": "inbound",
            "duration": None,
            "end_time": None,
            "forwarded_from": None,
            "from": from_,
            "from_formatted": from_,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": sid,
            "start_time": now,
            "status": "in-progress",
            "subresource_uris": {
                "events": f"{base}/Events.json",
                "notifications": f"{base}/Notifications.json",
                "recordings": f"{base}/Recordings.json",
                "streams": f"{base}/Streams.json",
            },
            "to": to,
            "to_formatted": to,
            "trunk_sid": None,
            "uri": uri,
            # Emulator bookkeeping, not part of Twilio's resource:
            "twiml": None,
            "url": None,
            "updates": [],
        }

    @staticmethod
    def _call_resource(call: dict) -> dict:
        return {k: v for k, v in call.items() if k not in ("twiml", "url", "updates")}

    def _create_call(self, account_sid: str, form: dict[str, str]) -> _Response:
        to = form.get("To", "").strip()
        from_ = form.get("From", "").strip()
        url = form.get("Url", "").strip()
        if not to:
            return _error(400, 21201, "No 'To' number is specified")
        if not from_:
            return _error(400, 21213, "No 'From' number is specified")
        if not (url or form.get("Twiml") or form.get("ApplicationSid")):
            return _error(400, 21205, "Url parameter is required.")
        if url and not _valid_callback_url(url):
            return _error(400, 21205, f"Url is not a valid URL: {url}")
        if not _CALL_ADDRESS.fullmatch(to):
            return _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not _CALL_ADDRESS.fullmatch(from_):
            return _error(400, 21212, f"Invalid 'From' Phone Number: {from_}")
        # Twilio answers "queued" and the call rings first; here it is answered at once.
        sid = _sid("CA")
        with self._lock:
            call = self.calls[sid] = self._new_call(sid, account_sid, to, from_)
            call["direction"] = "outbound-api"
            call["twiml"] = form.get("Twiml") or None
            call["url"] = url or None
            snapshot = self._call_resource(call)
        if self.verbose:
            sys.stderr.write(f"twilio-emulator: call {sid} to {_mask(to)} created\n")
        return _Response(201, snapshot)

    def _update_call(self, account_sid: str, sid: str, form: dict[str, str], path) -> _Response:
        with self._lock:
            call = self.calls.get(sid)
            if call is None or call["account_sid"] != account_sid:
                return _not_found(path)
            failure = self._call_failures.popleft() if self._call_failures else None
            if failure is not None:
                code, text = _FAILURE_TEXTS.get(failure, (20000 + failure, _reason(failure)))
                return _error(failure, code, text)
            redirect = bool(form.get("Twiml") or form.get("Url"))
            if redirect and call["status"] != "in-progress":
                return _error(400, 21220, "Call is not in-progress. Cannot redirect.")
            now = _now_rfc2822()
            call["updates"].append(dict(form))
            call["date_updated"] = now
            if form.get("Twiml"):
                call["twiml"] = form["Twiml"]
                self._dial(call, form["Twiml"])
            if form.get("Url"):
                call["url"] = form["Url"]
            requested = form.get("Status", "").strip().lower()
            if requested in ("completed", "canceled") and call["status"] == "in-progress":
                call["status"] = requested
                call["end_time"] = now
                call["duration"] = "0"
            return _Response(200, self._call_resource(call))

    def set_dial_outcome(self, number: str, status: str, duration: int = ANSWERED_SECONDS):
        """What a <Dial> to ``number`` reports: busy, no-answer, failed, canceled, completed."""
        with self._lock:
            self.dial_outcomes[number] = (status, duration)

    def _dial(self, call: dict, twiml: str) -> None:
        """Dial the first <Dial>/<Refer> with an action in ``twiml`` (under the lock)."""
        match = re.search(r"<(Dial|Refer)\b([^>]*)>(.*?)</\1>", twiml, re.S)
        action = re.search(r'action="([^"]+)"', match.group(2)) if match else None
        scheduler = self._scheduler
        if not action or scheduler is None:
            return
        verb, url = match.group(1), action.group(1).replace("&amp;", "&")
        target = _DIAL_TARGET.search(match.group(3))
        number = target.group(1) if target else ""
        status, duration = self.dial_outcomes.get(number, ("completed", ANSWERED_SECONDS))
        whisper = re.search(r'<Number\b[^>]*\burl="([^"]+)"', match.group(3))
        whisper_url = whisper.group(1).replace("&amp;", "&") if whisper else ""
        declined = status == "declined"
        if declined:
            # The person answering declines at the whisper; Twilio reports the dial as
            # completed (the app knows it was declined from the whisper's answer).
            status, duration = "completed", 0
        prefix = "Dial" if verb == "Dial" else "Refer"
        params = {
            "AccountSid": call["account_sid"],
            "ApiVersion": API_VERSION,
            "CallSid": call["sid"],
            "CallStatus": "in-progress",
            f"{prefix}CallStatus": status,
        }
        if verb == "Dial":
            params["DialCallSid"] = _sid("CA")
            params["DialCallDuration"] = str(duration if status == "completed" else 0)
        token = self.accounts.get(call["account_sid"], "")
        generation = self._generation
        scheduler.call_later(
            self.callback_delay,
            lambda: scheduler.submit(
                lambda: self._post_dial(
                    call["sid"], url, params, token, generation, whisper_url, declined
                )
            ),
        )

    def _whisper(self, url: str, params: dict, token: str, declined: bool) -> None:
        """Play a <Number url> whisper as the person answering would: fetch its TwiML, then
        press 1 to accept (2 to decline) at its <Gather>'s action."""
        whisper_params = {k: params[k] for k in ("AccountSid", "ApiVersion", "CallSid")}
        body: list[str] = []
        signature = RequestValidator(token).compute_signature(url, whisper_params)
        status, _ = _post_form(url, whisper_params, signature, self.callback_timeout, body)
        gather = re.search(r'<Gather\b[^>]*\baction="([^"]+)"', body[0] if body else "")
        record = {"url": url, "http_status": status, "answer": body[0] if body else ""}
        if gather:
            action = gather.group(1).replace("&amp;", "&")
            pressed = {**whisper_params, "Digits": "2" if declined else "1"}
            signature = RequestValidator(token).compute_signature(action, pressed)
            record["pressed"] = pressed["Digits"]
            record["gather_status"], _ = _post_form(
                action, pressed, signature, self.callback_timeout
            )
        with self._changed:
            self.whispers.append(record)

    def _post_dial(
        self, call_sid, url, params, token, generation, whisper_url="", declined=False
    ) -> None:
        """POST one signed action callback; continue the call with the TwiML answered."""
        if whisper_url:
            self._whisper(whisper_url, params, token, declined)
        signature = RequestValidator(token).compute_signature(url, params)
        body: list[str] = []
        http_status, error = _post_form(url, params, signature, self.callback_timeout, body)
        answer = body[0] if body else ""
        with self._changed:
            if generation != self._generation:
                return
            self.dial_callbacks.append(
                {"url": url, "params": params, "http_status": http_status, "error": error,
                 "answer": answer, "time": time.time()}
            )  # fmt: skip
            call = self.calls.get(call_sid)
            if call is not None and http_status == 200:
                call["updates"].append({"ActionAnswer": answer})
                if "<Hangup" in answer and call["status"] == "in-progress":
                    call["status"] = "completed"
                    call["end_time"] = _now_rfc2822()
                elif call["status"] == "in-progress":
                    self._dial(call, answer)
            self._changed.notify_all()

    def wait_for_dial_callbacks(self, count: int, timeout: float = 10) -> list[dict]:
        """Block until ``count`` action callbacks have been posted; a copy of them."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.dial_callbacks) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} dial callbacks, got {len(self.dial_callbacks)}"
                )
            return list(self.dial_callbacks)

    def _fetch_call(self, account_sid: str, sid: str, path: str) -> _Response:
        with self._lock:
            call = self.calls.get(sid)
            if call is None or call["account_sid"] != account_sid:
                return _not_found(path)
            return _Response(200, self._call_resource(call))

    # -- message lifecycle and status callbacks ----------------------------------------------

    def _schedule_step(self, sid: str) -> None:
        scheduler = self._scheduler
        if scheduler is not None:
            scheduler.call_later(self.callback_delay, lambda: self._advance(sid))

    def _advance(self, sid: str) -> None:
        """Move a message to its next status (on the scheduler thread: never blocks)."""
        with self._lock:
            lifecycle = self._lifecycles.get(sid)
            message = self.messages.get(sid)
            if lifecycle is None or message is None or lifecycle.generation != self._generation:
                return
            status, error_code = lifecycle.steps.pop(0)
            now = _now_rfc2822()
            message["status"] = status
            message["date_updated"] = now
            if status != "failed" and message["date_sent"] is None:
                message["date_sent"] = now
            if message["from"] is None:
                message["from"] = SERVICE_SENDER  # the service picked its sender
            if error_code is not None:
                message["error_code"] = error_code
                message["error_message"] = _DELIVERY_ERRORS.get(error_code)
            more = bool(lifecycle.steps)
            if not more:
                del self._lifecycles[sid]
            url = lifecycle.callback_url
            if url:
                params = {
                    "AccountSid": lifecycle.account_sid,
                    "ApiVersion": API_VERSION,
                    "From": message["from"],
                    "MessageSid": sid,
                    "MessageStatus": status,
                    "SmsSid": sid,
                    "SmsStatus": status,
                    "To": message["to"],
                }
                if message["messaging_service_sid"]:
                    params["MessagingServiceSid"] = message["messaging_service_sid"]
                if error_code is not None:
                    params["ErrorCode"] = str(error_code)
                token = self.accounts.get(lifecycle.account_sid, "")
                generation = lifecycle.generation

        if not url:
            if more:
                self._schedule_step(sid)
            return
        scheduler = self._scheduler
        if scheduler is not None:
            # The next step is scheduled only once this callback has been answered, so the
            # app always sees a message's callbacks in order.
            scheduler.submit(lambda: self._post_callback(sid, url, params, token, generation, more))

    def _post_callback(self, sid, url, params, token, generation, more) -> None:
        """POST one signed status callback and record it (on the pool: may block)."""
        signature = RequestValidator(token).compute_signature(url, params)
        http_status, error = _post_form(url, params, signature, self.callback_timeout)
        record = {
            "url": url,
            "params": params,
            "signature": signature,
            "http_status": http_status,
            "error": error,
            "message_sid": sid,
            "time": time.time(),
        }
        with self._changed:
            if generation != self._generation:
                return
            self.callbacks_sent.append(record)
            self._changed.notify_all()
        if self.verbose:
            host = urlsplit(url).hostname
            outcome = http_status if http_status is not None else error
            status = params["MessageStatus"]
            sys.stderr.write(f"twilio-emulator: callback {sid} {status} -> {host}: {outcome}\n")
        if more:
            self._schedule_step(sid)


class _Stop(Exception):
    """Raised in the main thread by SIGTERM/SIGINT to leave the serving loop."""


def main(argv: list[str] | None = None) -> int:
    """Run the emulator in the foreground until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.twilio_emulator", description="A local Twilio REST API emulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8089, help="TCP port, 0 for any (8089)")
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument("--callback-delay", type=float, default=0.5, help="seconds (0.5)")
    parser.add_argument("--no-callbacks", action="store_true", help="messages stay queued")
    parser.add_argument(
        "--any-from", action="store_true", help="accept any From, not only +15005550006"
    )
    parser.add_argument("--verbose", action="store_true", help="log one line per request")
    args = parser.parse_args(argv)

    emulator = TwilioEmulator(
        {args.account_sid: args.auth_token},
        callbacks=not args.no_callbacks,
        callback_delay=args.callback_delay,
        strict_from=not args.any_from,
        host=args.host,
        port=args.port,
        verbose=args.verbose,
    )
    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        if not stopping:  # a second signal while stopping is ignored
            stopping = True
            raise _Stop

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        emulator.start()
        print(emulator.base_url, flush=True)
        sys.stderr.write(
            f"Twilio emulator for account {args.account_sid} at {emulator.base_url}; "
            "Ctrl-C to stop.\n"
        )
        sys.stderr.flush()
        while True:
            time.sleep(3600)
    except _Stop:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
