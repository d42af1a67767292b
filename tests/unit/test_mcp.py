"""/mcp at the protocol's edges (the official client drives it in
tests/integration/test_mcp_client.py): what each wrong message gets, and that a tools/call is
the REST invoke."""

import json
import uuid

import pytest

from actions.models import Agent, ApiKey, Message
from tests.factories import make_action, make_channel

pytestmark = pytest.mark.django_db

CALLER = "+15551234567"


@pytest.fixture
def agent():
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_channel()))
    return agent


@pytest.fixture
def key(agent):
    return ApiKey.issue(agent, "sandbox")[1]


def rpc(client, key, message, **headers):
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = message if isinstance(message, str) else json.dumps(message)
    return client.post("/mcp", data, content_type="application/json", headers=headers)


def request(method, params=None, id=1):
    message = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def call(client, key, name, arguments, **headers):
    params = {"name": name, "arguments": arguments}
    return rpc(client, key, request("tools/call", params), **headers).json()["result"]


def test_initialize_answers_the_clients_version_when_spoken_and_the_latest_otherwise(client, key):
    params = {"capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    older = rpc(client, key, request("initialize", {**params, "protocolVersion": "2025-03-26"}))
    assert older.status_code == 200
    result = older.json()["result"]
    assert result["protocolVersion"] == "2025-03-26"
    assert result["serverInfo"]["name"] == "switchboard"
    assert result["capabilities"] == {"tools": {"listChanged": False}}
    assert "Mcp-Session-Id" not in older.headers  # stateless
    unknown = rpc(client, key, request("initialize", {**params, "protocolVersion": "1999-01-01"}))
    assert unknown.json()["result"]["protocolVersion"] == "2025-11-25"


def test_notifications_are_accepted_with_no_body(client, key):
    response = rpc(client, key, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert (response.status_code, response.content) == (202, b"")


def test_get_is_405_as_no_stream_is_offered(client, key):
    response = client.get("/mcp", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{not json", 400, -32600),
        ('{"jsonrpc": "1.0", "id": 1, "method": "ping"}', 400, -32600),
        ('[{"jsonrpc": "2.0", "id": 1, "method": "ping"}]', 400, -32600),
        ('{"jsonrpc": "2.0", "id": 1, "method": "resources/list"}', 200, -32601),
        ('{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {}}', 200, -32602),
        ('{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"x": 1}}', 200, -32602),
    ],
)
def test_protocol_mistakes_are_json_rpc_errors(client, key, body, status, code):
    response = rpc(client, key, body)
    assert response.status_code == status
    assert response.json()["jsonrpc"] == "2.0"
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_a_newer_clients_version_is_refused_naming_the_versions_spoken(client, key):
    response = rpc(
        client, key, request("server/discover"), **{"MCP-Protocol-Version": "2026-07-28"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == -32022
    assert "2025-11-25" in error["data"]["supported"]


@pytest.mark.parametrize("key", ["", "sk_wrong"])
def test_a_missing_or_wrong_key_is_401_before_the_message_is_read(client, key):
    response = rpc(client, key, request("tools/list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["message"].startswith("Missing or invalid API key")


def test_tools_list_is_the_rest_tool_list_with_annotations(client, key):
    tools = rpc(client, key, request("tools/list")).json()["result"]["tools"]
    rest = client.get("/api/v1/tools", headers={"Authorization": f"Bearer {key}"}).json()["tools"]
    assert [(t["name"], t["description"], t["inputSchema"]) for t in tools] == [
        (f["function"]["name"], f["function"]["description"], f["function"]["parameters"])
        for f in rest
    ]
    assert tools[0]["annotations"]["readOnlyHint"] is False


def test_tools_call_is_the_rest_invoke_with_the_call_context_from_headers(client, key):
    result = call(
        client,
        key,
        "send_booking_confirmation",
        {"booking_reference": "ABC123"},
        **{"X-Call-Id": "conv-1", "X-Caller-Number": CALLER},
    )
    assert result["isError"] is False
    message = Message.objects.get(pk=result["structuredContent"]["id"])
    assert (message.to, message.conversation_id) == (CALLER, "conv-1")
    assert message.body.startswith("Hi, your booking is confirmed! Reference: ABC123.")
    assert result["content"] == [
        {"type": "text", "text": "Tell the caller the text message has been sent to the number "
         "ending 4567."}
    ]  # fmt: skip


def test_an_idempotency_key_in_meta_sends_once(client, key):
    params = {
        "name": "send_booking_confirmation",
        "arguments": {"booking_reference": "ABC123"},
        "_meta": {"idempotencyKey": "tool-call-1"},
    }
    headers = {"X-Caller-Number": CALLER}
    first = rpc(client, key, request("tools/call", params), **headers).json()["result"]
    again = rpc(client, key, request("tools/call", params, id=2), **headers).json()["result"]
    assert first == again
    assert Message.objects.count() == 1


def test_without_a_caller_number_the_refusal_is_a_tool_error_the_llm_can_follow(client, key):
    result = call(client, key, "send_booking_confirmation", {"booking_reference": "ABC123"})
    assert result["isError"] is True
    assert result["structuredContent"]["error"]["code"] == "recipient_unavailable"
    assert result["content"][0]["text"] == result["structuredContent"]["error"]["say"]
    assert Message.objects.count() == 0


def test_a_rate_limited_tool_call_is_a_tool_error_saying_how_long_to_wait(
    client, agent, key, settings
):
    settings.RATE_LIMIT_PREFIX = f"test-mcp-{uuid.uuid4().hex[:12]}"
    agent.requests_per_minute = 1
    agent.save()
    arguments = {"booking_reference": "ABC123"}
    call(client, key, "send_booking_confirmation", arguments, **{"X-Caller-Number": CALLER})
    limited = call(client, key, "send_booking_confirmation", arguments)
    assert limited["isError"] is True
    assert limited["structuredContent"]["error"]["code"] == "rate_limited"
    assert limited["content"][0]["text"].startswith("Too many requests: wait ")
    listed = rpc(client, key, request("tools/list"))
    assert listed.status_code == 429
    assert int(listed["Retry-After"]) >= 1
