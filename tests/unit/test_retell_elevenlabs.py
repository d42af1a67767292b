"""Retell's custom functions (POST /api/v1/retell, signed with the official retell-sdk's
scheme) and ElevenLabs' webhook tools (POST /api/v1/elevenlabs/<name>), in the bodies their
public docs show, through the one invoke path."""

import json
import time

import pytest
from retell.lib.webhook_auth import symmetric

from actions.models import Agent, ApiKey, HandoffLog, Message
from tests.factories import make_action, make_channel, make_handoff

pytestmark = pytest.mark.django_db

CALLER = "+15551234567"
RETELL_KEY = "key_retell_webhook_badge_0123456789"


@pytest.fixture
def agent():
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_channel()))
    agent.handoffs.add(make_handoff("agent_queue"))
    agent.set_retell_api_key(RETELL_KEY)
    agent.save()
    return agent


@pytest.fixture
def key(agent):
    return ApiKey.issue(agent, "sandbox")[1]


def retell_body(name="send_booking_confirmation", args=None, **call) -> str:
    """Retell's custom-function POST: the function's name, the call object, the arguments."""
    call_object = {
        "call_type": "phone_call",
        "call_id": "retell-call-1",
        "agent_id": "agent_123",
        "call_status": "ongoing",
        "direction": "inbound",
        "from_number": CALLER,
        "to_number": "+15550001111",
        "retell_llm_dynamic_variables": {"customer_name": "Ada"},
        "transcript": "Agent: Hello.\nUser: Text me my booking, please.",
    }
    call_object.update(call)
    arguments = {"booking_reference": "ABC123"} if args is None else args
    return json.dumps({"name": name, "call": call_object, "args": arguments})


def sign(body: str, secret: str = RETELL_KEY, timestamp=None) -> str:
    return symmetric["sign"](body, secret, timestamp)  # the SDK's own signer


def retell(client, key, body, signature=None):
    headers = {"Authorization": f"Bearer {key}"}
    if signature is not None:
        headers["X-Retell-Signature"] = signature
    return client.post("/api/v1/retell", body, content_type="application/json", headers=headers)


def test_a_signed_custom_function_sends_to_the_inbound_caller(client, key):
    body = retell_body()
    response = retell(client, key, body, sign(body))
    assert response.status_code == 200
    assert response.json() == {
        "result": "Tell the caller the text message has been sent to the number ending 4567."
    }
    message = Message.objects.get()
    assert (message.to, message.conversation_id) == (CALLER, "retell-call-1")


def test_on_an_outbound_call_the_caller_is_the_to_number(client, key):
    body = retell_body(direction="outbound", from_number="+15550001111", to_number=CALLER)
    assert retell(client, key, body, sign(body)).status_code == 200
    assert Message.objects.get().to == CALLER


@pytest.mark.parametrize(
    "signature",
    [
        None,  # missing
        "",
        "v=1,d=" + "0" * 64,  # forged and stale
        "not a signature",
        "forged-with-another-key",
        "stale",
        "signed-for-another-body",
    ],
)
def test_a_missing_forged_or_stale_signature_is_401_and_nothing_is_sent(client, key, signature):
    body = retell_body()
    if signature == "forged-with-another-key":
        signature = sign(body, "someone_elses_key")
    elif signature == "stale":
        signature = sign(body, timestamp=int(time.time() * 1000) - 6 * 60 * 1000)
    elif signature == "signed-for-another-body":
        signature = sign(retell_body(args={"booking_reference": "XYZ999"}))
    response = retell(client, key, body, signature)
    assert response.status_code == 401
    assert "X-Retell-Signature" in response.json()["error"]["message"]
    assert Message.objects.count() == 0


def test_an_agent_without_a_retell_key_refuses_saying_where_to_set_it(client, agent, key):
    agent.set_retell_api_key("")
    agent.save()
    body = retell_body()
    response = retell(client, key, body, sign(body))
    assert response.status_code == 401
    assert "agent's page" in response.json()["error"]["message"]
    assert Message.objects.count() == 0


