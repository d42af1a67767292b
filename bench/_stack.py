"""What the benchmarks share: settings, services, processes and timing helpers.

Benchmarks run against PostgreSQL and Redis, as production does: DATABASE_URL and
REDIS_URL default to the local services (127.0.0.1:5432/test, 127.0.0.1:6379/0).
"""

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure(name: str) -> dict[str, str]:
    """Set the environment for this process and the ones it starts; set up Django."""
    defaults = {
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "SECRET_KEY": "bench-only-" + "k" * 50,
        "FIELD_ENCRYPTION_KEY": "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleSE=",
        "DEBUG": "0",
        "HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "CELERY_QUEUE": f"bench-{name}-{uuid.uuid4().hex[:8]}",
        "DJANGO_SETTINGS_MODULE": "builder.settings",
        "VAR_DIR": str(ROOT / "var" / "bench"),
        # One key makes every request of a benchmark: its limit is still checked, never met.
        "API_REQUESTS_PER_MINUTE": "1000000",
        # One number, one conversation, thousands of invokes: the text limits would refuse them.
        "TEXTS_PER_RECIPIENT_PER_DAY": "1000000",
        "TEXTS_PER_CONVERSATION": "1000000",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return dict(os.environ)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(  # noqa: S603
        argv,
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)


def drop_queue(queue: str) -> None:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(queue)
    client.close()
