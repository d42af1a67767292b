"""The consent ledger (evidence of each consented send, its page and CSV, masked per role),
the consent question in the tool's description, the Opt-outs page (list, search, add and
remove by hand with a reason, CSV import and export, the audit trail) and a channel's public
opt-in policy."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actions.models import Agent, ApiKey, ConsentRecord, MessagingChannel, OptOut, SendTextAction
from tests.factories import make_action, make_channel
from tests.unit.test_api import BOOKING_BODY, invoke

pytestmark = pytest.mark.django_db

CONSENTED = {**BOOKING_BODY, "parameters": {"booking_reference": "A1", "caller_consent": True}}
QUESTION = "Can I text you your booking reference now?"


@pytest.fixture
def agent():
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_channel()))
    return agent


@pytest.fixture
def key(agent):
    return ApiKey.issue(agent, "sandbox")[1]


@pytest.fixture
def consenting(agent):
    agent.actions.update(require_consent=True, consent_prompt=QUESTION)
    return agent


def test_a_consented_send_records_its_evidence_and_others_record_nothing(
    client,
    consenting,
    key,
):
    declined = {**BOOKING_BODY, "parameters": {"booking_reference": "A1", "caller_consent": False}}
    assert invoke(client, key, declined).status_code == 422
    assert not ConsentRecord.objects.exists()

    response = invoke(client, key, CONSENTED)
    assert response.status_code == 202
    record = ConsentRecord.objects.get()
    assert str(record.message_id) == response.json()["id"]
    assert (record.conversation_id, record.action_name, record.agent_name) == (
        "CA-123", "send_booking_confirmation", "booking_bot",
    )  # fmt: skip
    assert (record.number, record.sender, record.channel_name) == (
        "+15551234567", "+15005550006", "customer_notifications",
    )  # fmt: skip
    assert record.reported is True and record.prompt == QUESTION
    assert record.created_at == record.message.created_at

    # An action without consent writes no evidence.
    consenting.actions.update(require_consent=False)
    assert invoke(client, key).status_code == 202
    assert ConsentRecord.objects.count() == 1


def test_an_opted_out_number_leaves_no_consent_record(client, consenting, key):
    OptOut.objects.create(number="+15551234567", sender="", source="manual", reason="asked")
    assert invoke(client, key, CONSENTED).status_code == 422
    assert not ConsentRecord.objects.exists()


def test_the_consent_question_is_in_the_tool_description_word_for_word(consenting):
    action = SendTextAction.objects.get()
    description = action.tool_definition()["function"]["description"]
    assert f"ask the caller exactly: “{QUESTION}”" in description
    action.consent_prompt = ""
    assert (
        "May I send you a text message with these details?"
        in (action.tool_definition()["function"]["description"])
    )


def test_the_consent_page_and_its_csv_mask_numbers_for_a_reviewer(
    client,
    consenting,
    key,
    admin_user,
    reviewer_user,
):
    assert invoke(client, key, CONSENTED).status_code == 202
    client.force_login(reviewer_user)
    page = client.get(reverse("consent_list")).content.decode()
    assert QUESTION in page and "+15551234567" not in page and "4567" in page
    rows = read_csv(client.get(reverse("consent_export")))
    assert rows[0]["number"] != "+15551234567" and rows[0]["number"].endswith("4567")
    assert rows[0]["consent_reported"] == "true" and rows[0]["consent_prompt"] == QUESTION
    assert rows[0]["conversation_id"] == "CA-123"

    client.force_login(admin_user)
    assert "+15551234567" in client.get(reverse("consent_list")).content.decode()
    assert read_csv(client.get(reverse("consent_export")))[0]["number"] == "+15551234567"
    # Searched by number or conversation.
    assert QUESTION in client.get(reverse("consent_list"), {"q": "CA-123"}).content.decode()
    assert QUESTION not in client.get(reverse("consent_list"), {"q": "CA-9"}).content.decode()
    # A number is read as the channel form reads it: any format with its country code.
    assert (
        QUESTION in client.get(reverse("consent_list"), {"q": "+1 (555) 123-4567"}).content.decode()
    )
    refused = client.get(reverse("consent_list"), {"q": "555 123 4567"}).content.decode()
    assert QUESTION not in refused and "not an international phone number" in refused


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_an_admin_opts_a_number_out_by_hand_and_every_send_to_it_is_refused(
    client,
    agent,
    key,
    admin_user,
):
    client.force_login(admin_user)
    response = client.post(
        reverse("optout_add"), {"number": "+1 555 123 4567", "sender": "", "reason": "complaint"}
    )
    assert response.status_code == 302
    optout = OptOut.objects.get()
    assert (optout.number, optout.sender, optout.source, optout.reason) == (
        "+15551234567", "", "manual", "complaint",
    )  # fmt: skip
    assert invoke(client, key).json()["error"]["code"] == "opted_out"

    # The audit trail says who and why.
    [added] = OptOut.history.all()
    assert added.history_user == admin_user and added.history_change_reason == (
        "Added by hand: complaint"
    )
    page = client.get(reverse("optout_list")).content.decode()
    assert "Added by hand: complaint" in page and admin_user.username in page


def test_adding_needs_a_reason_and_a_real_number_each_named(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("optout_add"), {"number": "not a number", "reason": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "is not a phone number" in page and 'id="id_reason_error"' in page
    assert not OptOut.objects.exists()


def test_removing_asks_first_with_a_reason_then_the_number_may_be_texted_again(
    client,
    agent,
    key,
    admin_user,
):
    optout = OptOut.objects.create(number="+15551234567", sender="", source="manual")
    client.force_login(admin_user)
    url = reverse("optout_remove", args=[optout.pk])
    confirm = client.get(url).content.decode()
    assert "Text this number again?" in confirm and "every action text this number" in confirm
    assert client.post(url, {"reason": ""}).status_code == 200  # a reason is required
    assert OptOut.objects.exists()
    assert client.post(url, {"reason": "asked to be texted again"}).status_code == 302
    assert not OptOut.objects.exists()
    removed = OptOut.history.filter(history_type="-").get()
    assert removed.history_change_reason == "Removed by hand: asked to be texted again"
    assert invoke(client, key).status_code == 202


def test_a_csv_import_adds_every_row_or_none_naming_each_wrong_one(client, admin_user):
    client.force_login(admin_user)
    OptOut.objects.create(number="+15551230001", sender="", source="inbound")
    bad = "number,sender,reason\n+15551230002,,moved\nnot-a-number,,x\n+15551230003,+1,y\n"
    response = client.post(reverse("optout_import"), {"file": upload(bad)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "Line 3, number:" in page and "Line 4, sender:" in page
    assert OptOut.objects.count() == 1

    good = "Number,Sender,Reason\n+1 555 123 0002,,moved\n+15551230001,,dup\n+15551230003,,\n"
    response = client.post(reverse("optout_import"), {"file": upload(good)})
    assert response.status_code == 302
    assert set(OptOut.objects.values_list("number", flat=True)) == {
        "+15551230001", "+15551230002", "+15551230003",
    }  # fmt: skip
    assert OptOut.objects.get(number="+15551230003").reason == "Imported"
    assert OptOut.history.filter(history_change_reason__startswith="Imported").count() == 2


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"phone,reason\n+15551230002,x\n", "needs a “number” column"),
        (b"number\n", "no rows"),
    ],
)
def test_an_import_that_cannot_be_read_says_why(client, admin_user, content, problem):
    client.force_login(admin_user)
    response = client.post(reverse("optout_import"), {"file": upload(content)})
    assert response.status_code == 200 and problem in response.content.decode()
    assert not OptOut.objects.exists()


def upload(content) -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile("opt-outs.csv", data, content_type="text/csv")


def test_the_opt_outs_export_is_masked_for_a_reviewer(client, admin_user, reviewer_user):
    OptOut.objects.create(number="+15551234567", sender="+15005550006", source="inbound")
    client.force_login(reviewer_user)
    [row] = read_csv(client.get(reverse("optout_export")))
    assert row["number"] != "+15551234567" and row["number"].endswith("4567")
    assert row["sender"] == "+15005550006" and row["source"] == "inbound"
    page = client.get(reverse("optout_list")).content.decode()
    assert "+15551234567" not in page and "Remove…" not in page
    client.force_login(admin_user)
    [row] = read_csv(client.get(reverse("optout_export")))
    assert row["number"] == "+15551234567"
    assert (
        "+15551234567" in client.get(reverse("optout_list"), {"q": "+15551234567"}).content.decode()
    )


def test_a_channels_public_opt_in_policy_is_open_to_anyone(client):
    channel = MessagingChannel.objects.create(
        name="acme", provider="console", sender="+15005550006"
    )
    assert client.get(reverse("opt_in_policy", args=["acme"])).status_code == 404
    channel.opt_in_policy = "Callers agree on the phone when our assistant asks them."
    channel.save()
    response = client.get(reverse("opt_in_policy", args=["acme"]))
    assert response.status_code == 200
    assert "Callers agree on the phone" in response.content.decode()
    assert client.get(reverse("opt_in_policy", args=["nope"])).status_code == 404


def test_consent_prompt_and_opt_in_policy_round_trip_through_the_file(consenting, settings):
    from actions import configfile

    MessagingChannel.objects.update(opt_in_policy="Callers agree when asked.")
    exported = configfile.export_config()
    assert f"consent_prompt: {QUESTION}" in exported
    assert "opt_in_policy: Callers agree when asked." in exported
    SendTextAction.objects.update(consent_prompt="", require_consent=False)
    MessagingChannel.objects.update(opt_in_policy="")
    configfile.apply(configfile.load(exported))
    assert configfile.export_config() == exported
