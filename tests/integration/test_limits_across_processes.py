"""The API's limits hold across web processes: two gunicorn servers, one Redis, one count.

Requests alternate between the servers; whichever of them gets the request past the limit
answers 429.
"""

import http.client
import json
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

from actions.models import Agent, ApiKey, Message
from tests.conftest import ROOT, free_port, subprocess_env
from tests.factories import make_action, make_channel

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LIMIT = 6


class Server:
    """`gunicorn builder.wsgi`, one worker process, on the test database and Redis."""

    def __init__(self, env: dict[str, str], *options: str):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="sb-web-", suffix=".log", delete=False)
        argv = [sys.executable, "-m", "gunicorn", "builder.wsgi", "-b", f"127.0.0.1:{self.port}"]
        argv += ["--workers", "1", "--threads", "2", "--worker-class", "gthread", *options]
        self.process = subprocess.Popen(  # noqa: S603
            argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer:\n{self.output()}")

    def get(self, path: str, key: str = ""):
        """(status, Retry-After, body) of a GET with `key` as the Bearer token."""
        return self.call("GET", path, key)

    def post(self, path: str, key: str, body: dict):
        """(status, Retry-After, body) of a JSON POST with `key` as the Bearer token."""
        return self.call("POST", path, key, body)

    def call(self, method: str, path: str, key: str, body: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            payload = None
            if body is not None:
                headers["Content-Type"] = "application/json"
                payload = json.dumps(body)
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("Retry-After"), json.loads(response.read())
        finally:
            connection.close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self):
        self.process.terminate()
        self.process.wait(20)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def server_env():
    """The suite's Redis under a prefix of this test's own, so that no other test's count (the
    suite's requests all come from 127.0.0.1) reaches into it."""
    return subprocess_env(
        RATE_LIMIT_PREFIX=f"limits-{uuid.uuid4().hex[:8]}",
        API_FAILED_KEYS_PER_MINUTE=str(LIMIT),
    )


@pytest.fixture
def servers():
    """Two servers on the suite's Redis and database."""
    env = server_env()
    started = []
    try:
        started.append(Server(env))
        started.append(Server(env))
        yield started
    finally:
        for server in started:
            server.stop()


def test_requests_with_one_key_are_counted_once_across_two_web_processes(servers):
    agent = Agent.objects.create(name="busy_bot", requests_per_minute=LIMIT)
    key = ApiKey.issue(agent, "sandbox")[1]
    answers = [servers[i % 2].get("/api/v1/ping", key) for i in range(LIMIT + 2)]
    assert [status for status, _, _ in answers] == [200] * LIMIT + [429, 429]
    for _, retry_after, body in answers[LIMIT:]:  # one answer from each server
        assert body["error"]["code"] == "rate_limited"
        assert 1 <= int(retry_after) <= 60


def test_wrong_keys_from_one_address_are_counted_once_across_two_web_processes(servers):
    agent = Agent.objects.create(name="busy_bot")
    key = ApiKey.issue(agent, "sandbox")[1]
    wrong = [servers[i % 2].get("/api/v1/ping", f"sb_sandbox_wrong{i}") for i in range(LIMIT)]
    assert [status for status, _, _ in wrong] == [401] * LIMIT
    # Past the limit the address is refused on both servers, even with the right key.
    for server in servers:
        status, retry_after, body = server.get("/api/v1/ping", key)
        assert status == 429
        assert body["error"]["code"] == "rate_limited"
        assert 1 <= int(retry_after) <= 60


def invoke_body(number: str, conversation: str, reference: str) -> dict:
    return {
        "conversation_id": conversation,
        "contact": {"phone_number": number},
        "parameters": {"booking_reference": reference},
    }


INVOKE = "/api/v1/actions/send_booking_confirmation/invoke"


def test_texts_to_one_recipient_are_counted_once_across_two_web_processes(servers):
    agent = Agent.objects.create(name="booking_bot", texts_per_recipient_per_day=3)
    agent.actions.add(make_action(make_channel()))
    key = ApiKey.issue(agent, "sandbox")[1]
    # A new conversation each time, so that only the per-recipient count can refuse.
    answers = [
        servers[i % 2].post(INVOKE, key, invoke_body("+15551234567", f"CA-{i}", f"R{i}"))
        for i in range(5)
    ]
    assert [status for status, _, _ in answers] == [202, 202, 202, 422, 422]
    for _, _, body in answers[3:]:  # one refusal from each server
        assert body["error"]["code"] == "recipient_limit_reached"
        assert body["error"]["say"].startswith("Tell the caller you cannot send more text")
    assert Message.objects.count() == 3
    # Another number is not held back by this one's count.
    status, _, _ = servers[1].post(INVOKE, key, invoke_body("+15557654321", "CA-9", "R9"))
    assert status == 202


def test_texts_in_one_conversation_are_counted_once_across_two_web_processes(servers):
    agent = Agent.objects.create(name="booking_bot", texts_per_conversation=2)
    agent.actions.add(make_action(make_channel()))
    key = ApiKey.issue(agent, "sandbox")[1]
    answers = [
        servers[i % 2].post(INVOKE, key, invoke_body(f"+1555123456{i}", "CA-1", f"R{i}"))
        for i in range(4)
    ]
    assert [status for status, _, _ in answers] == [202, 202, 422, 422]
    assert {body["error"]["code"] for _, _, body in answers[2:]} == {"conversation_limit_reached"}
    assert Message.objects.count() == 2


def login(server: Server, username: str, password: str) -> requests.Response:
    """A browser's login on `server`: the page for its CSRF cookie, then the form."""
    browser = requests.Session()
    page = browser.get(server.url("/login/"), timeout=30)
    assert page.status_code == 200
    return browser.post(
        server.url("/login/"),
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        headers={"Referer": server.url("/login/")},
        allow_redirects=False,
        timeout=30,
    )


def test_wrong_passwords_are_counted_once_across_two_web_processes(servers, django_user_model):
    django_user_model.objects.create_user("dana", password="right horse battery staple")
    failures = [login(servers[i % 2], "dana", f"wrong-{i}").status_code for i in range(5)]
    assert failures == [200] * 4 + [
        429
    ]  # the login page again, then locked out (LOGIN_FAILURE_LIMIT 5)
    # The right password is refused on both servers until the cool-off has passed.
    for server in servers:
        answer = login(server, "dana", "right horse battery staple")
        assert answer.status_code == 429
        assert "Too many failed logins" in answer.text
        assert int(answer.headers["Retry-After"]) > 0


def proxied_get(port: int, client_address: str, key: str) -> int:
    """The status of a GET /api/v1/ping that a proxy forwards for `client_address`, saying so
    with the PROXY protocol (v1), as HAProxy's send-proxy or a cloud load balancer does."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(
            f"PROXY TCP4 {client_address} 127.0.0.1 40000 {port}\r\n"
            f"GET /api/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {key}\r\nConnection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_behind_a_proxy_speaking_the_proxy_protocol_each_client_is_counted_apart():
    # docs/operations.md: gunicorn --proxy-protocol makes REMOTE_ADDR the client's.
    server = Server(server_env(), "--proxy-protocol", "v1", "--proxy-allow-from", "127.0.0.1")
    try:
        wrong = [proxied_get(server.port, "203.0.113.9", "sb_sandbox_wrong") for _ in range(LIMIT)]
        assert wrong == [401] * LIMIT
        assert proxied_get(server.port, "203.0.113.9", "sb_sandbox_wrong") == 429
        assert proxied_get(server.port, "203.0.113.10", "sb_sandbox_wrong") == 401
    finally:
        server.stop()
