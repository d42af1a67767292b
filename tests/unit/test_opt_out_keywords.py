"""Opt-out keywords as carriers, Twilio and the FCC define them and as people type them — one
test per entry of the table in messaging/keywords.py — through the signed inbound webhook."""

import pytest
from django.conf import settings
from twilio.request_validator import RequestValidator

from actions.channels.forms import ChannelForm
from actions.messaging import keywords
from actions.models import OptOut, OptOutSource

pytestmark = pytest.mark.django_db

TOKEN = "channel-auth-token"
CALLER = "+15551234567"


def channel(sender="+15005550006", name="customer_notifications"):
    form = ChannelForm(
        {"name": name, "provider": "twilio", "sender": sender,
         "account_sid": "AC" + "0" * 32, "auth_token": TOKEN, "stop_confirmation": "on"}
    )  # fmt: skip
    assert form.is_valid(), form.errors
    return form.save()


def reply(client, body, to="+15005550006", number=CALLER):
    params = {"From": number, "To": to, "Body": body, "AccountSid": "AC" + "0" * 32}
    url = settings.PUBLIC_BASE_URL + "/webhooks/twilio/inbound"
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    response = client.post("/webhooks/twilio/inbound", params,
                           headers={"X-Twilio-Signature": signature})  # fmt: skip
    assert response.status_code == 200
    return OptOut.objects.filter(number=number, sender=to).exists()


@pytest.mark.parametrize("word", keywords.OPT_OUT_WORDS)
def test_each_english_opt_out_word_alone_opts_out(client, word):
    channel()
    assert reply(client, word.lower())


@pytest.mark.parametrize(
    "body",
    ["Stop!", "  STOP.  ", "stop please", "please stop texting me", "Unsubscribe me",
     "ＳＴＯＰ", "Opt out", "quit it", "END!!!", "revoke", "cancel pls"],
)  # fmt: skip
def test_replies_as_people_type_them_opt_out(client, body):
    channel()
    assert reply(client, body)


@pytest.mark.parametrize(
    "body",
    ["ſtop", "\u212aeep me posted", "When does the event end on Friday and can I bring friends",
     "stopping by later", "hello", "", "STARTLE"],
)  # fmt: skip
def test_look_alikes_long_sentences_and_other_words_do_not(client, body):
    channel()
    assert not reply(client, body)


@pytest.mark.parametrize(
    ("country_sender", "words"),
    [
        ("+33612345678", keywords.LANGUAGE_OPT_OUT["fr"]),
        ("+34612345678", keywords.LANGUAGE_OPT_OUT["es"]),
        ("+351912345678", keywords.LANGUAGE_OPT_OUT["pt"]),
        ("+4915112345678", keywords.LANGUAGE_OPT_OUT["de"]),
        ("+31612345678", keywords.LANGUAGE_OPT_OUT["nl"]),
        ("+393123456789", keywords.LANGUAGE_OPT_OUT["it"]),
        ("+15005550006", keywords.LANGUAGE_OPT_OUT["es"]),  # US channels read Spanish too
    ],
)
def test_each_language_word_opts_out_on_a_channel_of_its_countries(client, country_sender, words):
    channel(sender=country_sender)
    for n, word in enumerate(words):
        number = f"+1555123{n:04d}"
        assert reply(client, word.capitalize(), to=country_sender, number=number), word


def test_a_language_word_is_not_read_where_that_language_is_not_spoken(client):
    channel(sender="+447700900000")  # GB: English only
    assert not reply(client, "ARRET", to="+447700900000")


def test_start_lifts_only_the_opt_out_a_stop_made(client):
    channel()
    assert reply(client, "stop")
    assert not reply(client, "start")
    OptOut.objects.create(number=CALLER, sender="", source=OptOutSource.MANUAL)
    OptOut.objects.create(number=CALLER, sender="+15005550006", source=OptOutSource.MANUAL)
    reply(client, "START")
    assert OptOut.objects.filter(number=CALLER).count() == 2  # an admin's stay


@pytest.mark.parametrize(("body", "kind"), [("HELP", "help"), ("info?", "help"),
                                            ("Yes", "start"), ("unstop", "start")])  # fmt: skip
def test_help_and_opt_in_words_are_read(body, kind):
    assert keywords.read(body) == kind


def test_a_stop_to_a_messaging_service_number_blocks_the_services_sends(client):
    from actions.messaging import outbox
    from actions.models import Message

    service = "MG" + "b" * 32
    channel(sender=service)
    params = {"From": CALLER, "To": "+15005550999", "Body": "STOP",
              "MessagingServiceSid": service, "AccountSid": "AC" + "0" * 32}  # fmt: skip
    url = settings.PUBLIC_BASE_URL + "/webhooks/twilio/inbound"
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    response = client.post("/webhooks/twilio/inbound", params,
                           headers={"X-Twilio-Signature": signature})  # fmt: skip
    assert response.status_code == 200  # signed with the service channel's own token
    assert OptOut.objects.filter(number=CALLER, sender=service).exists()
    message = Message(to=CALLER, sender=service, body="Hi", provider="twilio")
    assert not outbox.create(message, "test")  # the service's next send is refused


def answer_of(client, body, to="+15005550006"):
    params = {"From": CALLER, "To": to, "Body": body, "AccountSid": "AC" + "0" * 32}
    url = settings.PUBLIC_BASE_URL + "/webhooks/twilio/inbound"
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    return client.post("/webhooks/twilio/inbound", params,
                       headers={"X-Twilio-Signature": signature}).content.decode()  # fmt: skip


def test_help_gets_the_channels_text_and_stop_a_confirmation_unless_turned_off(client):
    made = channel()
    assert "<Message>Customer notifications: automated messages from our voice assistant. " in (
        answer_of(client, "HELP")
    )
    made.help_text = "Acme Dental: appointment texts. Reply STOP to opt out."
    made.save()
    assert "<Message>Acme Dental: appointment texts." in answer_of(client, "info")
    assert "<Message>You have been unsubscribed" in answer_of(client, "STOP")
    made.stop_confirmation = False  # the provider confirms (Twilio's Advanced Opt-Out)
    made.save()
    assert "<Message>" not in answer_of(client, "STOP")


def test_help_text_and_stop_confirmation_round_trip_through_the_file(settings):
    from actions import configfile

    # Credentials are not in the file: the re-created channel takes the environment's.
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, TOKEN
    from actions.models import MessagingChannel

    made = channel()
    made.help_text, made.stop_confirmation = "Acme: texts. Reply STOP to opt out.", False
    made.save()
    exported = configfile.export_config()
    assert "help_text: 'Acme: texts. Reply STOP to opt out.'" in exported
    assert "stop_confirmation: false" in exported
    MessagingChannel.objects.all().delete()
    configfile.apply(configfile.load(exported))
    assert configfile.export_config() == exported


def test_a_stop_and_a_start_are_in_the_audit_trail(client):
    channel()
    assert reply(client, "STOP")
    assert not reply(client, "START")
    records = OptOut.history.filter(number=CALLER).order_by("history_date")
    assert [(r.history_type, r.source, r.history_user) for r in records] == [
        ("+", "inbound", None),
        ("-", "inbound", None),
    ]
