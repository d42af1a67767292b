"""End to end: from the invoke's answer to the provider receiving the message, at 100 requests/s.

One run: gunicorn (2 processes x 4 threads, as production runs it), one Celery worker (thread
pool, 4), PostgreSQL and Redis, and the Twilio emulator in this process. Invokes are sent
open loop at a fixed rate, each to its own number with its own reference; for each, the time
from the moment its 202 arrived to the moment the emulator recorded the message's create is
measured (one wall clock: both are this machine's time.time()).

Target (DESIGN §7): p99 under 100 ms at 100 requests/s.
Usage: .venv/bin/python bench/e2e_bench.py [--rate 100] [--seconds 20]
Exit status 1 when the target is missed or a message did not arrive exactly once.
"""

import argparse
import http.client
import json
import sys
import threading
import time
from collections import Counter

import _stack


def make_key(emulator) -> str:
    from actions.models import Agent, ApiKey, MessagingChannel, SendTextAction

    channel, _ = MessagingChannel.objects.update_or_create(
        name="e2e_channel",
        defaults={
            "provider": "twilio",
            "sender": "+15005550006",
            "account_sid": emulator.account_sid,
            # The path's latency, not a carrier's rate: as fast as the throttle allows.
            "messages_per_second": 1000,
        },
    )
    channel.set_auth_token(emulator.auth_token)
    channel.save()
    action, _ = SendTextAction.objects.update_or_create(
        name="e2e_booking_confirmation",
        defaults={
            "description": "Sends a booking confirmation SMS to the caller.",
            "channel": channel,
            "parameters_schema": {
                "type": "object",
                "properties": {"booking_reference": {"type": "string"}},
                "required": ["booking_reference"],
            },
            "message_template": "Your booking is confirmed. Reference: "
            "{{ .parameters.booking_reference }}.",
        },
    )
    agent, _ = Agent.objects.get_or_create(name="e2e_agent")
    agent.actions.add(action)
    return ApiKey.issue(agent, "live")[1]


def invoke(port: int, key: str, n: int) -> tuple[int, float]:
    body = json.dumps(
        {
            "conversation_id": f"e2e-{n}",
            "contact": {"phone_number": f"+1555{n:07d}"},
            "parameters": {"booking_reference": f"E2E{n:07d}"},
        }
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    connection.request("POST", "/api/v1/actions/e2e_booking_confirmation/invoke", body, headers)
    response = connection.getresponse()
    response.read()
    answered = time.time()
    connection.close()
    return response.status, answered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()

    env = _stack.configure("e2e")
    from django.conf import settings

    from tests.twilio_emulator import TwilioEmulator

    emulator = TwilioEmulator(callbacks=False).start()
    env["TWILIO_API_BASE_URL"] = emulator.base_url
    key = make_key(emulator)
    port = _stack.free_port()
    logs = _stack.ROOT / "var" / "bench"
    web = _stack.start(
        [
            sys.executable, "-m", "gunicorn", "builder.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "--threads", "4", "--worker-class", "gthread",
            "--log-level", "warning",
        ],
        env,
        logs / "e2e-gunicorn.log",
    )  # fmt: skip
    worker = _stack.start(
        [
            sys.executable, "-m", "celery", "-A", "builder", "worker", "--loglevel=WARNING",
            "--pool", "threads", "--concurrency", "4", "--without-gossip", "--without-mingle",
        ],
        env,
        logs / "e2e-worker.log",
    )  # fmt: skip
    answers: dict[int, tuple[int, float]] = {}
    try:
        _stack.wait_for_port(port)
        for n in range(20):  # warm up both processes and the worker's Twilio client
            invoke(port, key, 9_000_000 + n)
        time.sleep(3)
        emulator.reset()
        lock = threading.Lock()

        def one(n):
            result = invoke(port, key, n)
            with lock:
                answers[n] = result

        total = int(args.rate * args.seconds)
        threads, started = [], time.perf_counter()
        for n in range(total):
            delay = started + n / args.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            thread = threading.Thread(target=one, args=(n,))
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if sum(1 for r in emulator.requests if r.status == 201) >= total:
                break
            time.sleep(0.1)
    finally:
        _stack.stop(web)
        _stack.stop(worker)
        _stack.drop_queue(settings.CELERY_TASK_DEFAULT_QUEUE)
        emulator.stop()

    received: dict[str, float] = {}
    creates = Counter()
    for request in emulator.requests:
        if request.status == 201:
            reference = request.form["Body"].rsplit(" ", 1)[-1].rstrip(".")
            creates[reference] += 1
            received.setdefault(reference, request.time)
    refused = [status for status, _ in answers.values() if status != 202]
    latencies = [
        (received[f"E2E{n:07d}"] - answered) * 1000
        for n, (status, answered) in answers.items()
        if status == 202 and f"E2E{n:07d}" in received
    ]
    missing = len(answers) - len(refused) - len(latencies)
    twice = sum(1 for count in creates.values() if count > 1)
    p50, p99 = _stack.percentile(latencies, 50), _stack.percentile(latencies, 99)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine}; gunicorn 2 x 4 threads; one worker, threads x 4")
    print(f"invokes at {args.rate:.0f}/s for {args.seconds:.0f} s: {len(answers)}", end="")
    print(f", refused {len(refused)}")
    print(f"answer -> provider received: p50 {p50:.1f} ms, p99 {p99:.1f} ms", end="")
    print(f", max {max(latencies):.1f} ms (target p99 < 100 ms)")
    print(f"not received: {missing}; received twice: {twice} (target: none)")
    return 0 if p99 < 100 and not missing and not twice and not refused else 1


if __name__ == "__main__":
    sys.exit(main())
