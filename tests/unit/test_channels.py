import pytest

from actions.channels import credentials
from actions.channels.forms import ChannelForm
from actions.models import MessagingChannel
from tests.factories import make_action, make_channel

pytestmark = pytest.mark.django_db

ACCOUNT_SID = "AC" + "1234abcd" * 4


def channel_data(**overrides):
    data = {
        "name": "customer_notifications",
        "provider": "twilio",
        "sender": "+1 (500) 555-0006",
        "sender_sandbox": "",
        "sender_pre_release": "",
        "sender_live": "",
        "account_sid": ACCOUNT_SID,
        "auth_token": "s3cr3t-token-value",
    }
    data.update(overrides)
    return data


def test_a_channel_stores_its_sender_in_e164_and_its_token_encrypted():
    form = ChannelForm(channel_data(sender_live="+44 3333 333333"))
    assert form.is_valid(), form.errors
    channel = form.save()
    channel.refresh_from_db()
    assert channel.sender == "+15005550006"
    assert channel.sender_live == "+443333333333"
    assert "s3cr3t-token-value" not in channel.auth_token_encrypted
    assert credentials.for_channel(channel) == (ACCOUNT_SID, "s3cr3t-token-value")


def test_the_sender_for_an_environment_falls_back_to_the_default():
    channel = make_channel(sender_sandbox="+441111111111")
    assert channel.sender_for("sandbox") == "+441111111111"
    assert channel.sender_for("live") == "+15005550006"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sender", "1234", "international"),
        ("sender", "MG123", "32 hexadecimal"),
        ("sender_live", "+4412", "wrong number of digits"),
        ("account_sid", "AC123", "AC followed by 32"),
        ("name", "Customer Notifications", "lowercase"),
    ],
)
def test_each_invalid_field_is_refused_with_a_message_on_that_field(field, value, message):
    form = ChannelForm(channel_data(**{field: value}))
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])
    assert not MessagingChannel.objects.exists()


def test_a_twilio_channel_without_credentials_anywhere_is_refused(settings):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""
    form = ChannelForm(channel_data(account_sid="", auth_token=""))
    assert not form.is_valid()
    assert "Account SID" in form.errors["account_sid"][0]
    assert "auth token" in form.errors["auth_token"][0]


def test_a_twilio_channel_may_use_the_environment_credentials(settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = ACCOUNT_SID, "from-env"
    form = ChannelForm(channel_data(account_sid="", auth_token=""))
    assert form.is_valid(), form.errors
    assert credentials.for_channel(form.save()) == (ACCOUNT_SID, "from-env")


def test_the_auth_token_is_never_rendered_and_blank_keeps_it(client, admin_user):
    channel = ChannelForm(channel_data()).save()
    client.force_login(admin_user)
    page = client.get(f"/channels/{channel.pk}/").content.decode()
    assert "s3cr3t-token-value" not in page
    assert channel.auth_token_encrypted not in page
    assert "Set — leave blank to keep it." in page

    response = client.post(
        f"/channels/{channel.pk}/", channel_data(auth_token="", sender="+15005550006")
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert credentials.for_channel(channel)[1] == "s3cr3t-token-value"


def test_the_stored_token_can_be_removed(client, admin_user, settings):
    settings.TWILIO_AUTH_TOKEN = "from-env"
    channel = ChannelForm(channel_data()).save()
    client.force_login(admin_user)
    client.post(f"/channels/{channel.pk}/", channel_data(auth_token="", clear_auth_token="on"))
    channel.refresh_from_db()
    assert channel.auth_token_encrypted == ""


def test_a_channel_used_by_an_action_cannot_be_deleted_and_the_page_says_by_what(
    client, admin_user
):
    action = make_action()
    client.force_login(admin_user)
    page = client.get(f"/channels/{action.channel_id}/delete/").content.decode()
    assert "cannot be deleted" in page
    assert "send_booking_confirmation" in page
    client.post(f"/channels/{action.channel_id}/delete/")
    assert MessagingChannel.objects.filter(pk=action.channel_id).exists()


def test_an_unused_channel_is_deleted_after_confirmation(client, admin_user):
    channel = make_channel()
    client.force_login(admin_user)
    assert "Delete channel" in client.get(f"/channels/{channel.pk}/delete/").content.decode()
    assert MessagingChannel.objects.filter(pk=channel.pk).exists()  # a GET deletes nothing
    response = client.post(f"/channels/{channel.pk}/delete/")
    assert response.status_code == 302
    assert not MessagingChannel.objects.filter(pk=channel.pk).exists()


def test_the_admin_site_uses_the_same_validation(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/admin/actions/messagingchannel/add/", channel_data(sender="1234"))
    assert response.status_code == 200
    assert "is not an international phone number" in response.content.decode()
    assert not MessagingChannel.objects.exists()


def test_the_channel_list_shows_each_channel(client, admin_user):
    make_channel()
    client.force_login(admin_user)
    page = client.get("/channels/").content.decode()
    assert "customer_notifications" in page
    assert "+15005550006" in page
