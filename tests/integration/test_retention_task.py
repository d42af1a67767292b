"""Retention on a real worker: the beat task, sent through Redis, redacts old messages."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from actions.messaging.tasks import redact_old_messages
from actions.models import Message, MessageEvent
from builder.celery import app
from tests.factories import make_channel

pytestmark = pytest.mark.integration

BODY = "Your booking ABC123 is confirmed."


def message(channel, days_ago):
    created = Message.objects.create(
        channel=channel,
        to="+447700900123",
        sender="+15005550006",
        body=BODY,
        parameters={"booking_reference": "ABC123"},
        provider="console",
        status="delivered",
    )
    MessageEvent.objects.create(message=created, status="delivered", detail="Delivered")
    Message.objects.filter(pk=created.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return created


@pytest.mark.django_db(transaction=True)
def test_the_retention_task_redacts_old_messages_on_a_real_worker(celery_worker):
    channel = make_channel()
    old = message(channel, days_ago=91)
    recent = message(channel, days_ago=89)
    delivered_at = Message.objects.get(pk=old.pk).updated_at

    redact_old_messages.delay()

    deadline = time.monotonic() + 20
    while Message.objects.get(pk=old.pk).redacted_at is None:
        assert time.monotonic() < deadline, celery_worker.output()[-3000:]
        time.sleep(0.05)
    old = Message.objects.get(pk=old.pk)
    assert (old.body, old.parameters, old.status) == ("", {}, "delivered")
    assert old.updated_at == delivered_at
    assert old.events.count() == 1
    assert Message.objects.get(pk=recent.pk).body == BODY
    # The worker logs the count (the worker runs with the default 90 days) and nothing personal.
    deadline = time.monotonic() + 5
    while "Retention: redacted" not in celery_worker.output():
        assert time.monotonic() < deadline, celery_worker.output()[-3000:]
        time.sleep(0.05)
    output = celery_worker.output()
    assert "Retention: redacted 1 message(s) older than 90 days" in output
    assert "7700900123" not in output and "ABC123" not in output


def test_celery_beat_runs_the_retention_task_every_hour():
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert "actions.redact_old_messages" in app.tasks
    assert schedule["actions.redact_old_messages"] == 3600.0
