"""One path per rule: each rule below has one implementation, and these tests fail when a
second path appears — read from the source (a call the rule's module alone may make) and
from behaviour (every caller ends up in the one implementation)."""

import ast
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from actions.api import invoke
from actions.api.openapi import ERROR_CODES
from actions.common import retry
from actions.handoffs.tasks import (
    GIVE_UP_AFTER,
    INTERRUPTED,
    LOST,
    STALE_PENDING,
    STALE_REDIRECTING,
    reconcile_redirects,
)
from actions.messaging import outbox, status
from actions.models import (
    Agent,
    ApiKey,
    HandoffLog,
    Message,
    MessagingChannel,
    OptOut,
    SendTextAction,
)
from tests.factories import make_action, make_channel, make_handoff

ACTIONS = Path(__file__).resolve().parents[2] / "actions"


def modules():
    """(path relative to actions/, syntax tree) of every module of the app but migrations."""
    for path in sorted(ACTIONS.rglob("*.py")):
        relative = path.relative_to(ACTIONS).as_posix()
        if not relative.startswith("migrations/"):
            yield relative, ast.parse(path.read_text(encoding="utf-8"))


def dotted(node) -> str:
    """`a.b.c` of an attribute chain or name, "" for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node, dotted(node.func)


def where(predicate) -> set[str]:
    """The modules in which `predicate(call node, dotted name)` holds for some call."""
    return {path for path, tree in modules() for node, name in calls(tree) if predicate(node, name)}


def reads(attribute: str) -> set[str]:
    """The modules that read `something.<attribute>`."""
    return {
        path
        for path, tree in modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == attribute
    }


# --- Every message is created by the one creator ---------------------------------------------


def test_only_the_outbox_inserts_messages_or_their_first_event():
    def inserts(node, name):
        manager = ("Message.objects.", "MessageEvent.objects.")
        return name.startswith(manager) and name.endswith(("create", "get_or_create"))

    assert where(inserts) == {"messaging/outbox.py"}


def test_every_module_that_builds_a_message_hands_it_to_the_outbox():
    builders = where(lambda node, name: name == "Message")
    writers = where(lambda node, name: name == "outbox.create")
    savers = where(lambda node, name: name.endswith(".save") and name.split(".")[0] in {"message"})
    assert builders == {"api/invoke.py", "channels/views.py", "sendlog/resend.py"}
    assert builders <= writers
    assert savers <= {"messaging/outbox.py"}


def test_only_the_outbox_queues_a_new_send_and_only_through_the_broker_helper():
    def publishes(node, name):
        return name == "broker.publish" and node.args and dotted(node.args[0]) == "send_message"

    # The reconciliation queues again what the outbox wrote and a lost task left queued.
    assert where(publishes) == {"messaging/outbox.py", "messaging/tasks.py"}
    # A task published directly could raise from a web request when the broker is down.
    assert where(lambda node, name: name.endswith((".delay", ".apply_async"))) == {
        "common/broker.py"
    }


@pytest.fixture
def created(monkeypatch):
    """The details of every message the one creator writes."""
    seen = []
    real = outbox.create

    def spy(message, detail, consent=None):
        seen.append(detail)
        return real(message, detail, consent)

    monkeypatch.setattr(outbox, "create", spy)
    return seen


@pytest.mark.django_db
def test_invoke_try_it_the_channel_test_and_resend_all_write_through_the_one_creator(
    created, admin_user, django_capture_on_commit_callbacks
):
    action = make_action()
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(action)
    key, _ = ApiKey.issue(agent, "sandbox")
    body = {"contact": {"phone_number": "+15551234567"}, "parameters": {"booking_reference": "A1"}}
    browser = Client()
    browser.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=False):
        invoke.invoke_action(key, action.name, body)
        browser.post(f"/actions/{action.pk}/try/", {"sample_contact": "+15551112222"})
        browser.post(f"/channels/{action.channel.pk}/test/", {"to": "+15557654321"})
        failed = Message.objects.filter(to="+15557654321").get()
        Message.objects.filter(pk=failed.pk).update(status="failed")
        browser.post(f"/send-log/{failed.pk}/resend/")

    assert created[:3] == [
        "Invoked by booking_bot",
        "Tried from the builder",
        "Test message from the builder",
    ]
    assert any(detail.startswith("Resend of message") for detail in created)
    assert Message.objects.count() == len(created)


@pytest.mark.django_db
def test_a_channel_test_message_to_an_opted_out_number_is_refused_and_writes_nothing(admin_user):
    channel = make_channel()
    OptOut.objects.create(number="+15557654321", sender=channel.sender)
    browser = Client()
    browser.force_login(admin_user)

    response = browser.post(f"/channels/{channel.pk}/test/", {"to": "+15557654321"})

    assert response.status_code == 200
    assert "has opted out of text messages from this sender" in response.text
    assert not Message.objects.exists()


# --- Every credential question goes through the one resolver ---------------------------------


def test_only_the_credentials_resolver_reads_the_twilio_settings_or_decrypts_a_token():
    assert reads("TWILIO_ACCOUNT_SID") == {"channels/credentials.py"}
    assert reads("TWILIO_AUTH_TOKEN") == {"channels/credentials.py"}
    assert where(lambda node, name: name.endswith("decrypt")) == {"channels/credentials.py"}


# --- The send and the redirect share one retry policy ----------------------------------------


def test_only_the_retry_policy_counts_attempts_draws_a_backoff_or_gives_up():
    assert reads("SEND_MAX_ATTEMPTS") == {"common/retry.py"}
    assert where(lambda node, name: name.startswith("random.")) == {"common/retry.py"}
    assert where(lambda node, name: name == "retry.after_failure") == {
        "messaging/tasks.py",
        "handoffs/tasks.py",
    }


def test_the_policy_retries_with_a_bounded_wait_and_gives_up_after_the_last_attempt(settings):
    settings.SEND_MAX_ATTEMPTS = 3
    settings.SEND_RETRY_BASE_SECONDS = 2

    first = retry.after_failure(1, "Too Many Requests")
    last = retry.after_failure(3, "Service Unavailable")

    assert isinstance(first, retry.Retry) and 0 <= first.delay <= 4
    assert first.detail == f"Retrying in {first.delay:.1f}s: Too Many Requests"
    assert last == retry.GiveUp("Gave up after 3 attempts: Service Unavailable")


# --- A redirect whose task was lost is reconciled --------------------------------------------


def backdate(log, **fields):
    """Move a log entry's times into the past: `created_at`, `due_at`, `updated_at`."""
    HandoffLog.objects.filter(pk=log.pk).update(**fields)


