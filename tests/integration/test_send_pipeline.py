"""The send pipeline end to end: API -> Redis -> a real worker -> the Twilio SDK -> the
emulator -> signed status callbacks -> the live server's webhook."""

import json
import threading
import time

import pytest
import requests

from actions.messaging.tasks import send_message
from actions.models import Agent, ApiKey, Message
from tests.factories import make_action, make_twilio_channel

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BODY = {
    "conversation_id": "CA-42",
    "contact": {"phone_number": "+15551234567"},
    "parameters": {"booking_reference": "ABC123"},
}


@pytest.fixture
def key(twilio):
    agent = Agent.objects.create(name="booking_bot")
    # The pipeline, not a carrier's rate: each test's sends go out at once, not behind the
    # turns of the module's earlier tests (tests/integration/test_sender_throughput.py).
    agent.actions.add(make_action(make_twilio_channel(twilio, messages_per_second=1000)))
    return ApiKey.issue(agent, "sandbox")[1]


def invoke(client, key, body=BODY, **headers):
    return client.post(
        "/api/v1/actions/send_booking_confirmation/invoke",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", **headers},
    )


def wait_for_status(message_id, statuses, worker, timeout=20.0) -> Message:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = Message.objects.get(pk=message_id)
        if message.status in statuses:
            return message
        time.sleep(0.05)
    raise AssertionError(f"message stayed {message.status}:\n{worker.output()[-3000:]}")


def creates(twilio):
    return [r for r in twilio.requests if r.path.endswith("/Messages.json") and r.status == 201]


def test_the_booking_confirmation_goes_from_invoke_to_delivered(
    client, key, twilio, celery_worker, live_server
):
    response = invoke(client, key)
    assert response.status_code == 202
    message = wait_for_status(response.json()["id"], {"delivered"}, celery_worker)

    [sent] = creates(twilio)
    assert sent.form["To"] == "+15551234567"
    assert sent.form["From"] == "+15005550006"
    assert sent.form["Body"] == message.body
    assert sent.form["StatusCallback"] == (
        f"{live_server.url}/webhooks/twilio/status?message={message.pk}"
    )
    assert message.provider_sid.startswith("SM")
    assert list(message.events.values_list("status", flat=True)) == [
        "queued",
        "sending",
        "sent",
        "delivered",
    ]
    assert [c["http_status"] for c in twilio.callbacks_sent] == [204, 204]


def test_a_429_then_success_retries_and_sends_exactly_once(client, key, twilio, celery_worker):
    twilio.fail_next(1, 429)
    response = invoke(client, key)
    message = wait_for_status(response.json()["id"], {"delivered"}, celery_worker)
    assert len(creates(twilio)) == 1
    assert message.attempts == 2
    details = list(message.events.values_list("detail", flat=True))
    assert any(d.startswith("Retrying in") and "Too Many Requests" in d for d in details)


def test_a_burst_of_500s_is_retried_until_it_goes_through(client, key, twilio, celery_worker):
    twilio.fail_next(3, 500)
    response = invoke(client, key)
    message = wait_for_status(response.json()["id"], {"delivered"}, celery_worker)
    assert message.attempts == 4 and len(creates(twilio)) == 1


def test_transient_failures_give_up_after_the_attempt_limit(client, key, twilio, celery_worker):
    twilio.fail_next(10, 503)
    response = invoke(client, key)
    message = wait_for_status(response.json()["id"], {"failed"}, celery_worker)
    assert message.attempts == 5
    assert message.events.last().detail.startswith("Gave up after 5 attempts")
    assert creates(twilio) == []


def test_an_unsubscribed_recipient_fails_permanently_with_the_code(
    client, key, twilio, celery_worker
):
    response = invoke(client, key, {**BODY, "contact": {"phone_number": "+15005550004"}})
    message = wait_for_status(response.json()["id"], {"failed"}, celery_worker)
    assert message.error_code == "21610"
    assert message.attempts == 1
    assert len([r for r in twilio.requests if r.path.endswith("/Messages.json")]) == 1


def test_a_redelivered_task_for_a_sent_message_sends_nothing(client, key, twilio, celery_worker):
    response = invoke(client, key)
    message = wait_for_status(response.json()["id"], {"delivered"}, celery_worker)
    again = send_message.apply_async((str(message.pk),), ignore_result=False)
    assert again.get(timeout=20) == "already delivered"
    assert len(creates(twilio)) == 1


def test_concurrent_idempotent_requests_create_one_message(key, twilio, celery_worker, live_server):
    url = f"{live_server.url}/api/v1/actions/send_booking_confirmation/invoke"
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "call-42-confirmation"}
    answers = []
    start = threading.Barrier(20)

    def post():
        start.wait()
        answers.append(requests.post(url, json=BODY, headers=headers, timeout=30))

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [202] * 20
    assert len({a.json()["id"] for a in answers}) == 1
    assert Message.objects.count() == 1
    wait_for_status(answers[0].json()["id"], {"delivered"}, celery_worker)
    assert len(creates(twilio)) == 1
