"""Fixtures shared by the whole suite: Redis, a real Celery worker, a browser.

Nothing here is mocked. Redis is the configured one (REDIS_URL) or an embedded one started
for the session; the worker is a real `celery worker` process on that Redis and on the test
database; the browser is Chromium driven by Playwright.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session", autouse=True)
def redis_url():
    """The Redis of this test session, reachable, and wired into settings and Celery."""
    from django.conf import settings

    if not settings.configured:  # a run with the Django plugin off (pure-Python tests)
        yield None
        return

    import redis

    from actions.ops import embedded_redis
    from builder.celery import app
    from builder.settings import celery_redis_url

    process = tmpdir = None
    if os.environ.get("REDIS_URL"):
        url = os.environ["REDIS_URL"]
    else:
        # A short path: Unix socket paths are limited to ~100 bytes.
        tmpdir = Path(tempfile.mkdtemp(prefix="sb-redis-"))
        process = embedded_redis.start(tmpdir / "redis.sock", tmpdir, persist=False)
        url = f"unix://{tmpdir / 'redis.sock'}"
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    client.ping()  # the configured Redis must be there: fail loudly, never skip
    client.close()

    celery_url = celery_redis_url(url)
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = celery_url
    app.conf.broker_url = app.conf.result_backend = celery_url
    os.environ["REDIS_URL"] = url  # inherited by worker processes
    yield url
    if process:
        process.terminate()
        process.wait(10)
        shutil.rmtree(tmpdir, ignore_errors=True)


def database_url() -> str:
    """The test database as a DATABASE_URL, for processes started by the tests."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{db['HOST'] or 'localhost'}{port}/{db['NAME']}"


def subprocess_env(**extra) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1"}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    env.update(extra)
    return env


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, timeout: float = 30.0) -> bool:
    """Whether `predicate()` became true within `timeout` seconds (polled every 0.05 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


# What every process the suite starts logged, kept for the check below.
PROCESS_LOGS: list[tuple[str, str]] = []
# What no log line may hold: a recipient's number as the tests write them (with or without +)
# and the texts of the tests' messages.
FORBIDDEN_IN_LOGS = re.compile(
    r"\b1?555\d{7}\b|booking is confirmed|Your code is \d|Batch message \d|E2E\d{7}"
    r"|test message from Switchboard"
)


@pytest.fixture(scope="session", autouse=True)
def no_number_or_text_in_any_log():
    """After the whole run: no line that this process or any worker or web process it started
    logged holds a recipient's number or a message's text."""
    import logging

    from actions.ops.logformat import Formatter

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Keep(level=logging.DEBUG)
    handler.setFormatter(Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield
    root.removeHandler(handler)
    found = [f"this process: {line}" for line in lines if FORBIDDEN_IN_LOGS.search(line)]
    for name, output in PROCESS_LOGS:
        found += [
            f"{name}: {line}" for line in output.splitlines() if FORBIDDEN_IN_LOGS.search(line)
        ]
    assert not found, "A log line holds a number or a message text:\n" + "\n".join(found[:10])


class Worker:
    """A `celery worker` process; `output()` is what it logged."""

    def __init__(
        self,
        env: dict[str, str],
        pool: str = "prefork",
        concurrency: int = 1,
        *,
        app=None,
        extra_args: tuple[str, ...] = (),
    ):
        """`app`: the Celery app that pings it (default: the suite's, on the suite's Redis);
        `extra_args`: more `celery worker` options (e.g. --beat)."""
        from builder.celery import app as suite_app

        self.app = app or suite_app
        self.name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.log = tempfile.NamedTemporaryFile(prefix="sb-worker-", suffix=".log", delete=False)
        argv = [sys.executable, "-m", "celery", "-A", "builder", "worker", "-n", self.name]
        argv += [f"--pool={pool}", f"--concurrency={concurrency}", "--loglevel=INFO"]
        argv += ["--without-gossip", "--without-mingle", *extra_args]
        # A session of its own, so that kill() can take its pool processes down with it.
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready()

    def kill(self):
        """SIGKILL the worker and its pool processes: no warm shutdown, no acknowledgements."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def wait_ready(self, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited at start:\n{self.output()}")
            try:
                if self.app.control.ping(destination=[self.name], timeout=0.5):
                    return
            except Exception:  # the broker is not there (yet): the worker waits for it too
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the worker did not answer within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        PROCESS_LOGS.append((self.name, self.output()))
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def twilio_emulator():
    """The local Twilio emulator (tests/twilio_emulator.py), for the whole session."""
    from tests.twilio_emulator import TwilioEmulator

    with TwilioEmulator() as emulator:
        yield emulator


@pytest.fixture
def twilio(twilio_emulator, settings):
    """The emulator, reset for this test, with the web process pointed at it."""
    twilio_emulator.reset()
    settings.TWILIO_API_BASE_URL = twilio_emulator.base_url
    return twilio_emulator


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker, redis_url, live_server, twilio_emulator):
    """A real Celery worker process for the tests of one module, on Redis and the test DB.

    Its Twilio calls go to the emulator and its status-callback URLs to the live server,
    whose address becomes PUBLIC_BASE_URL for the module (so webhook signatures check out).
    Retries back off in tens of milliseconds instead of seconds.
    Module-scoped: started once per module that asks for it, and stopped at the module's end,
    so tests elsewhere can rely on there being no worker.
    """
    from django.conf import settings

    with django_db_blocker.unblock():
        env = subprocess_env(
            PUBLIC_BASE_URL=live_server.url,
            TWILIO_API_BASE_URL=twilio_emulator.base_url,
            SEND_RETRY_BASE_SECONDS="0.02",
        )
    previous = settings.PUBLIC_BASE_URL
    settings.PUBLIC_BASE_URL = live_server.url
    worker = Worker(env)
    yield worker
    worker.stop()
    settings.PUBLIC_BASE_URL = previous


# --- Browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        executable = CHROMIUM if Path(CHROMIUM).exists() else None
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


ARTIFACTS = ROOT / "var" / "test-artifacts"


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser tab on the live server; a screenshot is kept when the test fails."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.console_errors = errors
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def admin_user(django_user_model):
    user = django_user_model.objects.create_superuser(
        username="admin", password="correct horse battery staple"
    )
    from actions.accounts import roles

    roles.set_role(user, roles.ADMIN)
    return user


@pytest.fixture
def user_in_role(django_user_model):
    """make(role, username=…) -> a user holding only that role (not a superuser)."""

    from actions.accounts import roles

    def make(role: str, username: str = ""):
        user = django_user_model.objects.create_user(
            username=username or role.lower(), password="correct horse battery staple"
        )
        roles.set_role(user, role)
        return user

    return make


@pytest.fixture
def reviewer_user(user_in_role):
    return user_in_role("Reviewer")


@pytest.fixture
def builder_user(user_in_role):
    return user_in_role("Builder")


def log_in(page, user, live_server, client):
    """Log the browser tab in as `user`, through the real session cookie."""
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    return page


@pytest.fixture
def admin_page(page, admin_user, live_server, client):
    """A browser tab logged in as an admin."""
    return log_in(page, admin_user, live_server, client)


@pytest.fixture
def reviewer_page(page, admin_user, reviewer_user, live_server, client):
    """A browser tab logged in as a reviewer (an admin exists, as on any real deployment)."""
    return log_in(page, reviewer_user, live_server, client)
