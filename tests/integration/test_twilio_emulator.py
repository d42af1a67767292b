"""The local Twilio emulator, driven by the real `twilio` SDK over real HTTP.

No Django and no database: run with
`python -m pytest -p no:django -p no:cacheprovider tests/integration/test_twilio_emulator.py`.
"""

import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.twilio_emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, TwilioEmulator

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
VALID_FROM = "+15005550006"
RECIPIENT = "+15551230000"


@pytest.fixture
def emu():
    with TwilioEmulator(callback_delay=0.02) as emulator:
        yield emulator


def sdk_client(emulator, auth_token=None):
    client = Client(emulator.account_sid, auth_token or emulator.auth_token)
    client.api.base_url = emulator.base_url
    return client


@pytest.fixture
def twilio(emu):
    return sdk_client(emu)


class Receiver:
    """A tiny status-callback endpoint: records every POST and answers 204."""

    def __init__(self):
        self.received = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.cond:
                    receiver.received.append(
                        {
                            "url": f"http://{self.headers['Host']}{self.path}",
                            "params": dict(parse_qsl(body.decode(), keep_blank_values=True)),
                            "signature": self.headers.get("X-Twilio-Signature"),
                        }
                    )
                    receiver.cond.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/twilio/status?c=1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count, timeout=10):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.received) >= count, timeout), self.received
            return list(self.received)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


def create_error(client, **kwargs) -> TwilioRestException:
    kwargs = {"to": RECIPIENT, "from_": VALID_FROM, "body": "Hello"} | kwargs
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(**kwargs)
    return raised.value


def test_a_successful_create_records_the_form_fields_and_returns_a_queued_message(emu, twilio):
    message = twilio.messages.create(
        to=RECIPIENT,
        from_=VALID_FROM,
        body="Your table is ready",
        status_callback="https://example.invalid/status",
    )

    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert message.status == "queued"
    assert message.to == RECIPIENT
    assert message.from_ == VALID_FROM
    assert message.body == "Your table is ready"
    assert message.account_sid == emu.account_sid
    assert message.num_segments == "1"
    assert message.direction == "outbound-api"
    assert message.api_version == "2010-04-01"
    assert message.date_created is not None and message.date_created.tzinfo is not None
    assert message.error_code is None and message.price is None
    request = emu.requests[-1]
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{emu.account_sid}/Messages.json"
    assert request.account_sid == emu.account_sid
    assert request.status == 201
    assert request.form == {
        "To": RECIPIENT,
        "From": VALID_FROM,
        "Body": "Your table is ready",
        "StatusCallback": "https://example.invalid/status",
    }
    assert emu.messages[message.sid]["body"] == "Your table is ready"


@pytest.mark.parametrize(
    ("to", "code"),
    [
        ("+15005550001", 21211),
        ("+15005550002", 21612),
        ("+15005550003", 21408),
        ("+15005550004", 21610),
        ("+15005550009", 21614),
        ("555-123-0000", 21211),
    ],
)
def test_each_magic_to_number_raises_its_twilio_error(twilio, to, code):
    error = create_error(twilio, to=to)

    assert (error.status, error.code) == (400, code)
    assert error.msg


@pytest.mark.parametrize(
    ("from_", "code"),
    [
        ("+15005550001", 21212),
        ("+15005550007", 21606),
        ("+15005550008", 21611),
        ("+15559998888", 21606),
    ],
)
def test_a_bad_from_number_raises_its_twilio_error(twilio, from_, code):
    error = create_error(twilio, from_=from_)

    assert (error.status, error.code) == (400, code)


def test_any_from_number_is_accepted_when_strict_from_is_off():
    with TwilioEmulator(strict_from=False, callbacks=False) as emulator:
        message = sdk_client(emulator).messages.create(
            to=RECIPIENT, from_="+15559998888", body="Hi"
        )

    assert message.status == "queued"


def test_a_missing_or_too_long_body_is_rejected(twilio):
    assert create_error(twilio, body="").code == 21602
    assert create_error(twilio, body="x" * 1601).code == 21617


def test_a_wrong_auth_token_answers_401_with_code_20003(emu):
    error = create_error(sdk_client(emu, auth_token="f" * 32))

    assert (error.status, error.code) == (401, 20003)
    assert emu.messages == {}