@pytest.mark.django_db
def test_a_redirect_whose_task_was_lost_is_queued_again_then_given_up_when_too_late(monkeypatch):
    handoff = make_handoff()
    queued = []
    monkeypatch.setattr("actions.handoffs.tasks.redirect_call.delay", queued.append)

    def entry(outcome="pending"):
        return HandoffLog.objects.create(handoff=handoff, handoff_name="q", outcome=outcome)

    lost, recent, too_late = entry(), entry(), entry()
    stuck = entry("redirecting")
    done = entry("redirected")
    now = timezone.now()
    backdate(lost, due_at=now - STALE_PENDING - timedelta(seconds=1))
    backdate(too_late, created_at=now - GIVE_UP_AFTER - timedelta(seconds=1))
    backdate(stuck, updated_at=now - STALE_REDIRECTING - timedelta(seconds=1))
    backdate(done, due_at=now - GIVE_UP_AFTER, created_at=now - GIVE_UP_AFTER * 2)

    assert reconcile_redirects.run() == {"requeued": 1, "lost": 1, "interrupted": 1}
    assert queued == [lost.pk]
    assert reconcile_redirects.run() == {"requeued": 0, "lost": 0, "interrupted": 0}

    outcomes = {log.pk: (log.outcome, log.outcome_detail) for log in HandoffLog.objects.all()}
    assert outcomes[lost.pk][0] == outcomes[recent.pk][0] == "pending"
    assert outcomes[too_late.pk] == ("failed", LOST)
    assert outcomes[stuck.pk] == ("failed", INTERRUPTED)
    assert outcomes[done.pk] == ("redirected", "")


