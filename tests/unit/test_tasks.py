from datetime import timedelta

import pytest
from django.utils import timezone

from actions.common.retry import backoff
from actions.messaging.tasks import reconcile_messages
from actions.models import Message
from tests.factories import make_channel

pytestmark = pytest.mark.django_db


def message(status, minutes_ago):
    channel = make_channel(name=f"c{Message.objects.count()}")
    created = Message.objects.create(
        channel=channel,
        to="+15551234567",
        sender="+15005550006",
        body="x",
        provider="console",
        status=status,
    )
    then = timezone.now() - timedelta(minutes=minutes_ago)
    Message.objects.filter(pk=created.pk).update(updated_at=then, due_at=then)
    return created


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling(settings):
    settings.SEND_RETRY_BASE_SECONDS = 2
    assert all(0 <= backoff(1) <= 4 for _ in range(100))
    assert all(0 <= backoff(3) <= 16 for _ in range(100))
    assert all(backoff(30) <= 300 for _ in range(100))
    assert len({backoff(5) for _ in range(20)}) > 1


def test_reconcile_requeues_lost_sends_and_asks_the_provider_about_interrupted_ones(
    django_capture_on_commit_callbacks, monkeypatch
):
    queued_old = message("queued", 6)
    message("queued", 0)
    sending_old = message("sending", 11)
    sending_new = message("sending", 0)
    sent, asked = [], []
    monkeypatch.setattr("actions.messaging.tasks.send_message.delay", sent.append)
    monkeypatch.setattr(
        "actions.messaging.tasks.confirm_message.apply_async",
        lambda args, countdown: asked.append((args, countdown)),
    )
    assert reconcile_messages() == {"requeued": 1, "asked": 0, "interrupted": 1}
    assert sent == [str(queued_old.pk)]
    # Interrupted during the provider call: it may have been sent; the provider is asked.
    assert asked == [((str(sending_old.pk),), 15.0)]
    sending_old.refresh_from_db()
    sending_new.refresh_from_db()
    assert sending_old.status == "unconfirmed"
    assert sending_old.events.last().detail.startswith("Interrupted while sending")
    assert sending_new.status == "sending"


def test_a_requeued_message_is_not_queued_again_before_another_wait(monkeypatch):
    message("queued", 1)
    sent = []
    monkeypatch.setattr("actions.messaging.tasks.send_message.delay", sent.append)

    assert reconcile_messages()["requeued"] == 1
    assert reconcile_messages()["requeued"] == 0
    assert len(sent) == 1


def test_a_message_waiting_out_its_backoff_is_not_queued_early(monkeypatch):
    waiting = message("queued", 0)
    Message.objects.filter(pk=waiting.pk).update(due_at=timezone.now() + timedelta(minutes=4))
    sent = []
    monkeypatch.setattr("actions.messaging.tasks.send_message.delay", sent.append)

    assert reconcile_messages()["requeued"] == 0
    assert sent == []


def pending_log(**fields):
    from actions.models import HandoffLog
    from tests.factories import make_handoff

    values = {"call_sid": "CA" + "1" * 32, "outcome": "pending", **fields}
    if "handoff" not in values:
        values["handoff"] = make_handoff("escalation_handoff")
        values["handoff_name"] = values["handoff"].name
    return HandoffLog.objects.create(**values)


def test_redirect_call_leaves_a_log_that_is_no_longer_pending_alone(monkeypatch):
    from actions.handoffs.tasks import redirect_call

    log = pending_log(outcome="redirected", outcome_detail="Done.")
    # must not be called
    monkeypatch.setattr("actions.messaging.providers.twilio.redirect_call", None)
    assert redirect_call.run(log.pk) == "already redirected"
    assert redirect_call.run(log.pk + 1) == "missing"
    log.refresh_from_db()
    assert (log.outcome, log.outcome_detail) == ("redirected", "Done.")


def test_redirect_call_fails_when_the_handoff_or_the_credentials_are_gone(settings):
    from actions.handoffs.redirect import NO_CREDENTIALS
    from actions.handoffs.tasks import redirect_call

    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""
    log = pending_log()
    assert redirect_call.run(log.pk) == "failed"
    log.refresh_from_db()
    assert (log.outcome, log.outcome_detail) == ("failed", NO_CREDENTIALS)

    orphan = pending_log(handoff=None, handoff_name="gone")
    assert redirect_call.run(orphan.pk) == "failed"
    orphan.refresh_from_db()
    assert orphan.outcome_detail == "The handoff was deleted before the call was redirected."
