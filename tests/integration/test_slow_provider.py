"""A provider that answers after the client's timeout: every message reaches it exactly once.

A real worker (its Twilio timeout 1 s) sends through the real SDK to the emulator, which
creates some messages at once and answers them only 2 s later, as a slow Twilio does. Counts
come from the emulator's own record of requests.
"""

from collections import Counter

import pytest

from actions.messaging.outbox import create
from actions.models import Message
from tests.conftest import Worker, subprocess_env, wait_until
from tests.factories import make_twilio_channel

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SENT = {"sent", "delivered"}


@pytest.fixture
def worker(twilio, live_server):
    env = subprocess_env(
        TWILIO_API_BASE_URL=twilio.base_url,
        PUBLIC_BASE_URL=live_server.url,
        TWILIO_TIMEOUT_SECONDS="1",
        SEND_CONFIRM_AFTER_SECONDS="1.5",
        SEND_RETRY_BASE_SECONDS="0.02",
    )
    process = Worker(env, pool="threads", concurrency=4)
    yield process
    process.stop()


def queue_messages(channel, count: int) -> list[Message]:
    messages = []
    for i in range(count):
        message = Message(
            channel=channel,
            to="+15551234567",
            sender=channel.sender,
            body=f"Your code is {i:04}",
            provider="twilio",
        )
        assert create(message, "Queued by the test")
        messages.append(message)
    return messages


def creates(twilio) -> Counter:
    return Counter(
        r.form["Body"]
        for r in twilio.requests
        if r.method == "POST" and r.path.endswith("/Messages.json")
    )


def test_messages_answered_after_the_timeout_are_found_at_the_provider_not_sent_again(
    twilio, worker, monkeypatch
):
    monkeypatch.setattr(twilio, "callbacks", False)
    twilio.answer_late(4, seconds=2.5)
    messages = queue_messages(make_twilio_channel(twilio), 8)

    done = wait_until(
        lambda: set(Message.objects.values_list("status", flat=True)) <= SENT, timeout=30
    )

    statuses = Counter(Message.objects.values_list("status", flat=True))
    assert done, f"{statuses}\n{worker.output()[-4000:]}"
    assert sorted(creates(twilio).values()) == [1] * 8
    found = [m for m in messages if m.events.filter(detail__startswith="Found at twilio").exists()]
    assert len(found) == 4
    for message in found:
        message.refresh_from_db()
        assert message.provider_sid in twilio.messages
        assert message.events.filter(status="unconfirmed").count() == 1
    lists = [r for r in twilio.requests if r.method == "GET" and r.path.endswith("/Messages.json")]
    assert len(lists) >= 4


def test_a_send_that_never_arrived_is_sent_again_once_the_provider_says_it_has_none(
    twilio, worker, monkeypatch
):
    """The connection to Twilio breaks after the request went out, before Twilio created the
    message: unconfirmed, asked, not found, sent again — once."""
    monkeypatch.setattr(twilio, "callbacks", False)
    # The first create answers late and is then refused, as if Twilio had dropped it: the
    # emulator's 503 comes after the client gave up, so the message does not exist.
    twilio.response_delay = 2.5
    twilio.fail_next(1, 503)
    (message,) = queue_messages(make_twilio_channel(twilio), 1)
    assert wait_until(lambda: Message.objects.get().status == "unconfirmed", timeout=10)
    twilio.response_delay = 0

    assert wait_until(lambda: Message.objects.get().status in SENT, timeout=30), worker.output()[
        -4000:
    ]
    message.refresh_from_db()
    details = list(message.events.values_list("detail", flat=True))
    assert any(d.startswith("Not at twilio: it never arrived") for d in details), details
    assert [r.status for r in twilio.requests if r.path.endswith("/Messages.json")][:1] == [503]
    assert sorted(creates(twilio).values()) == [2]  # the refused one and the one that landed
    assert len(twilio.messages) == 1
