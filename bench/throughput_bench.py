"""Sender throughput: three senders at 1, 3 and 20 messages a second, two worker processes.

A long code (its default, 1/s), a toll-free number (3/s) and a Messaging Service set to
20/s, each given a burst of RATE x SECONDS messages at once (so each has work for the whole
run), sent by two worker processes (prefork, 2 each) through the Twilio emulator. From the
emulator's own clock:

- each sender's achieved rate as a fraction of its limit (target 0.95-1.00), and its busiest
  one-second window (never above the rate);
- the fast sender's wait beyond its own turn (how much later than its own backlog allowed
  each message left: what the other senders and the workers cost it), p50 and p99 — and the
  same for the fast sender alone, the baseline of the same run.

Usage: .venv/bin/python bench/throughput_bench.py [--seconds 30]
Exit status 1 when a fraction is outside 0.95-1.00 or a window above the rate.
"""

import argparse
import sys
import time

import _stack


def run(lanes, counts, argv, env, log, emulator, timeout):
    from actions.models import Message
    from builder.celery import app
    from tests.throughput import feed

    names = [f"throughput-{i}-{time.time_ns()}@localhost" for i in range(2)]
    workers = [
        _stack.start([*argv, "-n", name], env, log.with_suffix(f".{i}.log"))
        for i, name in enumerate(names)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(app.control.ping(destination=names, timeout=0.5)) < len(names):
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start")
        feed(lanes, counts, tag=str(time.time()))
        ids = [m.pk for lane in lanes for m in lane.messages]
        deadline = time.monotonic() + timeout
        while Message.objects.filter(pk__in=ids, status="sent").count() < len(ids):
            if time.monotonic() > deadline:
                raise RuntimeError("not every message was sent in time")
            time.sleep(0.5)
    finally:
        for worker in workers:
            _stack.stop(worker)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()

    env = _stack.configure("throughput")
    from actions.models import Message, MessagingChannel
    from tests.throughput import (
        LONG_CODE,
        SERVICE,
        TOLL_FREE,
        achieved_rate,
        arrivals,
        busiest_second,
        make_lanes,
        turn_delays,
    )
    from tests.twilio_emulator import TwilioEmulator

    emulator = TwilioEmulator(strict_from=False, callbacks=False).start()
    env["TWILIO_API_BASE_URL"] = emulator.base_url
    argv = [
        sys.executable, "-m", "celery", "-A", "builder", "worker", "--loglevel=WARNING",
        "--pool=prefork", "--concurrency=2", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    log = _stack.ROOT / "var" / "bench" / "throughput.log"
    seconds = args.seconds
    failed = False
    try:
        MessagingChannel.objects.filter(name__startswith="bench_lane").delete()
        Message.objects.filter(channel_name__startswith="bench_lane").delete()

        # Baseline: the fast sender alone.
        (alone,) = make_lanes(emulator, {SERVICE: 20}, prefix="bench_lane_alone")
        run([alone], [20 * seconds], argv, env, log, emulator, seconds * 3)
        base_delays = delays_of(emulator, alone, turn_delays, arrivals)
        emulator.reset()

        lanes = make_lanes(emulator, {LONG_CODE: None, TOLL_FREE: None, SERVICE: 20}, "bench_lane")
        counts = [int(lane.rate * seconds) for lane in lanes]
        run(lanes, counts, argv, env, log, emulator, seconds * 3)
        print(f"{seconds} s of work per sender, two worker processes (prefork x 2), PostgreSQL")
        header = ("sender", "rate", "sent", "achieved", "fraction", "busiest 1 s")
        print("{:<20} {:>5} {:>5} {:>9} {:>9} {:>12}".format(*header))
        for lane in lanes:
            times = [t for t, _ in arrivals(emulator, lane)]
            achieved = achieved_rate(times)
            fraction = achieved / lane.rate
            busiest = busiest_second(times)
            failed |= not 0.95 <= fraction <= 1.0 or busiest > lane.rate
            name = lane.sender[:6] + "…" if lane.sender.startswith("MG") else lane.sender
            print(
                f"{name:<20} {lane.rate:>5g} {len(times):>5} {achieved:>9.2f} "
                f"{fraction:>9.3f} {busiest:>12}"
            )
        fast = lanes[2]
        delays = delays_of(emulator, fast, turn_delays, arrivals)
        p50, p99 = _stack.percentile(delays, 50), _stack.percentile(delays, 99)
        b50, b99 = _stack.percentile(base_delays, 50), _stack.percentile(base_delays, 99)
        print("fast sender's wait beyond its own turn (ms):")
        print(f"  with the slow senders' backlogs: p50 {p50 * 1000:6.1f}  p99 {p99 * 1000:6.1f}")
        print(f"  alone (baseline):                p50 {b50 * 1000:6.1f}  p99 {b99 * 1000:6.1f}")
        print(f"  ratio p99 with/alone: {p99 / b99:.2f}" if b99 else "")
    finally:
        emulator.stop()
        _stack.drop_queue(env["CELERY_QUEUE"])
    return 1 if failed else 0


def delays_of(emulator, lane, turn_delays, arrivals) -> list[float]:
    times = [t for t, _ in arrivals(emulator, lane)]
    created = [m.created_at.timestamp() for m in lane.messages]
    return turn_delays(times, created, lane.rate)


if __name__ == "__main__":
    sys.exit(main())
