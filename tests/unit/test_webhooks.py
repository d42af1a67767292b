import pytest
from django.conf import settings
from twilio.request_validator import RequestValidator

from actions.channels.forms import ChannelForm
from actions.models import Message, MessageEvent, OptOut

pytestmark = pytest.mark.django_db

TOKEN = "channel-auth-token"


@pytest.fixture
def channel():
    form = ChannelForm(
        {
            "name": "customer_notifications",
            "provider": "twilio",
            "sender": "+15005550006",
            "account_sid": "AC" + "0" * 32,
            "auth_token": TOKEN,
        }
    )
    assert form.is_valid(), form.errors
    return form.save()


@pytest.fixture
def message(channel):
    message = Message.objects.create(
        channel=channel,
        to="+15551234567",
        sender="+15005550006",
        body="Hi",
        provider="twilio",
        status="sent",
        provider_sid="SM" + "a" * 32,
    )
    return message


def post_signed(client, path, params, token=TOKEN, signature=None):
    url = settings.PUBLIC_BASE_URL + path
    signature = signature or RequestValidator(token).compute_signature(url, params)
    return client.post(path, params, headers={"X-Twilio-Signature": signature})


def status_params(message, status, **extra):
    return {
        "MessageSid": message.provider_sid,
        "MessageStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "To": message.to,
        "From": message.sender,
        **extra,
    }


def test_a_signed_delivery_report_moves_the_message_forward(client, message):
    path = f"/webhooks/twilio/status?message={message.pk}"
    response = post_signed(client, path, status_params(message, "delivered"))
    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == "delivered" and message.provider_status == "delivered"
    assert list(message.events.values_list("status", flat=True)) == ["delivered"]


def test_a_report_found_by_its_sid_alone_works_too(client, message):
    response = post_signed(client, "/webhooks/twilio/status", status_params(message, "delivered"))
    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == "delivered"


@pytest.mark.parametrize("signature", ["", "forged", "wrong-token"])
def test_a_missing_or_forged_signature_is_403_and_changes_nothing(client, message, signature):
    path = f"/webhooks/twilio/status?message={message.pk}"
    params = status_params(message, "failed", ErrorCode="30003")
    if signature == "wrong-token":
        response = post_signed(client, path, params, token="another-token")
    elif signature:
        response = post_signed(client, path, params, signature=signature)
    else:
        response = client.post(path, params)
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == "sent" and message.error_code == ""
    assert not MessageEvent.objects.exists()


def test_a_late_sent_never_overwrites_delivered_and_duplicates_are_harmless(client, message):
    path = f"/webhooks/twilio/status?message={message.pk}"
    post_signed(client, path, status_params(message, "delivered"))
    post_signed(client, path, status_params(message, "delivered"))
    post_signed(client, path, status_params(message, "sent"))
    message.refresh_from_db()
    assert message.status == "delivered"
    assert message.events.count() == 1


def test_an_undelivered_report_records_the_error_code(client, message):
    path = f"/webhooks/twilio/status?message={message.pk}"
    post_signed(client, path, status_params(message, "undelivered", ErrorCode="30003"))
    message.refresh_from_db()
    assert message.status == "undelivered" and message.error_code == "30003"


def test_a_stop_reply_opts_the_number_out_and_start_opts_it_back_in(client, channel):
    params = {"From": "+15551234567", "To": "+15005550006", "Body": " stop "}
    response = post_signed(client, "/webhooks/twilio/inbound", params)
    assert response.status_code == 200 and "<Response>" in response.content.decode()
    assert OptOut.blocks("+15551234567", "+15005550006")
    post_signed(client, "/webhooks/twilio/inbound", {**params, "Body": "START"})
    assert not OptOut.blocks("+15551234567", "+15005550006")


def test_an_unsigned_inbound_reply_changes_nothing(client, channel):
    params = {"From": "+15551234567", "To": "+15005550006", "Body": "STOP"}
    assert client.post("/webhooks/twilio/inbound", params).status_code == 403
    assert not OptOut.objects.exists()
