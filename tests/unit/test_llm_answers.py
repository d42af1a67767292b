"""Answers an LLM can act on (issue: every item through REST and MCP alike): `say` names
every problem in plain words — no JSON pointers, no validator text — while `details` keep
them."""

import json
import re

import pytest

from actions.models import Agent, ApiKey, Message
from tests.factories import make_action, make_channel

pytestmark = pytest.mark.django_db

CALLER = "+15551234567"
SCHEMA = {
    "type": "object",
    "properties": {
        "booking_reference": {"type": "string", "description": "The booking reference"},
        "party_size": {"type": "integer", "minimum": 1, "maximum": 12},
        "arrival_date": {"type": "string", "format": "date"},
        "seating": {"type": "string", "enum": ["inside", "terrace"]},
        "guests": {"type": "array", "items": {"type": "string", "maxLength": 5}},
    },
    "required": ["booking_reference", "party_size"],
}


@pytest.fixture
def key():
    agent = Agent.objects.create(name="booking_bot")
    action = make_action(
        make_channel(),
        parameters_schema=SCHEMA,
        message_template="Booked {{ .parameters.booking_reference }}.",
    )
    agent.actions.add(action)
    return ApiKey.issue(agent, "sandbox")[1]


def rest(client, key, parameters):
    body = {"conversation_id": "c1", "contact": {"phone_number": CALLER}, "parameters": parameters}
    response = client.post(
        "/api/v1/actions/send_booking_confirmation/invoke",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    return response.json()["error"]


def mcp(client, key, parameters):
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "send_booking_confirmation", "arguments": parameters},
    }
    response = client.post(
        "/mcp",
        json.dumps(message),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", "X-Caller-Number": CALLER},
    )
    result = response.json()["result"]
    assert result["isError"] is True
    assert result["content"][0]["text"] == result["structuredContent"]["error"]["say"]
    return result["structuredContent"]["error"]


@pytest.fixture(params=[rest, mcp], ids=["rest", "mcp"])
def refuse(request, client, key):
    return lambda parameters: request.param(client, key, parameters)


def assert_plain(say: str):
    assert "/parameters" not in say  # no JSON pointers
    assert not re.search(r"is not of type|does not match|is not one of|is a required", say)
    assert "'" not in say  # the validator quotes values; a sentence does not


def test_every_problem_is_named_in_plain_words_and_the_details_keep_the_pointers(refuse):
    error = refuse(
        {
            "booking_reference": 123,
            "party_size": 40,
            "arrival_date": "next friday",
            "seating": "roof",
            "guests": ["Ann", "Bartholomew"],
            "colour": "red",
        }
    )
    say = error["say"]
    assert_plain(say)
    assert say.startswith("Correct these, then call send_booking_confirmation again: ")
    for clause in (
        "the booking reference must be text",
        "the party size must be at most 12",
        "the arrival date must be a date such as 2026-12-03",
        "the seating must be one of: inside, terrace",
        "item 2 of the guests must be at most 5 characters long (it is 6 characters too long)",
        "“colour” is not something send_booking_confirmation takes (leave it out)",
    ):
        assert clause in say
    paths = {d["path"] for d in error["details"]}
    assert paths == {
        "/parameters/booking_reference",
        "/parameters/party_size",
        "/parameters/arrival_date",
        "/parameters/seating",
        "/parameters/guests/1",
        "/parameters/colour",
    }
    assert any("is not of type 'string'" in d["message"] for d in error["details"])
    assert Message.objects.count() == 0


def test_missing_and_wrong_values_are_said_together(refuse):
    say = refuse({"party_size": "four"})["say"]
    assert_plain(say)
    assert say == (
        "Ask the caller for the booking reference. Also correct: the party size must be a whole "
        "number. Then call send_booking_confirmation again."
    )


# --- No usable caller number; national numbers; the longest message -------------------------


def agent_with(**action_fields):
    agent = Agent.objects.create(name="notes_bot")
    channel = make_channel(name="uk_notifications")
    for name, value in action_fields.pop("channel_fields", {}).items():
        setattr(channel, name, value)
    channel.full_clean()
    channel.save()
    action = make_action(channel, name="send_note", **action_fields)
    agent.actions.add(action)
    return ApiKey.issue(agent, "sandbox")[1]


def invoke_both(client, key, parameters, caller=""):
    """The same call through REST and MCP: (REST answer or error, MCP structured content)."""
    body = {"conversation_id": "c1", "parameters": parameters}
    if caller:
        body["contact"] = {"phone_number": caller}
    rest_answer = client.post(
        "/api/v1/actions/send_note/invoke",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    ).json()
    headers = {"Authorization": f"Bearer {key}"}
    if caller:
        headers["X-Caller-Number"] = caller
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "send_note", "arguments": parameters},
    }
    result = client.post(
        "/mcp", json.dumps(message), content_type="application/json", headers=headers
    ).json()["result"]
    if result["isError"]:
        assert result["content"][0]["text"] == result["structuredContent"]["error"]["say"]
    return rest_answer, result["structuredContent"]


def test_without_a_number_and_without_the_option_the_agent_is_not_told_to_ask(client):
    key = agent_with()
    for answer in invoke_both(client, key, {"booking_reference": "A1"}):
        assert answer["error"]["code"] == "recipient_unavailable"
        assert "ask" not in answer["error"]["say"].lower()
        assert "offer another way to help" in answer["error"]["say"]