def test_fail_next_makes_two_creates_fail_with_429_and_the_third_succeed(emu, twilio):
    emu.fail_next(2, 429)

    first = create_error(twilio)
    second = create_error(twilio)
    third = twilio.messages.create(to=RECIPIENT, from_=VALID_FROM, body="Third time")

    assert [(first.status, first.code), (second.status, second.code)] == [(429, 20429)] * 2
    assert third.status == "queued"
    assert [r.status for r in emu.requests] == [429, 429, 201]


def test_fail_next_with_503_answers_service_unavailable(emu, twilio):
    emu.fail_next(1, 503)

    error = create_error(twilio)

    assert (error.status, error.code) == (503, 20503)
    assert "Service Unavailable" in error.msg


def test_a_messaging_service_sid_can_be_used_instead_of_from(emu, twilio):
    service_sid = "MG" + "ab" * 16

    message = twilio.messages.create(to=RECIPIENT, messaging_service_sid=service_sid, body="Hi")

    assert message.sid.startswith("SM")
    assert message.status == "accepted"  # as Twilio: the service has yet to pick a sender
    assert message.messaging_service_sid == service_sid
    assert emu.requests[-1].form == {
        "To": RECIPIENT,
        "MessagingServiceSid": service_sid,
        "Body": "Hi",
    }
    assert create_error(twilio, from_=None, messaging_service_sid="MG123").code == 21701


def test_a_created_message_can_be_fetched_and_an_unknown_one_is_404(emu, twilio):
    created = twilio.messages.create(to=RECIPIENT, from_=VALID_FROM, body="Fetch me")

    fetched = twilio.messages(created.sid).fetch()
    with pytest.raises(TwilioRestException) as raised:
        twilio.messages("SM" + "0" * 32).fetch()

    assert fetched.sid == created.sid
    assert fetched.body == "Fetch me"
    assert fetched.status in ("queued", "sent", "delivered")
    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_updating_a_call_with_twiml_records_it_and_completing_it_ends_it(emu, twilio):
    call_sid = emu.add_call(to="+15551112222", from_="+15553334444")
    twiml = "<Response><Say>Goodbye</Say><Hangup/></Response>"

    updated = twilio.calls(call_sid).update(twiml=twiml)
    completed = twilio.calls(call_sid).update(status="completed")

    assert (updated.sid, updated.status, updated.to) == (call_sid, "in-progress", "+15551112222")
    assert completed.status == "completed"
    assert emu.calls[call_sid]["twiml"] == twiml
    assert emu.calls[call_sid]["updates"] == [{"Twiml": twiml}, {"Status": "completed"}]
    with pytest.raises(TwilioRestException) as raised:
        twilio.calls(call_sid).update(url="https://example.invalid/next")
    assert (raised.value.status, raised.value.code) == (400, 21220)


def test_a_call_created_through_the_sdk_is_live_and_each_update_is_recorded(emu, twilio):
    created = twilio.calls.create(
        to="+15005550006",
        from_="sip:alice@pbx.example.com",
        twiml="<Response><Say>Hi</Say></Response>",
    )
    fetched = twilio.calls(created.sid).fetch()
    twilio.calls(created.sid).update(twiml="<Response><Hangup/></Response>")
    twilio.calls(created.sid).update(twiml="<Response><Pause/></Response>")

    assert created.sid.startswith("CA") and len(created.sid) == 34
    assert (created.status, created.to, created._from) == (
        "in-progress",
        "+15005550006",
        "sip:alice@pbx.example.com",
    )
    assert (fetched.sid, fetched.status, fetched._from) == (
        created.sid,
        "in-progress",
        created._from,
    )
    assert emu.calls[created.sid]["updates"] == [
        {"Twiml": "<Response><Hangup/></Response>"},
        {"Twiml": "<Response><Pause/></Response>"},
    ]
    assert emu.calls[created.sid]["twiml"] == "<Response><Pause/></Response>"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"to": "", "from_": "+15005550006", "twiml": "<Response/>"}, 21201),
        ({"to": "+15551112222", "from_": "", "twiml": "<Response/>"}, 21213),
        ({"to": "+15551112222", "from_": "+15005550006"}, 21205),
        ({"to": "+15551112222", "from_": "+15005550006", "url": "not a url"}, 21205),
        ({"to": "twelve", "from_": "+15005550006", "twiml": "<Response/>"}, 21211),
        ({"to": "+15551112222", "from_": "bob", "twiml": "<Response/>"}, 21212),
    ],
)
def test_creating_a_call_without_what_twilio_requires_is_400(emu, twilio, kwargs, code):
    with pytest.raises(TwilioRestException) as raised:
        twilio.calls.create(**kwargs)
    assert (raised.value.status, raised.value.code) == (400, code)
    assert emu.calls == {}


