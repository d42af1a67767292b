"""Messages per second through one Celery worker process to the Twilio emulator.

One run, one worker process (by default the thread pool, 4 threads), two phases:

- baseline: the worker drains N no-op tasks (actions.echo);
- send: the worker drains N send_message tasks for N queued messages, each going through
  the real Twilio SDK to the local emulator (tests/twilio_emulator.py) and back to the
  database (queued -> sending -> sent, with their events).

Tasks are queued before the worker starts; the clock starts when the worker takes the first
one. Each of --rounds rounds runs both phases with a fresh worker; the medians are printed,
as tasks/s, messages/s and their ratio. Target (DESIGN §7): >= 200 messages/s.
Usage: .venv/bin/python bench/worker_bench.py [--messages 2000] [--pool threads] [--concurrency 4]
Exit status 1 when the target is missed.
"""

import argparse
import sys
import time

import _stack


def queue_length(client, queue: str) -> int:
    return client.llen(queue)


def wait_for_start(client, queue: str, total: int, timeout: float = 60) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if queue_length(client, queue) < total:
            return time.perf_counter()
        time.sleep(0.005)
    raise RuntimeError("the worker took no task")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--pool", default="threads", choices=["threads", "prefork", "solo"])
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    env = _stack.configure("worker")
    import redis
    from django.conf import settings

    from actions.messaging.tasks import send_message
    from actions.models import Message, MessageEvent, MessagingChannel
    from actions.ops.tasks import echo
    from tests.twilio_emulator import TwilioEmulator

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    client = redis.Redis.from_url(settings.REDIS_URL)
    emulator = TwilioEmulator(callbacks=False).start()
    env["TWILIO_API_BASE_URL"] = emulator.base_url
    argv = [
        sys.executable, "-m", "celery", "-A", "builder", "worker", "--loglevel=WARNING",
        f"--pool={args.pool}", f"--concurrency={args.concurrency}",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    log = _stack.ROOT / "var" / "bench" / "worker.log"
    n = args.messages
    baselines, sends, created = [], [], 0
    try:
        channel, _ = MessagingChannel.objects.get_or_create(
            name="bench_twilio",
            defaults={"provider": "twilio", "sender": "+15005550006"},
        )
        channel.account_sid = emulator.account_sid
        channel.messages_per_second = 1000  # the worker's speed, not a carrier's rate
        channel.set_auth_token(emulator.auth_token)
        channel.save()
        for _ in range(args.rounds):
            # Baseline: no-op tasks, then one whose result says the queue is drained.
            for i in range(n):
                echo.apply_async((i,), ignore_result=True)
            sentinel = echo.delay("done")
            worker = _stack.start(argv, env, log)
            started = wait_for_start(client, queue, n + 1)
            sentinel.get(timeout=600)
            baselines.append(n / (time.perf_counter() - started))
            _stack.stop(worker)

            # Sends: N queued messages through the SDK to the emulator.
            Message.objects.filter(channel=channel).delete()  # the previous round's
            emulator.reset()
            messages = Message.objects.bulk_create(
                Message(
                    channel=channel,
                    channel_name=channel.name,
                    to="+15551234567",
                    sender=channel.sender,
                    body=f"Hi, your booking is confirmed! Reference: B{i:06d}.",
                    provider="twilio",
                    is_test=True,
                )
                for i in range(n)
            )
            MessageEvent.objects.bulk_create(
                MessageEvent(message=m, status="queued", detail="bench") for m in messages
            )
            for message in messages:
                send_message.delay(str(message.pk))
            ours = Message.objects.filter(channel=channel)
            worker = _stack.start(argv, env, log)
            started = wait_for_start(client, queue, n)
            while ours.filter(status="sent").count() < n:
                failed = ours.filter(status="failed").first()
                if failed:
                    raise RuntimeError(f"a send failed: {failed.error_code} {failed.error_message}")
                time.sleep(0.2)
            sends.append(n / (time.perf_counter() - started))
            _stack.stop(worker)
            created = sum(1 for r in emulator.requests if r.status == 201)
            if created != n:
                raise RuntimeError(f"{created} messages created for {n} sends")
    finally:
        emulator.stop()
        _stack.drop_queue(queue)

    baseline, send = _stack.median(baselines), _stack.median(sends)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"database: {engine}; one worker process, pool {args.pool} x {args.concurrency}")
    rounds = ", ".join(f"{s:.0f}" for s in sends)
    print(f"{args.rounds} rounds of {n}; medians:")
    print(f"baseline, no-op tasks:               {baseline:8.1f} tasks/s")
    print(f"send_message to the Twilio emulator: {send:8.1f} messages/s (rounds: {rounds})")
    print(f"ratio sends/no-op: {send / baseline:.2f}")
    print("target: >= 200 messages/s per worker process")
    return 0 if send >= 200 else 1


if __name__ == "__main__":
    sys.exit(main())
