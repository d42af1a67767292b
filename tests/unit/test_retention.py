import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actions.messaging.retention import redact_old_messages
from actions.messaging.tasks import redact_old_messages as redact_task
from actions.models import Message, MessageEvent
from tests.factories import make_channel

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=90)
BODY = "Hi Ada, your booking ABC123 is confirmed. Call +447700900123 to change it."


@pytest.fixture
def channel(db):
    return make_channel()


def message(channel, created_at, status="delivered", **fields):
    created = Message.objects.create(
        channel=channel,
        channel_name=channel.name,
        action_name="send_booking_confirmation",
        agent_name="booking_bot",
        environment="live",
        conversation_id="CA-42",
        to="+447700900123",
        sender="+15005550006",
        body=BODY,
        parameters={"booking_reference": "ABC123", "name": "Ada"},
        variables={"caller_name": "Ada Lovelace"},
        provider="twilio",
        provider_sid="SM" + "1" * 32,
        provider_status=status,
        status=status,
        **fields,
    )
    MessageEvent.objects.create(message=created, status="queued", detail="Invoked by booking_bot")
    MessageEvent.objects.create(message=created, status=status, detail=f"Twilio reported {status}")
    # Written afterwards: auto_now_add and auto_now would override them in create().
    Message.objects.filter(pk=created.pk).update(
        created_at=created_at, updated_at=created_at + timedelta(seconds=5)
    )
    created.refresh_from_db()
    return created


def updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]


def test_only_messages_older_than_the_retention_period_are_redacted(channel, settings):
    settings.MESSAGE_RETENTION_DAYS = 90
    just_outside = message(channel, CUTOFF - timedelta(seconds=1))
    just_inside = message(channel, CUTOFF + timedelta(seconds=1))

    assert redact_old_messages(now=NOW) == 1

    just_outside.refresh_from_db()
    just_inside.refresh_from_db()
    assert (just_outside.body, just_outside.parameters, just_outside.variables) == ("", {}, {})
    assert just_outside.redacted_at == NOW
    assert just_inside.body == BODY
    assert just_inside.parameters == {"booking_reference": "ABC123", "name": "Ada"}
    assert just_inside.variables == {"caller_name": "Ada Lovelace"}
    assert just_inside.redacted_at is None


def test_redaction_keeps_status_metadata_timeline_and_delivery_time(channel, settings):
    settings.MESSAGE_RETENTION_DAYS = 90
    old = message(
        channel,
        NOW - timedelta(days=120),
        status="undelivered",
        error_code="30003",
        error_message="Unreachable destination handset",
        attempts=1,
    )
    events_before = list(old.events.values_list("status", "at", "detail", "data"))

    redact_old_messages(now=NOW)

    after = Message.objects.get(pk=old.pk)
    kept = [
        "to",
        "sender",
        "action_name",
        "channel_name",
        "agent_name",
        "environment",
        "conversation_id",
        "status",
        "provider",
        "provider_sid",
        "provider_status",
        "error_code",
        "error_message",
        "attempts",
        "created_at",
        "updated_at",
        "channel_id",
    ]
    assert {f: getattr(after, f) for f in kept} == {f: getattr(old, f) for f in kept}
    assert after.error_message == "Unreachable destination handset"
    assert after.updated_at == NOW - timedelta(days=120) + timedelta(seconds=5)
    assert list(after.events.values_list("status", "at", "detail", "data")) == events_before
    assert after.body == "" and after.redacted_at == NOW


def test_messages_still_on_their_way_keep_their_body_and_sent_ones_lose_it(channel, settings):
    settings.MESSAGE_RETENTION_DAYS = 90
    old = NOW - timedelta(days=100)
    queued = message(channel, old, status="queued")
    sending = message(channel, old, status="sending")
    sent = message(channel, old, status="sent")
    failed = message(channel, old, status="failed")

    assert redact_old_messages(now=NOW) == 2

    redacted = set(Message.objects.filter(redacted_at=NOW).values_list("pk", flat=True))
    assert redacted == {sent.pk, failed.pk}
    assert Message.objects.get(pk=queued.pk).body == BODY
    assert Message.objects.get(pk=sending.pk).body == BODY


def test_redaction_runs_in_batches_of_one_update_each(channel, settings):
    settings.MESSAGE_RETENTION_DAYS = 90
    for day in range(5):
        message(channel, NOW - timedelta(days=100 + day))

    with CaptureQueriesContext(connection) as queries:
        assert redact_old_messages(now=NOW, batch_size=2) == 5

    assert len(updates(queries.captured_queries)) == 3
    assert not Message.objects.filter(redacted_at__isnull=True).exists()