def test_the_retell_key_is_stored_encrypted_and_kept_out_of_the_history(agent):
    agent.refresh_from_db()
    assert RETELL_KEY not in agent.retell_api_key_encrypted
    assert not hasattr(agent.history.first(), "retell_api_key_encrypted")


def test_a_refusal_is_200_with_the_sentence_for_the_llm(client, key):
    body = retell_body(args={})
    response = retell(client, key, body, sign(body))
    assert response.status_code == 200
    assert response.json()["code"] == "invalid_parameters"
    assert "booking reference" in response.json()["error"].lower()
    assert Message.objects.count() == 0


def test_args_only_payloads_are_400_saying_which_setting_to_change(client, key):
    body = json.dumps({"booking_reference": "ABC123"})
    response = retell(client, key, body, sign(body))
    assert response.status_code == 400
    assert "args only" in response.json()["error"]["message"]


def test_transfer_call_takes_the_twilio_call_sid_from_the_telephony_identifier(client, key):
    body = retell_body(
        "transfer_call",
        {"destination": "agent_queue", "reason": "wants a person"},
        telephony_identifier={"twilio_call_sid": "CA" + "1" * 32},
    )
    response = retell(client, key, body, sign(body))
    assert "result" in response.json()
    log = HandoffLog.objects.get()
    assert (log.conversation_id, log.call_sid, log.reason) == (
        "retell-call-1",
        "CA" + "1" * 32,
        "wants a person",
    )


# --- ElevenLabs -------------------------------------------------------------------------------


def elevenlabs(client, key, name, body):
    return client.post(
        f"/api/v1/elevenlabs/{name}",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def test_an_elevenlabs_webhook_tool_sends_with_the_system_variables(client, key):
    body = {
        "booking_reference": "ABC123",
        "system__caller_id": CALLER,
        "system__conversation_id": "conv_01jx",
        "system__call_sid": "CA" + "2" * 32,
    }
    response = elevenlabs(client, key, "send_booking_confirmation", body)
    assert response.status_code == 200
    assert response.json()["result"].startswith("Tell the caller the text message has been sent")
    message = Message.objects.get()
    assert (message.to, message.conversation_id) == (CALLER, "conv_01jx")
    assert message.parameters == {"booking_reference": "ABC123"}


def test_an_elevenlabs_refusal_is_200_with_the_sentence(client, key):
    body = {"booking_reference": "ABC123", "system__conversation_id": "conv_01jx"}
    response = elevenlabs(client, key, "send_booking_confirmation", body)
    assert response.status_code == 200
    assert response.json()["code"] == "recipient_unavailable"
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "path"),
    [([1, 2], None), ({"system__caller_id": 15551234567}, "/system__caller_id")],
)
def test_an_unreadable_elevenlabs_body_is_400_naming_the_field(client, key, body, path):
    response = elevenlabs(client, key, "send_booking_confirmation", body)
    assert response.status_code == 400
    if path:
        assert response.json()["error"]["details"][0]["path"] == path
    assert Message.objects.count() == 0


def test_elevenlabs_without_the_key_is_401(client):
    response = client.post(
        "/api/v1/elevenlabs/send_booking_confirmation",
        json.dumps({"booking_reference": "ABC123", "system__caller_id": CALLER}),
        content_type="application/json",
    )
    assert response.status_code == 401
    assert Message.objects.count() == 0


def test_the_envelope_shape_is_read_too_and_its_call_id_sends_once(client, key):
    body = {
        "tool_call_id": "tc_1",
        "tool_name": "send_booking_confirmation",
        "parameters": {"booking_reference": "ABC123", "system__caller_id": CALLER},
        "conversation_id": "conv_9",
    }
    first = elevenlabs(client, key, "send_booking_confirmation", body)
    again = elevenlabs(client, key, "send_booking_confirmation", body)
    assert first.json() == again.json()
    assert first.json()["result"].startswith("Tell the caller the text message has been sent")
    message = Message.objects.get()
    assert (message.to, message.conversation_id) == (CALLER, "conv_9")
    assert message.idempotency_key == "elevenlabs:tc_1"
