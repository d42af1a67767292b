"""Nothing lost, nothing sent twice: a worker killed in the middle of a batch."""

import time
from collections import Counter
from datetime import timedelta

import pytest

from actions.messaging import tasks
from actions.messaging.tasks import reconcile_messages, send_message
from actions.models import Message, MessageEvent
from tests.conftest import Worker, subprocess_env, wait_until
from tests.factories import make_twilio_channel

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BATCH = 300
TERMINAL_OR_SENT = {"sent", "delivered", "undelivered", "failed"}


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    twilio, live_server, settings, monkeypatch
):
    monkeypatch.setattr(twilio, "callbacks", False)  # only the sends matter here
    # Twilio-like latency, so the batch cannot finish before the kill on a fast or busy machine.
    twilio.response_delay = 0.02
    channel = make_twilio_channel(twilio, messages_per_second=1000)  # faults, not rates
    messages = Message.objects.bulk_create(
        Message(
            channel=channel,
            to="+15551234567",
            sender=channel.sender,
            body=f"Batch message {i}",
            provider="twilio",
        )
        for i in range(BATCH)
    )
    MessageEvent.objects.bulk_create(MessageEvent(message=m, status="queued") for m in messages)
    for message in messages:
        send_message.delay(str(message.pk))

    env = subprocess_env(TWILIO_API_BASE_URL=twilio.base_url, PUBLIC_BASE_URL=live_server.url)
    first = Worker(env, pool="threads", concurrency=4)
    try:
        assert wait_until(lambda: Message.objects.filter(status="sent").count() >= 20)
    finally:
        first.kill()  # mid-batch: some sent, some in flight, some prefetched, some queued
    killed_at = Counter(Message.objects.values_list("status", flat=True))
    assert killed_at["sent"] < BATCH, "the batch finished before the kill"

    second = Worker(env, pool="threads", concurrency=4)
    try:
        # What the first worker had prefetched stays unacknowledged in Redis; the
        # reconciliation queues such messages again (here without waiting 10 seconds) and
        # fails the ones caught in the middle of the provider call.
        monkeypatch.setattr(tasks, "STALE_QUEUED", timedelta(0))
        monkeypatch.setattr(tasks, "STALE_SENDING", timedelta(0))
        # Those caught mid-send are unconfirmed: Twilio is asked half a second later.
        settings.SEND_CONFIRM_AFTER_SECONDS = 0.5
        time.sleep(1)  # let the second worker take what is still in the queue
        reconcile_messages()
        assert wait_until(
            lambda: set(Message.objects.values_list("status", flat=True)) <= TERMINAL_OR_SENT
        ), f"{Counter(Message.objects.values_list('status', flat=True))}\n{second.output()}"
    finally:
        second.stop()

    sent_bodies = Counter(
        r.form["Body"]
        for r in twilio.requests
        if r.path.endswith("/Messages.json") and r.status == 201
    )
    assert max(sent_bodies.values()) == 1  # none sent twice
    outcome = Counter(Message.objects.values_list("status", flat=True))
    interrupted = Message.objects.filter(status="failed", error_code="interrupted").count()
    assert outcome["sent"] + interrupted == BATCH  # every message accounted for
    recorded_sent = set(Message.objects.filter(status="sent").values_list("body", flat=True))
    assert recorded_sent <= set(sent_bodies)  # "sent" is never claimed for a message not sent
    # A message caught between the provider's request and the record of its answer is
    # unconfirmed, and Twilio is asked: found, it is recorded sent; not found, sent again.
    assert len(sent_bodies) - len(recorded_sent) <= interrupted
    assert set(sent_bodies) == recorded_sent  # each message at Twilio exactly once, and known
    print(f"at the kill: {dict(killed_at)}; in the end: {dict(outcome)}")
