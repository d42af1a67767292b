"""Handoffs through the agent API: the transfer_call tool, handoff invoke, Vapi's
transfer-destination request, and the fallback handoff of send-text actions."""

import json
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actions.handoffs.redirect import NO_CREDENTIALS
from actions.models import Agent, ApiKey, HandoffLog, MessagingChannel, OptOut
from tests.factories import make_action, make_handoff, make_twilio_channel

pytestmark = pytest.mark.django_db

XML = '<?xml version="1.0" encoding="UTF-8"?>'
CALL_SID = "CA" + "0123456789abcdef" * 2
BOOKING_BODY = {
    "conversation_id": "CA-123",
    "contact": {"phone_number": "+15551234567"},
    "parameters": {"booking_reference": "ABC123"},
}
FAKE_ACCOUNT = SimpleNamespace(account_sid="AC" + "1" * 32, auth_token="f" * 32)


@pytest.fixture(autouse=True)
def no_deployment_credentials(settings):
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_AUTH_TOKEN = ""


@pytest.fixture
def agent():
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action())
    return agent


@pytest.fixture
def handoffs(agent):
    """The handoffs of the PolyAI reference and recipe, and an invite, all the agent's."""
    created = {
        name: make_handoff(name) for name in ("agent_queue", "escalation_handoff", "end_call")
    }
    created["billing_desk"] = make_handoff(
        "billing_desk",
        description="Call out to the billing team's PBX for billing disputes",
        method="invite",
        phone_number="+15557654321",
        outbound_endpoint="sip.example.com:5061",
        outbound_encryption="TLS/SRTP",
        sip_headers=[{"key": "X-Queue", "value": "billing"}],
        utterance="Let me connect you with billing.",
    )
    agent.handoffs.add(*created.values())
    return created


@pytest.fixture
def key(agent):
    return ApiKey.issue(agent, "sandbox")[1]


def post(client, path, body, key=None, **headers):
    if key:
        headers.setdefault("Authorization", f"Bearer {key}")
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(path, data, content_type="application/json", headers=headers)


