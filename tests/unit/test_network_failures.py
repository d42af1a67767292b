"""A provider that cannot be reached is explained in plain words, with its cause and a code of
its own — never the network library's text — on the message's timeline, in the list, the CSV
and the message page."""

import pytest
import requests
from django.urls import reverse

from actions.messaging.provider_errors import explain
from actions.messaging.providers.twilio import provider_error
from actions.messaging.tasks import send_message
from actions.models import Message
from tests.factories import make_twilio_channel

pytestmark = pytest.mark.django_db


def failure_of(url: str, timeout: float = 2):
    try:
        requests.post(url, timeout=timeout)
    except requests.RequestException as exc:
        return provider_error(exc)
    raise AssertionError("the request did not fail")


def test_a_name_that_does_not_resolve_is_said_as_such():
    error = failure_of("https://api.twilio.invalid/2010-04-01/Accounts")
    assert error.code == "network_dns"
    assert error.message == (
        "Twilio could not be reached: the name api.twilio.invalid did not resolve — check the "
        "network or TWILIO_API_BASE_URL"
    )


def test_a_refused_connection_is_said_as_such():
    error = failure_of("http://127.0.0.1:1/")
    assert error.code == "network_refused"
    assert error.message == (
        "Twilio could not be reached: 127.0.0.1 refused the connection — check the network or "
        "TWILIO_API_BASE_URL"
    )


@pytest.mark.parametrize(
    "code",
    ["network_dns", "network_refused", "network_timeout", "network_tls", "network_reset",
     "no_answer", "network"],
)  # fmt: skip
def test_each_network_code_is_explained(code):
    explanation = explain(code)
    assert explanation.known and explanation.title and "resend" in explanation.action


def test_a_send_that_cannot_reach_twilio_fails_in_plain_words(client, admin_user, twilio, settings):
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:1"
    settings.SEND_MAX_ATTEMPTS = 1
    channel = make_twilio_channel(twilio, messages_per_second=1000)
    message = Message.objects.create(
        channel=channel, to="+15551234567", sender=channel.sender, body="Hi", provider="twilio"
    )
    assert send_message(str(message.pk)) == "failed"
    message.refresh_from_db()
    assert message.error_code == "network_refused"
    assert "refused the connection" in message.error_message
    assert "HTTPConnectionPool" not in message.error_message
    client.force_login(admin_user)
    page = client.get(reverse("message_detail", args=[message.pk])).content.decode()
    assert "Connection refused" in page and "refused the connection" in page
    assert "network_refused" in client.get(reverse("sendlog_list")).content.decode()
