"""POST /api/v1/vapi: Vapi's `tool-calls` server message, built with the official
vapi-server-sdk types, goes through the one invoke path and is answered in Vapi's shape."""

import json

import pytest
from vapi.types import (
    Call,
    CreateCustomerDto,
    ServerMessageResponseToolCalls,
    ServerMessageToolCalls,
    ToolCall,
    ToolCallFunction,
)

from actions.models import Agent, ApiKey, HandoffLog, Message
from tests.factories import make_action, make_channel, make_handoff

pytestmark = pytest.mark.django_db

CALLER = "+15551234567"
CALL_SID = "CA" + "0" * 32


@pytest.fixture
def agent():
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_channel()))
    agent.handoffs.add(make_handoff("agent_queue"))
    return agent


@pytest.fixture
def key(agent):
    return ApiKey.issue(agent, "sandbox")[1]


def tool_calls(*calls, customer=CALLER, provider_id=None) -> dict:
    """A tool-calls server message as Vapi sends it: OpenAI-shaped tool calls whose arguments
    are JSON text, and the call with its customer."""
    call = Call(
        id="vapi-call-1",
        org_id="org-1",
        created_at="2026-12-03T10:00:00Z",
        updated_at="2026-12-03T10:00:05Z",
        customer=CreateCustomerDto(number=customer) if customer else None,
        phone_call_provider="twilio" if provider_id else None,
        phone_call_provider_id=provider_id,
    )
    message = ServerMessageToolCalls(
        type="tool-calls",
        tool_with_tool_call_list=[],
        tool_call_list=[
            ToolCall(
                id=call_id,
                type="function",
                function=ToolCallFunction(name=name, arguments=json.dumps(arguments)),
            )
            for call_id, name, arguments in calls
        ],
        call=call,
    )
    return {"message": message.model_dump(by_alias=True, exclude_none=True, mode="json")}


def post(client, body, **headers):
    return client.post(
        "/api/v1/vapi", json.dumps(body), content_type="application/json", headers=headers
    )


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def results(response) -> list[dict]:
    assert response.status_code == 200
    answer = ServerMessageResponseToolCalls.model_validate(response.json())  # Vapi's own type
    return [r.model_dump(by_alias=True, exclude_none=True) for r in answer.results]


def test_a_tool_call_sends_to_the_customer_with_the_call_id_and_answers_vapis_shape(client, key):
    body = tool_calls(("call_abc", "send_booking_confirmation", {"booking_reference": "ABC123"}))
    answer = results(post(client, body, **bearer(key)))

    message = Message.objects.get()
    assert (message.to, message.conversation_id) == (CALLER, "vapi-call-1")
    assert message.idempotency_key == "vapi:call_abc"
    assert answer == [
        {
            "name": "send_booking_confirmation",
            "toolCallId": "call_abc",
            "result": "Tell the caller the text message has been sent to the number ending 4567.",
        }
    ]


def test_vapi_retrying_the_same_tool_call_sends_once(client, key):
    body = tool_calls(("call_abc", "send_booking_confirmation", {"booking_reference": "ABC123"}))
    first = results(post(client, body, **bearer(key)))
    again = results(post(client, body, **{"X-Vapi-Secret": key}))
    assert first == again
    assert Message.objects.count() == 1


def test_a_refusal_is_the_results_error_holding_the_say_sentence(client, key):
    body = tool_calls(("call_1", "send_booking_confirmation", {}))
    [answer] = results(post(client, body, **bearer(key)))
    assert set(answer) == {"name", "toolCallId", "error"}
    assert "booking reference" in answer["error"].lower()
    assert Message.objects.count() == 0


def test_several_tool_calls_are_answered_each_in_order(client, key):
    body = tool_calls(
        ("call_1", "send_booking_confirmation", {"booking_reference": "ABC123"}),
        ("call_2", "no_such_tool", {}),
        ("call_3", "transfer_call", {"destination": "agent_queue", "reason": "asked"}),
    )
    answer = results(post(client, body, **bearer(key)))
    assert [a["toolCallId"] for a in answer] == ["call_1", "call_2", "call_3"]
    assert "result" in answer[0] and "error" in answer[1] and "result" in answer[2]
    log = HandoffLog.objects.get()
    assert (log.handoff_name, log.conversation_id, log.reason) == (
        "agent_queue",
        "vapi-call-1",
        "asked",
    )


def test_the_flat_tool_call_shape_of_vapis_docs_is_read_too(client, key):
    body = {
        "message": {
            "type": "tool-calls",
            "toolCallList": [
                {
                    "id": "toolu_01",
                    "name": "send_booking_confirmation",
                    "arguments": {"booking_reference": "ABC123"},
                }
            ],
            "call": {"id": "c-9", "customer": {"number": CALLER}},
        }
    }
    [answer] = results(post(client, body, **bearer(key)))
    assert "result" in answer
    assert Message.objects.get().conversation_id == "c-9"


def test_the_transfer_destination_request_is_answered_at_the_same_url(client, key):
    body = {"message": {"type": "transfer-destination-request", "call": {"id": "c-1"}}}
    response = post(client, body, **bearer(key))
    assert response.status_code == 200
    assert response.json() == {"destination": {"type": "number", "number": "+441234567890"}}


def test_other_server_messages_are_acknowledged_and_change_nothing(client, key):
    body = {"message": {"type": "status-update", "status": "in-progress"}}
    response = post(client, body, **bearer(key))
    assert (response.status_code, response.json()) == (200, {})
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ([], None),
        ({"message": "tool-calls"}, "/message"),
        ({"message": {"type": "tool-calls"}}, "/message/toolCallList"),
        ({"message": {"type": "tool-calls", "toolCallList": [{"name": "x"}]}}, None),
        (
            {
                "message": {
                    "type": "tool-calls",
                    "toolCallList": [{"id": "c", "function": {"name": "x", "arguments": "{no"}}],
                }
            },
            "/message/toolCallList/0",
        ),
        (
            {
                "message": {
                    "type": "tool-calls",
                    "toolCallList": [{"id": str(i), "name": "x"} for i in range(11)],
                }
            },
            "/message/toolCallList",
        ),
    ],
)
def test_a_malformed_message_is_400_naming_the_field_and_sends_nothing(client, key, body, path):
    response = post(client, body, **bearer(key))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    if path:
        assert error["details"][0]["path"] == path
    assert Message.objects.count() == 0


def test_arguments_text_nested_too_deep_is_400_not_a_crash(client, key):
    deep = "[" * 5000 + "]" * 5000
    body = {
        "message": {
            "type": "tool-calls",
            "toolCallList": [{"id": "c", "function": {"name": "x", "arguments": deep}}],
        }
    }
    response = post(client, body, **bearer(key))
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]["message"]


@pytest.mark.parametrize("headers", [{}, {"X-Vapi-Secret": "wrong"}])
def test_without_the_agents_key_nothing_is_sent(client, headers):
    body = tool_calls(("c", "send_booking_confirmation", {"booking_reference": "ABC123"}))
    assert post(client, body, **headers).status_code == 401
    assert Message.objects.count() == 0
