"""The action invoke endpoint against a trivial authenticated JSON view, side by side.

Both run on the same gunicorn, PostgreSQL and Redis, in one run:

- throughput: closed-loop clients for a few seconds per round, rounds alternating between
  GET /api/v1/ping (authenticate, answer JSON) and POST /api/v1/actions/<name>/invoke
  (authenticate, validate, render, write the message and its event, queue the task);
- latency: invoke at a fixed 100 requests/s (open loop), p50 and p99.

Targets (DESIGN §7): invoke throughput >= 0.5 x ping; p99 < 50 ms at 100 requests/s.
Usage: .venv/bin/python bench/api_bench.py [--seconds 5] [--clients 8] [--workers 4]
Exit status 1 when a target is missed.
"""

import argparse
import http.client
import json
import sys
import threading
import time

import _stack

BODY = json.dumps(
    {
        "conversation_id": "CA-bench",
        "contact": {"phone_number": "+15551234567"},
        "parameters": {"booking_reference": "ABC123"},
    }
)


def make_agent() -> str:
    from actions.models import Agent, ApiKey, MessagingChannel, SendTextAction

    channel, _ = MessagingChannel.objects.get_or_create(
        name="bench_channel", defaults={"provider": "console", "sender": "+15005550006"}
    )
    action, _ = SendTextAction.objects.get_or_create(
        name="bench_booking_confirmation",
        defaults={
            "description": "Sends a booking confirmation SMS to the caller.",
            "channel": channel,
            "parameters_schema": {
                "type": "object",
                "properties": {
                    "booking_reference": {
                        "type": "string",
                        "description": "The booking reference number",
                    }
                },
                "required": ["booking_reference"],
            },
            "message_template": "Hi, your booking is confirmed! Reference: "
            "{{ .parameters.booking_reference }}. Reply to this message if you need to make "
            "changes.",
        },
    )
    agent, _ = Agent.objects.get_or_create(name="bench_agent")
    agent.actions.add(action)
    return ApiKey.issue(agent, "sandbox")[1]


class Client:
    def __init__(self, port: int, key: str):
        self.port = port
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def request(self, kind: str) -> tuple[int, float]:
        # gunicorn's sync workers close each connection, so each request connects anew.
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        started = time.perf_counter()
        if kind == "ping":
            connection.request("GET", "/api/v1/ping", headers=self.headers)
        else:
            connection.request(
                "POST",
                "/api/v1/actions/bench_booking_confirmation/invoke",
                body=BODY,
                headers=self.headers,
            )
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        return response.status, elapsed


def throughput(client: Client, kind: str, seconds: float, clients: int) -> float:
    done = [0] * clients
    errors: list[int] = []
    deadline = time.perf_counter() + seconds

    def loop(i):
        while time.perf_counter() < deadline:
            status, _ = client.request(kind)
            if status not in (200, 202):
                errors.append(status)
            done[i] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{kind}: {len(errors)} requests failed, e.g. HTTP {errors[0]}")
    return sum(done) / (time.perf_counter() - started)


def fixed_rate(client: Client, rate: float, seconds: float) -> list[float]:
    """Open loop: a request is started every 1/rate s, whatever the earlier ones are doing."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()

    def one():
        status, elapsed = client.request("invoke")
        with lock:
            latencies.append(elapsed)
            if status != 202:
                failures.append(status)

    threads = []
    started = time.perf_counter()
    for n in range(int(rate * seconds)):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=one)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} invokes failed at the fixed rate")
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="threads per gunicorn worker (gthread, as README.md deploys it); 0: sync workers",
    )
    args = parser.parse_args()

    env = _stack.configure("api")
    from django.conf import settings

    key = make_agent()
    port = _stack.free_port()
    log = _stack.ROOT / "var" / "bench" / "gunicorn.log"
    threads = ["--worker-class", "gthread", "--threads", str(args.threads)] if args.threads else []
    server = _stack.start(
        [
            sys.executable, "-m", "gunicorn", "builder.wsgi",
            "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
            "--log-level", "warning", *threads,
        ],
        env,
        log,
    )  # fmt: skip
    try:
        _stack.wait_for_port(port)
        client = Client(port, key)
        for kind in ("ping", "invoke"):
            throughput(client, kind, 1, args.clients)  # warm up
        results = {"ping": [], "invoke": []}
        for _ in range(args.rounds):
            for kind in ("ping", "invoke"):
                results[kind].append(throughput(client, kind, args.seconds, args.clients))
        ping = _stack.median(results["ping"])
        invoke = _stack.median(results["invoke"])
        latencies = fixed_rate(client, 100, max(args.seconds * 2, 10))
    finally:
        _stack.stop(server)
        _stack.drop_queue(settings.CELERY_TASK_DEFAULT_QUEUE)

    ratio = invoke / ping
    p50 = _stack.percentile(latencies, 50) * 1000
    p99 = _stack.percentile(latencies, 99) * 1000
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    workers = f"{args.workers} x {args.threads} threads" if args.threads else f"{args.workers} sync"
    print(f"database: {engine}; gunicorn workers: {workers}; clients: {args.clients}")
    print(f"ping (trivial authenticated JSON view): {ping:8.1f} requests/s")
    print(f"invoke:                                 {invoke:8.1f} requests/s")
    print(f"ratio invoke/ping: {ratio:.2f} (target >= 0.5)")
    print(f"invoke at 100 requests/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p99 < 50 ms)")
    return 0 if ratio >= 0.5 and p99 < 50 else 1


if __name__ == "__main__":
    sys.exit(main())
