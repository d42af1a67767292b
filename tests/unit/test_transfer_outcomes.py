"""The transfer callback at the HTTP edge: the signature decides, each outcome is recorded once,
the caller is never left in silence; the handoff log shows and filters the outcomes, and the
dashboard counts them beside the messages."""

import pytest
from django.urls import reverse
from twilio.request_validator import RequestValidator

from actions.models import Agent, HandoffLog, Message
from tests.factories import make_handoff

pytestmark = pytest.mark.django_db

TOKEN = "b" * 32


@pytest.fixture
def log(settings):
    settings.TWILIO_ACCOUNT_SID = "AC" + "a" * 32
    settings.TWILIO_AUTH_TOKEN = TOKEN
    agent = Agent.objects.create(name="booking_bot")
    handoff = make_handoff("agent_queue")
    return HandoffLog.objects.create(
        handoff=handoff, handoff_name=handoff.name, agent=agent, agent_name=agent.name,
        call_sid="CA" + "1" * 32, outcome="redirected",
    )  # fmt: skip


def callback(client, settings, log, params, token=TOKEN):
    path = reverse("twilio_transfer", args=[log.pk])
    signature = RequestValidator(token).compute_signature(settings.PUBLIC_BASE_URL + path, params)
    return client.post(path, params, headers={"X-Twilio-Signature": signature})


@pytest.mark.parametrize(
    ("params", "outcome", "bridged", "says"),
    [
        ({"DialCallStatus": "completed", "DialCallDuration": "42"}, "completed", 42, False),
        ({"DialCallStatus": "busy", "DialCallDuration": "0"}, "busy", 0, True),
        ({"DialCallStatus": "no-answer"}, "no-answer", 0, True),
        ({"ReferCallStatus": "failed"}, "failed", 0, True),
    ],
)
def test_each_outcome_is_recorded_and_answered_with_twiml(
    client, settings, log, params, outcome, bridged, says
):
    response = callback(client, settings, log, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    body = response.content.decode()
    assert body.endswith("<Hangup /></Response>")
    assert ("<Say>" in body) is says  # a failed transfer is never silence
    log.refresh_from_db()
    assert (log.transfer_outcome, log.bridged_seconds) == (outcome, bridged)


def test_a_repeated_callback_records_nothing_twice(client, settings, log):
    callback(client, settings, log, {"DialCallStatus": "busy"})
    callback(client, settings, log, {"DialCallStatus": "completed", "DialCallDuration": "9"})
    log.refresh_from_db()
    assert log.transfer_outcome == "busy"


@pytest.mark.parametrize("token", ["c" * 32, ""])
def test_a_wrong_or_missing_signature_is_403_and_changes_nothing(client, settings, log, token):
    response = callback(client, settings, log, {"DialCallStatus": "completed"}, token=token)
    assert response.status_code == 403
    log.refresh_from_db()
    assert log.transfer_outcome == ""


def test_an_unknown_status_is_400(client, settings, log):
    assert callback(client, settings, log, {"DialCallStatus": "ringing-forever"}).status_code == 400


def test_the_log_shows_and_filters_transfer_outcomes_and_the_dashboard_counts_them(
    admin_client, log
):
    HandoffLog.objects.filter(pk=log.pk).update(transfer_outcome="busy", bridged_seconds=0)
    other = HandoffLog.objects.create(handoff_name="agent_queue", outcome="returned")
    page = admin_client.get(reverse("handoff_log"), {"transfer": "busy"}).content.decode()
    assert 'class="status transfer-busy">Busy</span>' in page
    assert page.count('data-testid="transfer-outcome"') == 1
    assert other.pk  # not listed: its transfer has no outcome
    Message.objects.create(to="+15551234567", sender="+15005550006", body="Hi", provider="console")
    board = admin_client.get("/").context["board"]
    assert [(t.outcome, t.count) for t in board.transfers] == [("busy", 1)]