def test_the_reconciliations_of_sends_and_redirects_run_every_five_seconds():
    schedule = {e["task"]: e["schedule"] for e in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["actions.reconcile_messages"] == 5.0
    assert schedule["actions.reconcile_redirects"] == 5.0


# --- Hand-written SQL maps rows to models by name ---------------------------------------------


@pytest.mark.django_db
def test_the_invoke_lookup_loads_every_field_as_the_orm_does():
    action = make_action(
        make_channel(account_sid="AC" + "0" * 32, sender_live="+443333333333"),
        fallback_handoff=make_handoff(),
        require_consent=True,
    )
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(action)

    found = invoke.find_action(agent.pk, action.name)

    expected = SendTextAction.objects.select_related("channel").get()
    for model, ours, theirs in (
        (SendTextAction, found, expected),
        (MessagingChannel, found.channel, expected.channel),
    ):
        for field in model._meta.concrete_fields:
            value = getattr(ours, field.attname)
            assert value == getattr(theirs, field.attname), field.name
            assert type(value) is type(getattr(theirs, field.attname)), field.name


def test_the_fields_the_invoke_lookup_defers_exist():
    for model, deferred in (
        (SendTextAction, invoke.ACTION_DEFERRED),
        (MessagingChannel, invoke.CHANNEL_DEFERRED),
    ):
        names = {f.name for f in model._meta.concrete_fields}
        assert set(deferred) <= names


# What the claim does not read of a message: when Message gains a field, decide here whether
# sending needs it (then add it to ClaimedMessage), so no column is ever read by position.
NOT_CLAIMED = {
    "id",
    "action",
    "action_name",
    "channel",
    "channel_name",
    "agent",
    "agent_name",
    "is_test",
    "environment",
    "conversation_id",
    "parameters",
    "variables",
    "status",
    "provider_sid",
    "provider_status",
    "error_code",
    "error_message",
    "idempotency_key",
    "request_hash",
    "resent_from",
    "redacted_at",
    "due_at",
    "created_at",
    "updated_at",
}


def test_every_field_of_a_message_is_either_read_by_the_claim_or_known_not_to_be():
    claimed = {f.name for f in fields(status.ClaimedMessage)} - {"id", "channel"}
    message_fields = {f.name for f in Message._meta.concrete_fields}
    assert claimed <= message_fields
    assert claimed | NOT_CLAIMED == message_fields
    assert {f.name for f in fields(status.ChannelRef)} <= {
        f.name for f in MessagingChannel._meta.concrete_fields
    }


@pytest.mark.django_db(transaction=True)
def test_a_claimed_message_carries_the_rows_values_by_name():
    channel = make_channel(account_sid="AC" + "1" * 32)
    message = Message(
        channel=channel, to="+15551234567", sender="+15005550006", body="Hi", provider="console"
    )
    assert outbox._insert(message, "test")

    claimed, why_not = status.claim(message.pk)

    assert why_not == ""
    assert (claimed.attempts, claimed.to, claimed.sender, claimed.body, claimed.provider) == (
        1,
        "+15551234567",
        "+15005550006",
        "Hi",
        "console",
    )
    assert claimed.channel == status.ChannelRef("console", "AC" + "1" * 32, "")
    assert status.claim(message.pk) == (None, "already sending")


# --- Every error code the OpenAPI document advertises is raised ------------------------------


def test_every_error_code_in_the_openapi_document_is_raised_somewhere():
    raised = set()
    for _, tree in modules():
        for node, name in calls(tree):
            # ApiError(status, code, …) and cannot_send(action, code, …)
            if name.endswith(("ApiError", "cannot_send")) and len(node.args) >= 2:
                code = node.args[1]
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    raised.add(code.value)
            if name.endswith("invalid_request"):
                raised.add("invalid_request")
    advertised = {code for codes in ERROR_CODES.values() for code in codes}
    assert advertised - raised == set()
