"""The status panel of a test message (a channel's test, Try it): each failed attempt is a line
of its own with its reason, and a wait says until when — never a bare "waiting"."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.common import retry
from actions.messaging.status import move
from actions.models import Message, MessageStatus
from tests.factories import make_channel

pytestmark = pytest.mark.django_db

REASON = "Twilio answered 503 Service Unavailable (error 20503)"


def queued_message() -> Message:
    channel = make_channel()
    return Message.objects.create(
        channel=channel, to="+15551234567", sender=channel.sender, body="Hi", provider="console",
        is_test=True,
    )  # fmt: skip


def fail_attempt(message: Message, attempt: int, delay_s: float) -> None:
    """What the send task does when an attempt fails and is retried."""
    move(message.pk, [MessageStatus.QUEUED], MessageStatus.SENDING, f"Attempt {attempt}")
    decision = retry.after_failure(attempt, REASON)
    due = timezone.now() + timedelta(seconds=delay_s)
    detail = f"Retrying in {delay_s:.1f}s: {REASON}"
    assert decision.detail.startswith("Retrying in ")  # the policy's words, which the page reads
    move(message.pk, [MessageStatus.SENDING], MessageStatus.QUEUED, detail, due_at=due)


def panel(client, message) -> str:
    url = reverse("message_status", args=[message.pk])
    return client.get(url, headers={"HX-Request": "true"}).content.decode()


def test_each_retry_is_a_line_and_the_wait_says_until_when(client, admin_user):
    client.force_login(admin_user)
    message = queued_message()
    assert "Waiting for the worker" in panel(client, message)

    fail_attempt(message, 1, 30)
    html = panel(client, message)
    assert "Attempt 1 failed at " in html and f": {REASON} — next attempt 30.0 s later." in html
    assert "Attempt 2 at " in html and "in about 30 s" in html
    assert "Waiting for the worker" not in html

    Message.objects.filter(pk=message.pk).update(due_at=timezone.now())
    fail_attempt(message, 2, 40)
    html = panel(client, message)
    assert html.count("failed at ") == 2 and "Attempt 2 failed at " in html
    assert "Attempt 3 at " in html

    move(message.pk, [MessageStatus.QUEUED], MessageStatus.SENDING, "Attempt 3")
    assert "Sending now (attempt 3)" in panel(client, message)
    move(message.pk, [MessageStatus.SENDING], MessageStatus.SENT, "Sent")
    move(message.pk, [MessageStatus.SENT], MessageStatus.DELIVERED, "Delivered")
    html = panel(client, message)
    assert html.count("failed at ") == 2 and "hx-get" not in html  # done: no more polling


def test_a_reviewer_sees_the_reasons_with_numbers_masked(client, reviewer_user):
    message = queued_message()
    move(message.pk, [MessageStatus.QUEUED], MessageStatus.SENDING, "Attempt 1")
    detail = "Retrying in 5.0s: The number +15551234567 is unreachable"
    move(message.pk, [MessageStatus.SENDING], MessageStatus.QUEUED, detail)
    client.force_login(reviewer_user)
    html = panel(client, message)
    assert "Attempt 1 failed" in html and "+15551234567" not in html