def test_the_batch_size_defaults_to_the_setting(channel, settings):
    settings.MESSAGE_RETENTION_DAYS = 90
    settings.MESSAGE_RETENTION_BATCH = 1
    for day in range(3):
        message(channel, NOW - timedelta(days=100 + day))

    with CaptureQueriesContext(connection) as queries:
        assert redact_old_messages(now=NOW) == 3

    assert len(updates(queries.captured_queries)) == 3


def test_running_twice_changes_nothing_the_second_time(channel, settings):
    settings.MESSAGE_RETENTION_DAYS = 90
    old = message(channel, NOW - timedelta(days=100))
    assert redact_old_messages(now=NOW) == 1
    first = Message.objects.values().get(pk=old.pk)

    with CaptureQueriesContext(connection) as queries:
        assert redact_old_messages(now=NOW + timedelta(hours=1)) == 0

    assert updates(queries.captured_queries) == []
    assert Message.objects.values().get(pk=old.pk) == first


def test_zero_days_keeps_every_message_forever(channel, settings):
    settings.MESSAGE_RETENTION_DAYS = 0
    ancient = message(channel, NOW - timedelta(days=3650))

    assert redact_old_messages(now=NOW) == 0
    assert redact_task() == 0

    ancient.refresh_from_db()
    assert ancient.body == BODY and ancient.redacted_at is None


def test_the_task_logs_the_count_and_no_number_or_body(channel, settings, caplog):
    settings.MESSAGE_RETENTION_DAYS = 30
    message(channel, datetime.now(UTC) - timedelta(days=31))
    message(channel, datetime.now(UTC) - timedelta(days=29))

    with caplog.at_level(logging.INFO, logger="actions.tasks"):
        assert redact_task() == 1

    assert "Retention: redacted 1 message(s) older than 30 days" in caplog.text
    assert "7700900123" not in caplog.text and "ABC123" not in caplog.text


def test_the_commands_dry_run_counts_and_writes_nothing(channel, settings):
    settings.MESSAGE_RETENTION_DAYS = 90
    old = message(channel, datetime.now(UTC) - timedelta(days=100))
    out = StringIO()

    with CaptureQueriesContext(connection) as queries:
        call_command("redact_messages", "--dry-run", stdout=out)

    assert out.getvalue() == "1 message(s) older than 90 days would be redacted.\n"
    assert updates(queries.captured_queries) == []
    old.refresh_from_db()
    assert old.body == BODY and old.redacted_at is None


def test_the_command_redacts_with_its_own_number_of_days(channel, settings):
    settings.MESSAGE_RETENTION_DAYS = 90
    ten_days = message(channel, datetime.now(UTC) - timedelta(days=10))
    yesterday = message(channel, datetime.now(UTC) - timedelta(hours=20))
    out = StringIO()

    call_command("redact_messages", "--days", "7", stdout=out)

    assert out.getvalue() == "1 message(s) older than 7 days redacted.\n"
    assert Message.objects.get(pk=ten_days.pk).body == ""
    assert Message.objects.get(pk=yesterday.pk).body == BODY


def test_the_command_with_zero_days_redacts_nothing(channel, settings):
    old = message(channel, datetime.now(UTC) - timedelta(days=400))
    out = StringIO()

    call_command("redact_messages", "--days", "0", stdout=out)

    assert "Retention is off" in out.getvalue()
    assert Message.objects.get(pk=old.pk).body == BODY


# --- Settings ------------------------------------------------------------------------------


def retention_settings(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MESSAGE_RETENTION")}
    clean.update(env, DJANGO_SETTINGS_MODULE="tests.settings")
    code = (
        "from django.conf import settings; "
        "print(settings.MESSAGE_RETENTION_DAYS, settings.MESSAGE_RETENTION_BATCH)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_retention_defaults_to_ninety_days_in_batches_of_a_thousand():
    result = retention_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "90 1000\n"


def test_retention_settings_are_read_from_the_environment():
    result = retention_settings(MESSAGE_RETENTION_DAYS="0", MESSAGE_RETENTION_BATCH="250")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0 250\n"


@pytest.mark.parametrize("value", ["-1", "ninety", "1.5"])
def test_a_retention_period_that_is_not_a_whole_number_of_days_is_refused(value):
    result = retention_settings(MESSAGE_RETENTION_DAYS=value)
    assert result.returncode != 0
    assert "ImproperlyConfigured: MESSAGE_RETENTION_DAYS must be a whole number" in result.stderr
    assert repr(value) in result.stderr


def test_a_batch_size_of_zero_is_refused():
    result = retention_settings(MESSAGE_RETENTION_BATCH="0")
    assert result.returncode != 0
    assert "MESSAGE_RETENTION_BATCH must be a whole number, 1 or more" in result.stderr
