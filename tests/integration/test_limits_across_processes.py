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

from actions.models import Agent, ApiKey
from tests.conftest import ROOT, free_port, subprocess_env

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
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("Retry-After"), json.loads(response.read())
        finally:
            connection.close()

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