def test_with_the_option_the_tool_takes_a_number_and_the_agent_is_asked_for_it(client):
    key = agent_with(ask_for_number=True)
    tools = client.get("/api/v1/tools", headers={"Authorization": f"Bearer {key}"}).json()
    parameters = tools["tools"][0]["function"]["parameters"]
    assert "phone_number" in parameters["properties"]
    assert "phone_number" not in parameters["required"]
    for answer in invoke_both(client, key, {"booking_reference": "A1"}):
        assert answer["error"]["code"] == "recipient_unavailable"
        assert answer["error"]["say"] == (
            "The caller's number is not known on this call. Ask them for the number to send the "
            "text message to, then call send_note again with phone_number set to it."
        )
    rest_answer, mcp_answer = invoke_both(
        client, key, {"booking_reference": "A1", "phone_number": "+1 555 987 6543"}
    )
    assert rest_answer["to"] == mcp_answer["to"] == "+15559876543"
    for answer in invoke_both(client, key, {"booking_reference": "A1", "phone_number": "12"}):
        assert answer["error"]["code"] == "invalid_parameters"
        assert answer["error"]["details"][0]["path"] == "/parameters/phone_number"
        assert answer["error"]["say"].startswith("The number the caller gave is not a phone")


def test_the_callers_own_number_comes_first_when_known(client):
    key = agent_with(ask_for_number=True)
    rest_answer, _ = invoke_both(
        client, key, {"booking_reference": "A1", "phone_number": "+15559876543"}, CALLER
    )
    assert rest_answer["to"] == CALLER


@pytest.mark.parametrize(
    ("channel_fields", "expected"),
    [
        ({"sender": "+447700900000"}, "+447700900123"),  # the sender's country: GB
        ({"sender": "+15005550006", "default_country": "GB"}, "+447700900123"),
    ],
)
def test_a_national_number_is_read_with_the_channels_country(client, channel_fields, expected):
    key = agent_with(channel_fields=channel_fields)
    for answer in invoke_both(client, key, {"booking_reference": "A1"}, "07700 900123"):
        assert answer["to"] == expected


def test_a_national_number_without_a_country_says_why_not_no_number(client):
    key = agent_with(channel_fields={"sender": "MG" + "a" * 32})
    rest_answer, _ = invoke_both(client, key, {"booking_reference": "A1"}, "07700 900123")
    assert "not an international phone number" in rest_answer["error"]["message"]


def test_an_agent_written_message_longer_than_the_action_sends_says_how_much_to_cut(client):
    key = agent_with(message_template="", max_segments=2)
    tools = client.get("/api/v1/tools", headers={"Authorization": f"Bearer {key}"}).json()
    assert tools["tools"][0]["function"]["parameters"]["properties"]["message"]["maxLength"] == 306
    for answer in invoke_both(
        client, key, {"booking_reference": "A1", "message": "x" * 320}, CALLER
    ):
        assert answer["error"]["say"].endswith(
            "the message must be at most 306 characters long (it is 14 characters too long)."
        )
    # Fewer characters fit in a segment outside the GSM-7 alphabet: counted by segments.
    for answer in invoke_both(
        client, key, {"booking_reference": "A1", "message": "ж" * 140}, CALLER
    ):
        assert answer["error"]["say"] == (
            "The text message is too long (it uses characters outside the basic SMS alphabet, "
            "so fewer fit in each segment): shorten it by at least 6 characters, to at most 134, "
            "then call send_note again."
        )
    assert Message.objects.count() == 0


def test_a_fixed_message_that_can_exceed_its_segments_is_refused_at_save():
    from django.core.exceptions import ValidationError

    schema = {
        "type": "object",
        "properties": {"note": {"type": "string", "maxLength": 200}},
        "required": ["note"],
    }
    with pytest.raises(ValidationError) as refused:
        make_action(
            make_channel(),
            parameters_schema=schema,
            message_template="Your note: {{ .parameters.note }}",
            max_segments=1,
        )
    [problem] = refused.value.message_dict["message_template"]
    assert problem.startswith("With its parameters at their longest (note), the message is 211")
    make_action(
        make_channel(name="other"),
        name="fits",
        parameters_schema=schema,
        message_template="Your note: {{ .parameters.note }}",
        max_segments=2,
    )


def test_a_tested_optional_parameter_left_out_is_left_out_of_the_text(client):
    schema = {
        "type": "object",
        "properties": {
            "booking_reference": {"type": "string"},
            "note": {"type": "string", "description": "A note for the guest"},
        },
        "required": ["booking_reference"],
    }
    key = agent_with(
        parameters_schema=schema,
        message_template="Booked {{ .parameters.booking_reference }}."
        "{{ with .parameters.note }} Note: {{ . }}{{ end }}",
    )
    for answer in invoke_both(client, key, {"booking_reference": "A1"}, CALLER):
        assert answer["body"] == "Booked A1."
    for answer in invoke_both(client, key, {"booking_reference": "A1", "note": "Hi"}, CALLER):
        assert answer["body"] == "Booked A1. Note: Hi"
