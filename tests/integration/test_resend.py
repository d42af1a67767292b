"""Resend end to end: a message that failed through the real worker and the Twilio emulator is
resent from its page, and the new message goes through."""

import json

import pytest

from actions.models import Agent, ApiKey, Message
from tests.factories import make_action, make_twilio_channel
from tests.integration.test_send_pipeline import creates, wait_for_status

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CALLER = "+15551234567"


@pytest.fixture
def key(twilio):
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_twilio_channel(twilio)))
    return ApiKey.issue(agent, "sandbox")[1]


def invoke(client, key) -> str:
    response = client.post(
        "/api/v1/actions/send_booking_confirmation/invoke",
        json.dumps(
            {
                "conversation_id": "CA-42",
                "contact": {"phone_number": CALLER},
                "parameters": {"booking_reference": "ABC123"},
            }
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 202
    return response.json()["id"]


def resend(client, admin_user, original: Message) -> Message:
    client.force_login(admin_user)
    response = client.post(f"/send-log/{original.pk}/resend/")
    assert response.status_code == 302
    copy = Message.objects.get(resent_from=original)
    assert response["Location"] == f"/send-log/{copy.pk}/"
    return copy


def test_a_message_that_failed_after_every_retry_is_resent_and_delivered(
    client, admin_user, key, twilio, celery_worker
):
    twilio.fail_next(5, 503)  # every attempt of the first send
    original = wait_for_status(invoke(client, key), {"failed"}, celery_worker)
    assert original.error_code == "20503"
    assert creates(twilio) == []

    copy = resend(client, admin_user, original)
    copy = wait_for_status(copy.pk, {"delivered"}, celery_worker)

    [sent] = creates(twilio)
    assert sent.form["To"] == CALLER and sent.form["Body"] == original.body
    assert copy.provider_sid == sent_sid(twilio)
    assert copy.attempts == 1 and copy.error_code == ""
    assert list(copy.events.values_list("status", flat=True)) == [
        "queued",
        "sending",
        "sent",
        "delivered",
    ]
    original_page = client.get(f"/send-log/{original.pk}/").content.decode()
    assert "Error 20503: Twilio unavailable" in original_page
    assert original_page.count("↻ retry") == 4
    assert f'Resent as <a href="/send-log/{copy.pk}/"' in original_page


def test_an_undelivered_message_is_resent_once_the_handset_is_back(
    client, admin_user, key, twilio, celery_worker
):
    twilio.set_final_status(CALLER, "undelivered", 30003)
    original = wait_for_status(invoke(client, key), {"undelivered"}, celery_worker)
    assert original.error_code == "30003"

    twilio.set_final_status(CALLER, "delivered")
    copy = wait_for_status(resend(client, admin_user, original).pk, {"delivered"}, celery_worker)

    assert len(creates(twilio)) == 2
    assert copy.provider_sid and copy.provider_sid != original.provider_sid
    original_page = client.get(f"/send-log/{original.pk}/").content.decode()
    assert "Error 30003: Unreachable handset" in original_page


def sent_sid(twilio) -> str:
    [sid] = list(twilio.messages)
    return sid
