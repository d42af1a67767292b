"""`manage.py serve`: web, worker and (when REDIS_URL is unset) an embedded Redis, together.

This is what `make run` runs. Output of every process is prefixed with its name; Ctrl-C or
SIGTERM stops them all: web and worker first, the broker last.
"""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from actions.ops import embedded_redis

COLOURS = {"redis": "31", "web": "32", "worker": "36"}
STOP_TIMEOUT = 15


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and, without REDIS_URL, an embedded Redis."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--noreload", action="store_true", help="no autoreload of the web")

    def handle(self, *args, **options):
        self.lock = threading.Lock()
        self.colour = sys.stdout.isatty()
        self.stopping = threading.Event()
        self.pumps: list[threading.Thread] = []
        processes: dict[str, subprocess.Popen] = {}
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "REDIS_URL": settings.REDIS_URL}

        def on_signal(signum, frame):
            self.stopping.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)

        if settings.EMBEDDED_REDIS:
            socket_path = Path(settings.REDIS_URL.removeprefix("unix://"))
            self.say("redis", f"starting the embedded Redis on {socket_path}")
            processes["redis"] = embedded_redis.start(socket_path, settings.VAR_DIR / "redis")
            self.pump("redis", processes["redis"])

        manage = str(Path(settings.BASE_DIR) / "manage.py")
        web = [sys.executable, manage, "runserver", f"{options['host']}:{options['port']}"]
        if options["noreload"]:
            web.append("--noreload")
        worker = [sys.executable, "-m", "celery", "-A", "builder", "worker"]
        worker += ["--loglevel=INFO", "--concurrency=1", "--without-gossip", "--without-mingle"]
        # Celery beat inside the worker: fine for one development worker, never for several.
        worker += ["--beat", f"--schedule={settings.VAR_DIR / 'celerybeat-schedule'}"]
        for name, argv in (("worker", worker), ("web", web)):
            processes[name] = subprocess.Popen(  # noqa: S603
                argv,
                env=env,
                cwd=settings.BASE_DIR,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
            self.pump(name, processes[name])

        exited = None
        while not self.stopping.wait(0.5):
            exited = next((n for n, p in processes.items() if p.poll() is not None), None)
            if exited:
                self.say(exited, f"exited with code {processes[exited].returncode}; stopping")
                break
        for group in (("web", "worker"), ("redis",)):
            self.stop([processes[n] for n in group if n in processes])
        for thread in self.pumps:
            thread.join(timeout=2)  # the last lines each process printed
        if exited:
            sys.exit(1)

    def stop(self, processes):
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def pump(self, name, process):
        def run():
            for line in process.stdout:
                self.say(name, line.rstrip("\n"))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.pumps.append(thread)

    def say(self, name, line):
        prefix = f"{name:<6} |"
        if self.colour:
            prefix = f"\033[{COLOURS.get(name, '0')}m{prefix}\033[0m"
        with self.lock:
            sys.stdout.write(f"{prefix} {line}\n")
            sys.stdout.flush()