def tools(client, key):
    response = client.get("/api/v1/tools", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    return response.json()["tools"]


def invoke_handoff(client, key, name, body=None):
    return post(client, f"/api/v1/handoffs/{name}/invoke", body or {}, key)


def invoke_action(client, key, body=BOOKING_BODY):
    return post(client, "/api/v1/actions/send_booking_confirmation/invoke", body, key)


def error_of(response):
    return response.json()["error"]


# --- the transfer_call tool ---------------------------------------------------------------


def test_an_agent_without_handoffs_gets_no_transfer_call_tool(client, agent, key):
    make_handoff("agent_queue")  # exists, but is not this agent's
    assert [t["function"]["name"] for t in tools(client, key)] == ["send_booking_confirmation"]


def test_the_transfer_call_tool_lists_the_agents_handoffs_and_says_what_each_is_for(
    client, agent, handoffs, key
):
    make_handoff("someone_elses", description="Another agent's line")
    transfer = tools(client, key)[-1]

    assert transfer["type"] == "function"
    assert transfer["function"]["name"] == "transfer_call"
    assert transfer["function"]["parameters"] == {
        "type": "object",
        "properties": {
            "destination": {
                "type": "string",
                "enum": ["agent_queue", "billing_desk", "end_call", "escalation_handoff"],
                "description": "The destination's name, from the list above.",
            },
            "reason": {
                "type": "string",
                "maxLength": 500,
                "description": "Why the call is being handed off, in a few words (e.g. "
                "caller_requested_agent); it is recorded with the handoff.",
            },
            "summary": {
                "type": "string",
                "maxLength": 500,
                "description": "What the person taking the call should know, in one or two "
                "sentences (who is calling and what they need); passed on by a warm transfer.",
            },
        },
        "required": ["destination"],
    }
    lines = transfer["function"]["description"].splitlines()
    assert lines[1:] == [
        "Destinations:",
        "- agent_queue — Transfer to live agent queue (the default)",
        "- billing_desk — Call out to the billing team's PBX for billing disputes",
        "- end_call — End the call gracefully",
        "- escalation_handoff — Transfer to a live agent for complex issues",
        "If none fits better, use agent_queue.",
    ]


def test_an_enabled_actions_fallback_handoff_is_a_transfer_call_destination(client, agent, key):
    action = agent.actions.get()
    action.fallback_handoff = make_handoff("agent_queue")
    action.save()
    disabled = make_action(action.channel, name="old_action", enabled=False)
    disabled.fallback_handoff = make_handoff("end_call")
    disabled.save()
    agent.actions.add(disabled)

    transfer = tools(client, key)[-1]["function"]
    assert transfer["parameters"]["properties"]["destination"]["enum"] == ["agent_queue"]
    assert invoke_handoff(client, key, "agent_queue").status_code == 200
    assert error_of(invoke_handoff(client, key, "end_call"))["code"] == "unknown_handoff"


# --- POST /api/v1/handoffs/<name>/invoke --------------------------------------------------

EXPECTED = {
    "agent_queue": (
        {
            "method": "refer",
            "phone_number": "+441234567890",
            "outbound_endpoint": None,
            "outbound_encryption": None,
            "sip_headers": [],
        },
        "<Response><Refer><Sip>tel:+441234567890</Sip></Refer></Response>",
        "Tell the caller you are transferring them now.",
    ),
    "escalation_handoff": (
        {
            "method": "refer",
            "phone_number": "+15551234567",
            "outbound_endpoint": None,
            "outbound_encryption": None,
            "sip_headers": [{"key": "X-Reason", "value": "escalation"}],
        },
        "<Response><Refer><Sip>tel:+15551234567?X-Reason=escalation</Sip></Refer></Response>",
        "Tell the caller you are transferring them now.",
    ),
    "end_call": (
        {
            "method": "bye",
            "phone_number": None,
            "outbound_endpoint": None,
            "outbound_encryption": None,
            "sip_headers": [],
        },
        "<Response><Hangup /></Response>",
        "Say goodbye to the caller; the call will be ended.",
    ),
    "billing_desk": (
        {
            "method": "invite",
            "phone_number": "+15557654321",
            "outbound_endpoint": "sip.example.com:5061",
            "outbound_encryption": "TLS/SRTP",
            "sip_headers": [{"key": "X-Queue", "value": "billing"}],
        },
        "<Response><Dial><Sip>sip:+15557654321@sip.example.com:5061;transport=tls?X-Queue=billing"
        "</Sip></Dial></Response>",
        "Say “Let me connect you with billing.”; the call is being transferred.",
    ),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_invoking_a_handoff_answers_its_sip_instruction_and_twiml_and_logs_it(
    client, agent, handoffs, key, name
):
    body = {
        "conversation_id": "conv-42",
        "reason": "caller_requested_agent",
        "variables": {"customer_name": "Ada"},
    }
    response = invoke_handoff(client, key, name, body)

    assert response.status_code == 200
    sip, twiml, say = EXPECTED[name]
    log = HandoffLog.objects.get()
    handoff = handoffs[name]
    assert response.json() == {
        "id": str(log.pk),
        "handoff": name,
        "sip": sip,
        "twiml": XML + twiml,
        "utterance": handoff.utterance,
        "say": say,
    }
    assert (log.handoff, log.handoff_name, log.agent, log.agent_name) == (
        handoff,
        name,
        agent,
        "booking_bot",
    )
    assert (log.environment, log.source, log.conversation_id) == ("sandbox", "invoke", "conv-42")
    assert (log.reason, log.variables) == ("caller_requested_agent", {"customer_name": "Ada"})
    assert (log.instruction, log.twiml) == (sip, response.json()["twiml"])
    assert (log.outcome, log.outcome_detail, log.call_sid) == ("returned", "", "")


def test_an_unknown_handoff_and_another_agents_handoff_are_the_same_404(
    client, agent, handoffs, key
):
    other = Agent.objects.create(name="other_bot")
    other.handoffs.add(make_handoff("secret_line", description="The CEO's mobile"))

    secret = invoke_handoff(client, key, "secret_line")
    nothing = invoke_handoff(client, key, "nothing")

    assert secret.status_code == nothing.status_code == 404
    assert error_of(secret)["code"] == "unknown_handoff"
    assert error_of(secret)["message"] == "There is no handoff named “secret_line” for this agent."
    assert error_of(secret)["say"] == error_of(nothing)["say"]
    assert "agent_queue" in error_of(secret)["say"]
    assert "CEO" not in secret.content.decode()
    assert not HandoffLog.objects.exists()


@pytest.mark.parametrize(
    ("raw", "fragment", "path"),
    [
        ("{not json", "not valid JSON", None),
        ("[1, 2]", "must be a JSON object", None),
        ({"conversation": "x"}, "Unknown field “conversation”", "/conversation"),
        ({"conversation_id": 42}, "conversation_id must be a string", "/conversation_id"),
        ({"reason": "x" * 501}, "reason must be a string of at most 500", "/reason"),
        ({"variables": ["a"]}, "variables must be a JSON object", "/variables"),
        ({"call_sid": 12}, "call_sid must be a string", "/call_sid"),
        ({"call_sid": "CA123"}, "call_sid must be a Twilio call SID", "/call_sid"),
        ({"call_sid": "SM" + "a" * 32}, "call_sid must be a Twilio call SID", "/call_sid"),
        ({"call_sid": "CA" + "g" * 32}, "call_sid must be a Twilio call SID", "/call_sid"),
    ],
)
def test_a_bad_handoff_body_is_400_invalid_request_naming_the_field(
    client, agent, handoffs, key, raw, fragment, path
):
    response = invoke_handoff(client, key, "agent_queue", raw)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert fragment in error["message"]
    assert error.get("details", [{}])[0].get("path") == path
    assert not HandoffLog.objects.exists()


def test_a_handoff_body_over_64_kib_is_refused(client, agent, handoffs, key):
    response = invoke_handoff(client, key, "agent_queue", {"variables": {"x": "y" * 70_000}})
    assert response.status_code == 400
    assert "at most 65536 bytes" in error_of(response)["message"]


def test_handoff_invoke_needs_a_key_and_post(client, agent, handoffs, key):
    assert invoke_handoff(client, None, "agent_queue").status_code == 401
    response = client.get(
        "/api/v1/handoffs/agent_queue/invoke", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


def test_a_call_sid_without_twilio_credentials_returns_the_instruction_and_says_why_no_redirect(
    client, agent, handoffs, key, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = invoke_handoff(client, key, "agent_queue", {"call_sid": CALL_SID})
    assert response.status_code == 200
    log = HandoffLog.objects.get()
    assert (log.call_sid, log.outcome, log.outcome_detail) == (CALL_SID, "returned", NO_CREDENTIALS)
    assert callbacks == []


def test_a_call_sid_with_a_twilio_channel_queues_the_redirect_on_commit(
    client, agent, handoffs, key, django_capture_on_commit_callbacks, monkeypatch
):
    make_action(make_twilio_channel(FAKE_ACCOUNT, name="a_twilio"), name="other").agents.add(agent)
    queued = []
    monkeypatch.setattr("actions.handoffs.tasks.redirect_call.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = invoke_handoff(client, key, "escalation_handoff", {"call_sid": CALL_SID})
    log = HandoffLog.objects.get()
    assert response.json()["id"] == str(log.pk)
    assert log.outcome == "pending"
    assert len(callbacks) == 1 and queued == [log.pk]


def test_the_deployment_credentials_serve_an_agent_without_a_twilio_channel(
    client, agent, handoffs, key, settings, django_capture_on_commit_callbacks
):
    settings.TWILIO_ACCOUNT_SID = FAKE_ACCOUNT.account_sid
    settings.TWILIO_AUTH_TOKEN = FAKE_ACCOUNT.auth_token
    with django_capture_on_commit_callbacks() as callbacks:
        invoke_handoff(client, key, "agent_queue", {"call_sid": CALL_SID})
    assert HandoffLog.objects.get().outcome == "pending"
    assert len(callbacks) == 1


def test_the_twilio_account_is_the_first_channel_by_name_that_has_credentials(agent, settings):
    from actions.channels.credentials import for_agent as twilio_credentials

    second = SimpleNamespace(account_sid="AC" + "2" * 32, auth_token="e" * 32)
    make_action(make_twilio_channel(second, name="b_channel"), name="b").agents.add(agent)
    make_action(make_twilio_channel(FAKE_ACCOUNT, name="c_channel"), name="c").agents.add(agent)
    assert twilio_credentials(agent) == (second.account_sid, second.auth_token)
    # A channel without credentials of its own borrows the deployment's; none at all is None.
    MessagingChannel.objects.filter(name="b_channel").update(auth_token_encrypted="")
    assert twilio_credentials(agent) == (FAKE_ACCOUNT.account_sid, FAKE_ACCOUNT.auth_token)
    settings.TWILIO_AUTH_TOKEN = "d" * 32
    assert twilio_credentials(agent) == (second.account_sid, "d" * 32)
    MessagingChannel.objects.update(auth_token_encrypted="")
    settings.TWILIO_AUTH_TOKEN = ""
    assert twilio_credentials(agent) is None


# --- POST /api/v1/transfer-destination (Vapi) ---------------------------------------------


def vapi_request(tool_arguments=None, **message):
    """A transfer-destination-request shaped like the sample in Vapi's documentation."""
    tool_calls = []
    if tool_arguments is not None:
        tool_calls = [
            {
                "id": "call_7Hc2",
                "type": "function",
                "function": {"name": "transfer_call", "arguments": json.dumps(tool_arguments)},
            }
        ]
    body = {
        "type": "transfer-destination-request",
        "artifact": {
            "messages": [
                {"role": "bot", "message": "Hello, how can I help you?", "time": 1715000000},
                {"role": "user", "message": "I'd like to speak to a person.", "time": 1715000004},
            ],
            "transcript": "AI: Hello, how can I help you?\nUser: I'd like to speak to a person.",
            "messagesOpenAIFormatted": [
                {"role": "system", "content": "You are a booking assistant."},
                {"role": "assistant", "content": "Hello, how can I help you?"},
                {"role": "user", "content": "I'd like to speak to a person."},
                {"role": "assistant", "tool_calls": tool_calls},
            ],
        },
        "assistant": {"id": "assistant123"},
        "phoneNumber": "+14155552671",
        "customer": {"number": "+14155551234"},
        "call": {
            "id": "call123",
            "status": "in-progress",
            "phoneCallProvider": "twilio",
            "phoneCallProviderId": CALL_SID,
        },
    }
    body.update(message)
    return {"message": body}


def transfer_destination(client, key, body, **headers):
    return post(client, "/api/v1/transfer-destination", body, key, **headers)


def test_vapi_gets_the_destination_named_in_the_latest_transfer_call(client, agent, handoffs, key):
    body = vapi_request({"destination": "escalation_handoff", "reason": "complex issue"})
    response = transfer_destination(client, key, body)

    assert response.status_code == 200
    assert response.json() == {"destination": {"type": "number", "number": "+15551234567"}}
    log = HandoffLog.objects.get()
    assert (log.source, log.conversation_id, log.handoff_name) == (
        "vapi",
        "call123",
        "escalation_handoff",
    )
    assert (log.call_sid, log.reason, log.outcome) == (CALL_SID, "complex issue", "returned")
    assert log.instruction == EXPECTED["escalation_handoff"][0]


def test_an_invite_handoff_is_a_vapi_sip_destination_with_its_headers_and_message(
    client, agent, handoffs, key
):
    response = transfer_destination(client, key, vapi_request({"destination": "billing_desk"}))
    assert response.json() == {
        "destination": {
            "type": "sip",
            "sipUri": "sip:+15557654321@sip.example.com:5061;transport=tls",
            "sipHeaders": {"X-Queue": "billing"},
            "message": "Let me connect you with billing.",
        }
    }


@pytest.mark.parametrize(
    "where",
    [
        {"destination": "escalation_handoff"},
        {"destination": {"name": "escalation_handoff"}},
        {"destination": {"description": "Transfer to a live agent for complex issues"}},
        {"parameters": {"destination": "escalation_handoff"}},
    ],
)
def test_the_destination_may_be_named_in_the_message_itself(client, agent, handoffs, key, where):
    response = transfer_destination(client, key, vapi_request(**where))
    assert response.json()["destination"]["number"] == "+15551234567"


def test_the_latest_transfer_tool_call_wins_and_vapis_transfercall_name_is_read_too(
    client, agent, handoffs, key
):
    body = vapi_request({"destination": "agent_queue"})
    turns = body["message"]["artifact"]["messagesOpenAIFormatted"]
    turns.append({"role": "tool", "tool_call_id": "call_7Hc2", "content": "Transferring"})
    turns.append(
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_8",
                    "type": "function",
                    "function": {
                        "name": "transferCall",
                        "arguments": '{"destination": "escalation_handoff"}',
                    },
                }
            ],
        }
    )
    response = transfer_destination(client, key, body)
    assert response.json()["destination"]["number"] == "+15551234567"


@pytest.mark.parametrize("arguments", [None, {"destination": "not_ours"}])
def test_without_a_usable_name_vapi_gets_the_default_handoff(
    client, agent, handoffs, key, arguments
):
    response = transfer_destination(client, key, vapi_request(arguments))
    assert response.json() == {"destination": {"type": "number", "number": "+441234567890"}}
    log = HandoffLog.objects.get()
    assert log.handoff_name == "agent_queue"
    assert "default agent_queue" in log.outcome_detail


def test_no_destination_and_no_default_is_an_error_vapi_can_read(client, agent, key):
    make_handoff("escalation_handoff").agents.add(agent)
    response = transfer_destination(client, key, vapi_request())
    assert response.status_code == 200
    assert response.json() == {
        "error": "No transfer destination: none was named and this agent has no default handoff."
    }
    response = transfer_destination(client, key, vapi_request({"destination": "nowhere"}))
    assert "no handoff named “nowhere”" in response.json()["error"]
    assert list(HandoffLog.objects.values_list("outcome", flat=True)) == ["failed", "failed"]


def test_a_bye_handoff_is_not_a_transfer_destination(client, agent, handoffs, key):
    response = transfer_destination(client, key, vapi_request({"destination": "end_call"}))
    assert response.status_code == 200
    assert response.json() == {
        "error": "The handoff “end_call” ends the call (SIP BYE); it is not a transfer destination."
    }


@pytest.mark.parametrize(
    ("body", "path", "fragment"),
    [
        (vapi_request(type="status-update"), "/message/type", "“transfer-destination-request”"),
        ({"message": {"call": {}}}, "/message/type", "not null"),
        ({"message": "transfer"}, "/message", "Vapi's server message"),
        ({}, "/message", "Vapi's server message"),
        ([vapi_request()], None, "must be a JSON object"),
    ],
)
def test_anything_but_a_transfer_destination_request_is_400(
    client, agent, handoffs, key, body, path, fragment
):
    response = transfer_destination(client, key, body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_request" and fragment in error["message"]
    assert error.get("details", [{}])[0].get("path") == path


def test_a_long_calls_transfer_request_is_not_refused_for_its_size(client, agent, handoffs, key):
    body = vapi_request({"destination": "escalation_handoff"})
    body["message"]["artifact"]["transcript"] = "User: and another thing. " * 10_000  # 250 kB
    response = transfer_destination(client, key, body)
    assert response.json()["destination"]["number"] == "+15551234567"
    body["message"]["artifact"]["transcript"] *= 5
    assert "at most 1048576 bytes" in error_of(transfer_destination(client, key, body))["message"]


def test_vapi_may_send_the_key_as_x_vapi_secret_and_nothing_without_a_key(
    client, agent, handoffs, key
):
    secret = post(client, "/api/v1/transfer-destination", vapi_request(), **{"X-Vapi-Secret": key})
    assert secret.status_code == 200 and "destination" in secret.json()
    anonymous = post(client, "/api/v1/transfer-destination", vapi_request())
    assert anonymous.status_code == 401
    assert error_of(anonymous)["code"] == "unauthenticated"
    assert HandoffLog.objects.count() == 1


# --- the fallback of a send-text action ---------------------------------------------------


@pytest.fixture
def with_fallback(agent):
    action = agent.actions.get()
    action.fallback_handoff = make_handoff("agent_queue")
    action.save()
    return action


FALLBACK = {
    "handoff": "agent_queue",
    "sip": EXPECTED["agent_queue"][0],
    "twiml": XML + EXPECTED["agent_queue"][1],
    "utterance": "",
    "say": "Tell the caller you are transferring them now.",
}
OFFER = (
    "offer to transfer them instead (Transfer to live agent queue). If they agree, call "
    'transfer_call with destination "agent_queue".'
)


def make_channel_unable_to_send(action):
    MessagingChannel.objects.filter(pk=action.channel_id).update(provider="twilio")


CANNOT_SEND = {
    "recipient_unavailable": (
        lambda action: None,
        {**BOOKING_BODY, "contact": {}},
        "Tell the caller you cannot send the text message because their number is not "
        f"available on this call; {OFFER}",
    ),
    "opted_out": (
        lambda action: OptOut.objects.create(number="+15551234567", source="manual"),
        BOOKING_BODY,
        "Tell the caller you cannot send the text message because their number has opted out "
        f"of our text messages; {OFFER}",
    ),
    "consent_required": (
        lambda action: type(action).objects.filter(pk=action.pk).update(require_consent=True),
        {**BOOKING_BODY, "parameters": {"booking_reference": "A", "caller_consent": False}},
        "Ask the caller whether they agree to receive a text message. Call again with "
        "caller_consent set to true only if they say yes; if they decline, do not send it and "
        f"do not ask again, and {OFFER}",
    ),
    "channel_unavailable": (
        make_channel_unable_to_send,
        BOOKING_BODY,
        f"Tell the caller you cannot send the text message right now; {OFFER}",
    ),
}


@pytest.mark.parametrize("code", list(CANNOT_SEND))
def test_a_send_that_cannot_happen_offers_the_fallback_handoff(
    client, agent, key, with_fallback, code
):
    arrange, body, say = CANNOT_SEND[code]
    arrange(with_fallback)
    response = invoke_action(client, key, body)

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == code
    assert error["fallback"] == FALLBACK
    assert error["say"] == say


@pytest.mark.parametrize("code", list(CANNOT_SEND))
def test_without_a_fallback_handoff_there_is_no_fallback(client, agent, key, code):
    arrange, body, _ = CANNOT_SEND[code]
    arrange(agent.actions.get())
    error = error_of(invoke_action(client, key, body))
    assert error["code"] == code
    assert "fallback" not in error
    assert "transfer_call" not in error["say"]


def test_a_twilio_channel_without_credentials_is_channel_unavailable_until_the_environment_has_them(
    client, agent, key, settings
):
    make_channel_unable_to_send(agent.actions.get())
    error = error_of(invoke_action(client, key))
    assert error["code"] == "channel_unavailable"
    assert error["message"] == (
        "The channel customer_notifications has no Twilio Account SID or auth token (and none is "
        "set in the environment), so it cannot send. Nothing was sent."
    )
    settings.TWILIO_ACCOUNT_SID = FAKE_ACCOUNT.account_sid
    assert "has no Twilio auth token" in error_of(invoke_action(client, key))["message"]
    settings.TWILIO_AUTH_TOKEN = FAKE_ACCOUNT.auth_token
    assert invoke_action(client, key).status_code == 202


def test_a_twilio_channel_with_its_own_credentials_can_send(client, agent, key):
    channel = make_twilio_channel(FAKE_ACCOUNT, name="own_credentials")
    agent.actions.update(channel=channel)
    assert invoke_action(client, key).status_code == 202


def test_the_fallback_handoff_costs_no_query_on_the_success_path(client, agent, key):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert invoke_action(client, key).status_code == 202
        return len(captured)

    queries()  # warm up: the key's last use is recorded once a minute
    without = queries()
    action = agent.actions.get()
    action.fallback_handoff = make_handoff("agent_queue")
    action.save()
    assert queries() == without


def test_the_builders_try_it_path_sees_the_fallback_too(agent, with_fallback):
    from actions.api.errors import ApiError
    from actions.api.invoke import send_action
    from actions.models import SendTextAction

    make_channel_unable_to_send(with_fallback)
    action = SendTextAction.objects.select_related("channel").get(pk=with_fallback.pk)
    with pytest.raises(ApiError) as raised:
        send_action(action, BOOKING_BODY, agent=None, environment="sandbox", is_test=True)
    assert raised.value.payload()["error"]["fallback"] == FALLBACK


# --- the OpenAPI document ---------------------------------------------------------------


def validate_against(doc, name, instance):
    from jsonschema import Draft202012Validator

    schema = {**doc["components"]["schemas"][name], "components": doc["components"]}
    Draft202012Validator(schema).validate(instance)


def test_the_handoff_answers_match_the_openapi_document(client, agent, handoffs, key):
    agent.actions.update(fallback_handoff=handoffs["agent_queue"])
    doc = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/handoffs/{name}/invoke", "/api/v1/transfer-destination"} <= set(doc["paths"])
    codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
    assert "channel_unavailable" in codes["enum"]
    for name in EXPECTED:
        validate_against(doc, "HandoffAnswer", invoke_handoff(client, key, name).json())
    for arguments in ({"destination": "billing_desk"}, {"destination": "end_call"}, None):
        answer = transfer_destination(client, key, vapi_request(arguments)).json()
        validate_against(doc, "VapiTransferDestinationAnswer", answer)
    validate_against(doc, "VapiTransferDestinationRequest", vapi_request())
    validate_against(doc, "Tool", tools(client, key)[-1])
    error = invoke_action(client, key, {**BOOKING_BODY, "contact": {}}).json()
    assert "fallback" in error["error"]
    validate_against(doc, "Error", error)
    validate_against(doc, "Error", invoke_handoff(client, key, "nope").json())