def test_call_updates_can_be_made_to_fail_like_messages(emu, twilio):
    call_sid = emu.add_call(to="+15551112222", from_="+15553334444")
    emu.fail_next(1, 429, resource="Calls")
    with pytest.raises(TwilioRestException) as raised:
        twilio.calls(call_sid).update(twiml="<Response/>")
    twilio.calls(call_sid).update(twiml="<Response/>")
    message = twilio.messages.create(to=RECIPIENT, from_=VALID_FROM, body="Unaffected")

    assert (raised.value.status, raised.value.code) == (429, 20429)
    assert emu.calls[call_sid]["updates"] == [{"Twiml": "<Response/>"}]
    assert message.sid.startswith("SM")
    with pytest.raises(ValueError):
        emu.fail_next(1, resource="Queues")


def test_updating_an_unknown_call_answers_404(emu, twilio):
    for sid in ("CA" + "0" * 32, "CA" + "1" * 32):
        with pytest.raises(TwilioRestException) as raised:
            twilio.calls(sid).update(twiml="<Response/>")
        assert (raised.value.status, raised.value.code) == (404, 20404)
        with pytest.raises(TwilioRestException) as raised:
            twilio.calls(sid).fetch()
        assert (raised.value.status, raised.value.code) == (404, 20404)
    assert emu.calls == {}


def test_status_callbacks_arrive_in_order_with_valid_signatures(emu, twilio, receiver):
    message = twilio.messages.create(
        to=RECIPIENT, from_=VALID_FROM, body="Track me", status_callback=receiver.url
    )

    received = receiver.wait_for(2)
    sent = emu.wait_for_callbacks(2)

    assert [r["params"]["MessageStatus"] for r in received] == ["sent", "delivered"]
    validator = RequestValidator(emu.auth_token)
    for callback in received:
        assert callback["url"] == receiver.url
        assert validator.validate(callback["url"], callback["params"], callback["signature"])
        assert callback["params"]["MessageSid"] == message.sid
        assert callback["params"]["SmsSid"] == message.sid
        assert callback["params"]["SmsStatus"] == callback["params"]["MessageStatus"]
        assert callback["params"]["AccountSid"] == emu.account_sid
        assert callback["params"]["From"] == VALID_FROM
        assert callback["params"]["To"] == RECIPIENT
        assert callback["params"]["ApiVersion"] == "2010-04-01"
        assert "ErrorCode" not in callback["params"]
    assert [c["http_status"] for c in sent] == [204, 204]
    assert [c["signature"] for c in sent] == [r["signature"] for r in received]
    assert twilio.messages(message.sid).fetch().status == "delivered"


def test_set_final_status_ends_with_undelivered_and_error_code_30003(emu, twilio, receiver):
    emu.set_final_status(RECIPIENT, "undelivered", 30003)

    message = twilio.messages.create(
        to=RECIPIENT, from_=VALID_FROM, body="Unlucky", status_callback=receiver.url
    )
    received = receiver.wait_for(2)

    assert [r["params"]["MessageStatus"] for r in received] == ["sent", "undelivered"]
    assert "ErrorCode" not in received[0]["params"]
    assert received[1]["params"]["ErrorCode"] == "30003"
    validator = RequestValidator(emu.auth_token)
    assert validator.validate(receiver.url, received[1]["params"], received[1]["signature"])
    emu.wait_for_callbacks(2)
    fetched = twilio.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)


