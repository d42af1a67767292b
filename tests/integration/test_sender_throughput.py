"""No sender sends faster than its rate, however many workers run (messaging/throttle.py).

Two real worker processes, one Redis, the Twilio emulator: three channels at 1, 3 and 20
messages a second — a long code and a toll-free number at their kinds' defaults, a Messaging
Service set to 20 — each fed a burst faster than its rate. The emulator's own clock shows no
one-second window above a sender's rate, every message created once, the messages of each
sender in the order they were accepted, and the fast channel sending at its own rate while
the slow ones wait.
"""

import time

import pytest

from actions.models import Message
from tests.conftest import Worker, subprocess_env
from tests.throughput import (
    LONG_CODE,
    SERVICE,
    TOLL_FREE,
    arrivals,
    busiest_second,
    feed,
    make_lanes,
)
from tests.twilio_emulator import TwilioEmulator

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def emulator():
    with TwilioEmulator(strict_from=False, callbacks=False) as emulator:
        yield emulator


@pytest.fixture
def two_workers(emulator, django_db_blocker, redis_url):
    with django_db_blocker.unblock():
        env = subprocess_env(TWILIO_API_BASE_URL=emulator.base_url)
    workers = [Worker(env, concurrency=2), Worker(env, concurrency=2)]
    yield workers
    for worker in workers:
        worker.stop()


def test_three_senders_fed_faster_than_their_rates_keep_them_across_two_workers(
    emulator, two_workers
):
    slow, toll_free, fast = lanes = make_lanes(
        emulator, {LONG_CODE: None, TOLL_FREE: None, SERVICE: 20}
    )
    assert [lane.rate for lane in lanes] == [1, 3, 20]  # a long code's and a toll-free's default
    feed(lanes, [8, 15, 80])
    total = sum(len(lane.messages) for lane in lanes)

    deadline = time.monotonic() + 40
    while Message.objects.filter(status="sent").count() < total and time.monotonic() < deadline:
        time.sleep(0.2)
    logs = "\n".join(w.output()[-3000:] for w in two_workers)
    statuses = sorted(Message.objects.exclude(status="sent").values_list("sender", "status"))
    assert Message.objects.filter(status="sent").count() == total, (statuses, logs)
    # Both workers sent: the rate held across processes, not inside one.
    assert all("send_message" in w.output() for w in two_workers)

    for lane in lanes:
        seen = arrivals(emulator, lane)
        times = [t for t, _ in seen]
        # Once each, in the order they were accepted.
        assert [to for _, to in seen] == [m.to for m in lane.messages], lane.sender
        # No one-second window above the rate, by the emulator's clock.
        assert busiest_second(times) <= lane.rate, (lane.sender, busiest_second(times))

    # The fast channel is not held up by the slow ones' waiting messages (no worker waits
    # with them): all of its 80 were sent while the long code's 8 still went out one a
    # second. (How close each came to its own turn is measured by bench/throughput_bench.py.)
    fast_times = [t for t, _ in arrivals(emulator, fast)]
    slow_times = [t for t, _ in arrivals(emulator, slow)]
    assert fast_times[-1] < slow_times[-2]
