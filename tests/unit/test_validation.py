import pytest
from django.core.exceptions import ValidationError

from actions.common.validation import (
    normalise_e164,
    normalise_sender,
    validate_account_sid,
    validate_identifier,
    validate_tool_name,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+1 (555) 123-4567", "+15551234567"),
        ("+44 1234 567890", "+441234567890"),
        (" +15005550006 ", "+15005550006"),
        ("+33 6 12 34 56 78", "+33612345678"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(typed, stored):
    assert normalise_e164(typed) == stored


@pytest.mark.parametrize(
    "typed", ["5551234567", "+4412", "+999123456", "hello", "", "+1 555 CALL NOW"]
)
def test_what_cannot_be_an_international_number_is_refused_with_the_format(typed):
    with pytest.raises(ValidationError) as exc:
        normalise_e164(typed)
    assert "+15551234567" in exc.value.messages[0]


def test_a_sender_is_a_number_or_a_messaging_service_sid():
    sid = "MG" + "ab" * 16
    assert normalise_sender(sid) == sid
    assert normalise_sender("+1 500 555 0006") == "+15005550006"
    with pytest.raises(ValidationError, match="32 hexadecimal"):
        normalise_sender("MG123")
    with pytest.raises(ValidationError, match="1 to 11 letters"):
        normalise_sender("not a sender")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("12345", "12345"), ("123 456", "123456"), ("Acme", "Acme"), ("Acme Dental", "Acme Dental"),
     ("ACME2024", "ACME2024")],
)  # fmt: skip
def test_short_codes_and_alphanumeric_sender_ids_are_senders(typed, stored):
    assert normalise_sender(typed) == stored


@pytest.mark.parametrize(
    ("typed", "says"),
    [("1234", "not an international"), ("1234567", "not an international"),
     ("Acme Dental Care", "1 to 11 letters"), ("Acme!", "1 to 11 letters"),
     ("12345678901", "not an international")],
)  # fmt: skip
def test_other_senders_are_refused_saying_what_is_accepted(typed, says):
    with pytest.raises(ValidationError) as exc:
        normalise_sender(typed)
    assert says in exc.value.messages[0]


def test_an_account_sid_is_ac_and_32_hex_digits():
    validate_account_sid("AC" + "0" * 32)
    validate_account_sid("")
    with pytest.raises(ValidationError, match="AC followed by 32"):
        validate_account_sid("AC123")


@pytest.mark.parametrize("name", ["send_booking_confirmation", "_x", "A1", "a" * 64])
def test_valid_tool_names(name):
    validate_tool_name(name)


@pytest.mark.parametrize("name", ["", "1abc", "send-sms", "send sms", "a" * 65, "né"])
def test_invalid_tool_names_are_refused(name):
    with pytest.raises(ValidationError, match="letters, digits and underscores"):
        validate_tool_name(name)


def test_identifiers_are_lowercase():
    validate_identifier("customer_notifications")
    with pytest.raises(ValidationError):
        validate_identifier("Customer Notifications")


# One reading of a typed number: the channel form's sender, its test message's recipient and
# the send-log search agree on every input — the same number, or both refuse.
TYPED_NUMBERS = [
    "+44 7700 900123",
    "0044 7700 900123",
    "+1 (555) 123-4567",
    "+1.555.123.4567",
    "+1 555/123/4567",
    "7700 900123",
    "+44 7700 9001234567",
    "+1 555·123·4567",
    "+44 77OO 900123",
    "++447700900123",
]


@pytest.mark.django_db
@pytest.mark.parametrize("typed", TYPED_NUMBERS)
def test_the_channel_form_and_the_send_log_search_read_a_number_alike(typed):
    from actions.channels.forms import TestMessageForm
    from actions.models import Message
    from actions.sendlog import query
    from actions.sendlog.forms import SendLogFilterForm

    def outcome(read):
        try:
            return read()
        except ValidationError:
            return "refused"

    sender = outcome(lambda: normalise_sender(typed))
    test_form = TestMessageForm(data={"to": typed})
    test_form.is_valid()
    recipient = test_form.cleaned_data.get("to", "refused")
    search_form = SendLogFilterForm(data={"q": typed})
    searched = "refused" if "q" in search_form.errors else "accepted"
    found = outcome(lambda: str(query.search(Message.objects.all(), typed).query))

    assert sender == recipient
    assert searched == ("refused" if sender == "refused" else "accepted")
    if sender != "refused":
        assert f'"to" = {sender}' in found.replace("'", "") or sender in found
