import time

import pytest

from actions.models import Message
from tests.factories import make_channel

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_test_message_goes_through_the_worker_and_its_outcome_reaches_the_page(
    client, admin_user, celery_worker
):
    channel = make_channel(sender_sandbox="+441111111111")
    client.force_login(admin_user)
    response = client.post(
        f"/channels/{channel.pk}/test/",
        {"to": "+1 555 123 4567", "environment": "sandbox"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    message = Message.objects.get()
    assert message.is_test and message.to == "+15551234567"
    assert message.sender == "+441111111111"
    assert "customer_notifications" in message.body

    assert wait_for(lambda: Message.objects.get().status == "delivered"), celery_worker.output()
    status_url = f"/messages/{message.pk}/status/"
    fragment = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "delivered" in fragment
    assert "hx-get" not in fragment  # polling stops at a terminal status
    steps = list(Message.objects.get().events.values_list("status", flat=True))
    assert steps == ["queued", "sending", "sent", "delivered"]
    assert "+15551234567" not in celery_worker.output()  # the worker log masks the number


def test_a_test_message_to_a_bad_number_is_refused_on_the_form(client, admin_user, redis_url):
    channel = make_channel()
    client.force_login(admin_user)
    response = client.post(
        f"/channels/{channel.pk}/test/", {"to": "12345"}, headers={"HX-Request": "true"}
    )
    assert "is not an international phone number" in response.content.decode()
    assert not Message.objects.exists()