def test_a_failed_final_status_is_the_only_callback(emu, twilio, receiver):
    emu.set_final_status(RECIPIENT, "failed", 30008)

    twilio.messages.create(to=RECIPIENT, from_=VALID_FROM, body="Hi", status_callback=receiver.url)
    emu.wait_for_callbacks(1)
    time.sleep(0.2)

    assert [
        (r["params"]["MessageStatus"], r["params"]["ErrorCode"]) for r in receiver.received
    ] == [("failed", "30008")]


def test_a_callback_to_an_unreachable_url_is_recorded_and_the_server_keeps_going(emu, twilio):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{probe.getsockname()[1]}/status"
    twilio.messages.create(to=RECIPIENT, from_=VALID_FROM, body="Hi", status_callback=dead_url)

    sent = emu.wait_for_callbacks(2)

    assert [c["http_status"] for c in sent] == [None, None]
    assert all("Connection" in c["error"] or "refused" in c["error"] for c in sent)
    assert twilio.messages.create(to=RECIPIENT, from_=VALID_FROM, body="Still here").sid


def test_the_server_survives_bad_input(emu, twilio):
    messages_url = f"{emu.base_url}/2010-04-01/Accounts/{emu.account_sid}/Messages.json"
    auth = (emu.account_sid, emu.auth_token)

    bad_header = requests.post(messages_url, headers={"Authorization": "Basic !!!"}, timeout=5)
    json_body = requests.post(messages_url, json={"To": RECIPIENT}, auth=auth, timeout=5)
    unknown = requests.get(f"{emu.base_url}/nowhere", timeout=5)
    wrong_account = requests.post(
        messages_url.replace(emu.account_sid, "AC" + "f" * 32), auth=auth, timeout=5
    )
    with socket.create_connection(("127.0.0.1", int(emu.base_url.rsplit(":", 1)[1]))) as raw:
        raw.sendall(b"\x00\xffgarbage\r\n\r\n")
        raw.settimeout(5)
        raw.recv(1024)

    assert (bad_header.status_code, bad_header.json()["code"]) == (401, 20003)
    assert (json_body.status_code, json_body.json()["code"]) == (400, 21604)
    assert unknown.json() == {
        "code": 20404,
        "message": "The requested resource /nowhere was not found",
        "more_info": "https://www.twilio.com/docs/errors/20404",
        "status": 404,
    }
    assert wrong_account.status_code == 401
    assert twilio.messages.create(to=RECIPIENT, from_=VALID_FROM, body="Still fine").sid


def test_reset_forgets_everything(emu, twilio):
    twilio.messages.create(to=RECIPIENT, from_=VALID_FROM, body="Hi")
    emu.fail_next(1)

    emu.reset()

    assert (emu.requests, emu.messages, emu.callbacks_sent) == ([], {}, [])
    assert twilio.messages.create(to=RECIPIENT, from_=VALID_FROM, body="Hi").status == "queued"


def test_the_standalone_process_answers_a_create_and_exits_on_sigterm():
    token = "a" * 32
    account = "AC" + "b" * 32
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.twilio_emulator",
            "--port",
            "0",
            "--account-sid",
            account,
            "--auth-token",
            token,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], 10)
        assert ready, "the emulator printed no base URL within 10 s"
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        client = Client(account, token)
        client.api.base_url = base_url

        message = client.messages.create(to=RECIPIENT, from_=VALID_FROM, body="Standalone")

        assert message.sid.startswith("SM")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read()
    assert "Standalone" not in stderr and RECIPIENT not in stderr


def test_throughput_of_sequential_sdk_creates_is_printed(capsys):
    count = 500
    with TwilioEmulator() as emulator:
        client = sdk_client(emulator)
        started = time.perf_counter()
        for i in range(count):
            client.messages.create(to=RECIPIENT, from_=VALID_FROM, body=f"Message {i}")
        elapsed = time.perf_counter() - started

        assert len(emulator.messages) == count
    with capsys.disabled():
        print(
            f"\ntwilio emulator: {count} sequential SDK creates, {count / elapsed:.0f} requests/s"
        )


def test_the_defaults_are_the_documented_test_account():
    emulator = TwilioEmulator()

    assert (emulator.account_sid, emulator.auth_token) == (DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
    with pytest.raises(RuntimeError):
        emulator.base_url  # noqa: B018
