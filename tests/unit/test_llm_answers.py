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
