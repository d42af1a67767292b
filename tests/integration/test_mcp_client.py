"""The official MCP Python client (the `mcp` package, Streamable HTTP) against the running
server: the handshake, the tool list, a text sent through the real worker to the Twilio
emulator, refusals the LLM can act on, and a wrong key refused."""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from actions.models import Agent, ApiKey, HandoffLog, Message
from tests.factories import make_action, make_handoff, make_twilio_channel

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CALLER = "+15551234567"


@pytest.fixture
def agent(twilio):
    agent = Agent.objects.create(name="booking_bot")
    channel = make_twilio_channel(twilio)
    agent.actions.add(make_action(channel))
    agent.actions.add(make_action(channel, name="send_consented_offer", require_consent=True))
    agent.handoffs.add(make_handoff())
    return agent


def connect(live_server, key, **headers):
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}", **headers}, timeout=20)
    return Client(streamable_http_client(f"{live_server.url}/mcp", http_client=http))


def run(coroutine):
    """Run the client on a loop of its own thread: the browser tests' Playwright (sync API)
    keeps an event loop running on the main thread for the rest of the session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_the_official_client_lists_the_tools_and_sends_a_text_end_to_end(
    agent, live_server, twilio, celery_worker
):
    key = ApiKey.issue(agent, "sandbox")[1]

    async def session():
        async with connect(
            live_server, key, **{"X-Call-Id": "call-7", "X-Caller-Number": CALLER}
        ) as client:
            tools = await client.list_tools()
            result = await client.call_tool(
                "send_booking_confirmation", {"booking_reference": "ABC123"}
            )
            return client.server_info, tools, result

    server, tools, result = run(session())

    assert server.name == "switchboard"
    by_name = {tool.name: tool for tool in tools.tools}
    assert list(by_name) == ["send_booking_confirmation", "send_consented_offer", "transfer_call"]
    booking = by_name["send_booking_confirmation"]
    assert booking.input_schema["required"] == ["booking_reference"]
    assert booking.annotations.read_only_hint is False
    assert booking.annotations.destructive_hint is False
    assert by_name["transfer_call"].annotations.destructive_hint is True
    assert by_name["transfer_call"].input_schema["properties"]["destination"]["enum"] == [
        "agent_queue"
    ]

    assert result.is_error is False
    assert result.content[0].text == (
        "Tell the caller the text message has been sent to the number ending 4567."
    )
    message = Message.objects.get(pk=result.structured_content["id"])
    assert (message.to, message.conversation_id, message.agent_id) == (CALLER, "call-7", agent.pk)
    deadline = time.monotonic() + 20
    while message.status != "delivered" and time.monotonic() < deadline:
        time.sleep(0.05)
        message.refresh_from_db()
    assert message.status == "delivered", celery_worker.output()[-2000:]
    creates = [r for r in twilio.requests if r.path.endswith("/Messages.json") and r.status == 201]
    assert [(r.form["To"], r.form["Body"]) for r in creates] == [(CALLER, message.body)]


def test_a_refusal_is_a_tool_error_whose_text_says_what_to_do(agent, live_server):
    key = ApiKey.issue(agent, "sandbox")[1]

    async def session():
        async with connect(live_server, key, **{"X-Caller-Number": CALLER}) as client:
            missing = await client.call_tool("send_booking_confirmation", {})
            consent = await client.call_tool(
                "send_consented_offer", {"booking_reference": "X1", "caller_consent": False}
            )
            unknown = await client.call_tool("send_nothing", {})
            return missing, consent, unknown

    missing, consent, unknown = run(session())

    assert missing.is_error is True
    assert missing.content[0].text == (
        "Ask the caller for the booking reference number, then call send_booking_confirmation "
        "again."
    )
    assert missing.structured_content["error"]["code"] == "invalid_parameters"
    assert consent.is_error is True
    assert consent.content[0].text.startswith(
        "Ask the caller whether they agree to receive a text message."
    )
    assert unknown.is_error is True
    assert unknown.structured_content["error"]["code"] == "unknown_action"
    assert Message.objects.count() == 0


def test_transfer_call_logs_the_handoff_and_answers_its_instruction(agent, live_server):
    key = ApiKey.issue(agent, "sandbox")[1]

    async def session():
        async with connect(live_server, key, **{"X-Call-Id": "call-9"}) as client:
            done = await client.call_tool(
                "transfer_call", {"destination": "agent_queue", "reason": "caller asked"}
            )
            without = await client.call_tool("transfer_call", {})
            return done, without

    done, without = run(session())

    assert done.is_error is False
    assert done.structured_content["sip"]["method"] == "refer"
    log = HandoffLog.objects.get()
    assert (log.handoff_name, log.conversation_id, log.reason) == (
        "agent_queue",
        "call-9",
        "caller asked",
    )
    assert without.is_error is True
    assert without.content[0].text == (
        "Call transfer_call again with destination set to one of: agent_queue."
    )


def test_a_wrong_key_is_refused_before_anything(agent, live_server):
    async def session():
        async with connect(live_server, "sk_wrong") as client:
            await client.list_tools()

    with pytest.raises((MCPError, ExceptionGroup, httpx2.HTTPStatusError)):
        run(session())
