import json

import pytest
from django.core.management import call_command

from actions.models import Agent, ApiKey, Message, MessageEvent, OptOut
from tests.factories import make_action, make_channel

pytestmark = pytest.mark.django_db

BOOKING_BODY = {
    "conversation_id": "CA-123",
    "contact": {"phone_number": "+15551234567"},
    "variables": {},
    "parameters": {"booking_reference": "ABC123"},
}


@pytest.fixture
def agent():
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_channel(sender_live="+443333333333")))
    return agent


@pytest.fixture
def key(agent):
    return ApiKey.issue(agent, "sandbox")[1]


def call(client, key, path, body=None, method="post", **headers):
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if method == "get":
        return client.get(path, headers=headers)
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(path, data, content_type="application/json", headers=headers)


def invoke(client, key, body=BOOKING_BODY, name="send_booking_confirmation", **headers):
    return call(client, key, f"/api/v1/actions/{name}/invoke", body, **headers)


def error_of(response):
    return response.json()["error"]


def test_tools_lists_the_agents_enabled_actions_with_their_effective_schema(client, agent, key):
    summary = make_action(
        agent.actions.first().channel,
        name="send_summary_sms",
        message_template="",
        parameters_schema={"type": "object", "properties": {}, "required": []},
    )
    agent.actions.add(summary, make_action(summary.channel, name="off", enabled=False))
    make_action(summary.channel, name="not_this_agents")
    tools = call(client, key, "/api/v1/tools", method="get").json()["tools"]
    assert [t["function"]["name"] for t in tools] == [
        "send_booking_confirmation",
        "send_summary_sms",
    ]
    assert tools[1] == summary.tool_definition()
    assert tools[1]["function"]["parameters"]["required"] == ["message"]


def test_invoke_queues_the_message_on_commit_and_answers_202(
    client, agent, key, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = invoke(client, key)
    assert response.status_code == 202
    body = response.json()
    message = Message.objects.get()
    assert body == {
        "id": str(message.id),
        "status": "queued",
        "to": "+15551234567",
        "from": "+15005550006",
        "body": "Hi, your booking is confirmed! Reference: ABC123. Reply to this message if you "
        "need to make changes.",
        "say": "Tell the caller the text message has been sent to the number ending 4567.",
    }
    assert message.status == "queued" and message.agent == agent
    assert message.conversation_id == "CA-123" and message.environment == "sandbox"
    assert list(message.events.values_list("status", flat=True)) == ["queued"]
    assert len(callbacks) == 1


def test_a_live_key_sends_from_the_live_sender(client, agent):
    live = ApiKey.issue(agent, "live")[1]
    assert live.startswith("sb_live_")
    assert invoke(client, live).json()["from"] == "+443333333333"


@pytest.mark.parametrize("header", [None, "Bearer sb_sandbox_wrong", "Basic abc", "Bearer "])
def test_a_missing_or_wrong_key_is_401(client, agent, header):
    headers = {"Authorization": header} if header else {}
    response = invoke(client, None, **headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "unauthenticated"
    assert not Message.objects.exists()


def test_a_revoked_key_is_401(client, agent, key):
    ApiKey.objects.get().revoke()
    response = invoke(client, key)
    assert response.status_code == 401
    assert "revoked" in error_of(response)["message"]


def test_another_agents_action_is_404_and_not_revealed(client, agent, key):
    other = make_action(agent.actions.first().channel, name="secret_action")
    Agent.objects.create(name="other").actions.add(other)
    response = invoke(client, key, name="secret_action")
    assert response.status_code == 404
    assert error_of(response)["code"] == "unknown_action"
    assert invoke(client, key, name="nope").json() == response.json() | {
        "error": {
            **error_of(response),
            "message": error_of(response)["message"].replace("secret_action", "nope"),
        }
    }


def test_a_disabled_action_is_404(client, agent, key):
    agent.actions.update(enabled=False)
    assert error_of(invoke(client, key))["code"] == "unknown_action"


def test_a_missing_parameter_is_400_with_its_path_and_a_sentence_to_say(client, agent, key):
    response = invoke(client, key, {**BOOKING_BODY, "parameters": {}})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_parameters"
    assert error["details"] == [
        {"path": "/parameters/booking_reference", "message": "“booking_reference” is required."}
    ]
    assert error["say"] == (
        "Ask the caller for the booking reference number, "
        "then call send_booking_confirmation again."
    )
    assert not Message.objects.exists()


def test_an_extra_parameter_and_a_wrong_type_are_each_reported(client, agent, key):
    body = {**BOOKING_BODY, "parameters": {"booking_reference": 42, "colour": "red"}}
    details = error_of(invoke(client, key, body))["details"]
    paths = sorted(d["path"] for d in details)
    assert paths == ["/parameters/booking_reference", "/parameters/colour"]
    assert any("is not of type 'string'" in d["message"] for d in details)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({**BOOKING_BODY, "paramters": {}}), "Unknown field “paramters”"),
        (json.dumps({**BOOKING_BODY, "contact": "+1555"}), "contact must be an object"),
        (json.dumps({**BOOKING_BODY, "parameters": []}), "parameters must be a JSON object"),
        (json.dumps({**BOOKING_BODY, "conversation_id": 5}), "conversation_id must be a string"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_a_malformed_body_is_400_invalid_request(client, agent, key, raw, fragment):
    response = invoke(client, key, raw)
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_request"
    assert fragment in error_of(response)["message"]
    assert not Message.objects.exists()


def test_a_body_over_64_kib_is_refused(client, agent, key):
    body = {**BOOKING_BODY, "variables": {"x": "y" * 70_000}}
    response = invoke(client, key, body)
    assert response.status_code == 400
    assert "at most 65536 bytes" in error_of(response)["message"]


def test_consent_is_required_when_the_action_says_so(client, agent, key):
    agent.actions.update(require_consent=True)
    response = invoke(client, key)
    assert response.status_code == 400  # caller_consent is a required parameter
    body = {**BOOKING_BODY, "parameters": {"booking_reference": "A", "caller_consent": False}}
    response = invoke(client, key, body)
    assert response.status_code == 422
    assert error_of(response)["code"] == "consent_required"
    body["parameters"]["caller_consent"] = True
    assert invoke(client, key, body).status_code == 202


@pytest.mark.parametrize("number", ["", None, "0123", "not a number"])
def test_no_usable_contact_number_is_422_recipient_unavailable(client, agent, key, number):
    response = invoke(client, key, {**BOOKING_BODY, "contact": {"phone_number": number}})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "recipient_unavailable"
    # The tool takes no number: the agent is never told to ask for one.
    assert error["say"] == (
        "Tell the caller you cannot send the text message because their number is not "
        "available on this call; offer another way to help."
    )
    assert "ask" not in error["say"].lower()
    assert not Message.objects.exists()


def test_a_custom_recipient_template_reads_the_variables(client, agent, key):
    agent.actions.update(
        recipient_mode="custom", recipient_template="{{ .variables.customer_phone }}"
    )
    body = {**BOOKING_BODY, "contact": {}, "variables": {"customer_phone": "+44 7700 900123"}}
    assert invoke(client, key, body).json()["to"] == "+447700900123"
    response = invoke(client, key, {**BOOKING_BODY, "variables": {}})
    assert error_of(response)["code"] == "recipient_unavailable"


def test_a_template_error_at_call_time_is_422_and_sends_nothing(client, agent, key):
    agent.actions.update(message_template="Hi {{ .variables.first_name }}")
    response = invoke(client, key)
    assert response.status_code == 422
    assert error_of(response)["code"] == "template_error"
    assert "first_name" in error_of(response)["message"]
    assert not Message.objects.exists()


def test_an_opted_out_number_is_422(client, agent, key):
    OptOut.objects.create(number="+15551234567", sender="+15005550006", source="inbound")
    response = invoke(client, key)
    assert response.status_code == 422
    assert error_of(response)["code"] == "opted_out"
    assert not Message.objects.exists()
    assert not MessageEvent.objects.exists()


def test_an_opt_out_from_every_sender_blocks_and_one_from_another_sender_does_not(
    client, agent, key
):
    OptOut.objects.create(number="+15551234567", sender="+15009990000", source="inbound")
    assert invoke(client, key).status_code == 202
    OptOut.objects.create(number="+15551234567", sender="", source="manual")
    response = invoke(client, key)
    assert error_of(response)["code"] == "opted_out"
    assert Message.objects.count() == 1


def test_the_same_idempotency_key_and_body_returns_the_first_answer(client, agent, key):
    first = invoke(client, key, **{"Idempotency-Key": "k-1"})
    second = invoke(client, key, **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert Message.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_409(client, agent, key):
    invoke(client, key, **{"Idempotency-Key": "k-1"})
    other = {**BOOKING_BODY, "parameters": {"booking_reference": "ZZZ"}}
    response = invoke(client, key, other, **{"Idempotency-Key": "k-1"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_conflict"
    assert Message.objects.count() == 1


def test_a_message_can_be_read_back_only_by_its_agent(client, agent, key):
    message_id = invoke(client, key).json()["id"]
    body = call(client, key, f"/api/v1/messages/{message_id}", method="get").json()
    assert body["status"] == "queued" and body["events"][0]["status"] == "queued"
    other = Agent.objects.create(name="other")
    other_key = ApiKey.issue(other, "sandbox")[1]
    response = call(client, other_key, f"/api/v1/messages/{message_id}", method="get")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    response = call(client, key, "/api/v1/messages/not-a-uuid", method="get")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


def test_unknown_paths_and_wrong_methods_answer_in_the_error_shape(client, agent, key):
    response = call(client, key, "/api/v1/nothing-here", method="get")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    response = call(client, key, "/api/v1/tools", {})
    assert response.status_code == 405 and error_of(response)["code"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET"


def test_using_a_key_records_when_it_was_last_used(client, agent, key):
    assert ApiKey.objects.get().last_used_at is None
    call(client, key, "/api/v1/tools", method="get")
    assert ApiKey.objects.get().last_used_at is not None


def test_keys_are_stored_only_as_a_hash_with_a_recognisable_prefix(agent):
    key, plaintext = ApiKey.issue(agent, "live")
    assert plaintext.startswith("sb_live_") and len(plaintext) > 40
    assert key.prefix == plaintext[: len(key.prefix)] and len(key.prefix) < 20
    assert plaintext not in {key.key_hash, key.prefix}


def test_the_create_api_key_command_prints_a_working_key(client, agent, capsys):
    call_command("create_api_key", "booking_bot", "--environment", "pre_release")
    plaintext = capsys.readouterr().out.strip()
    assert plaintext.startswith("sb_pre_release_")
    assert call(client, plaintext, "/api/v1/tools", method="get").status_code == 200


def test_ping_names_the_keys_agent_and_environment(client, agent, key):
    response = call(client, key, "/api/v1/ping", method="get")
    assert response.json() == {"agent": "booking_bot", "environment": "sandbox"}


def test_the_openapi_document_describes_every_endpoint_and_the_error_shape(client, key):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) >= {
        "/api/v1/ping",
        "/api/v1/tools",
        "/api/v1/actions/{name}/invoke",
        "/api/v1/messages/{id}",
    }
    invoke_op = doc["paths"]["/api/v1/actions/{name}/invoke"]["post"]
    assert set(invoke_op["responses"]) >= {"202", "400", "401", "404", "409", "422"}
    codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
    assert {"invalid_parameters", "idempotency_conflict", "recipient_unavailable"} <= set(
        codes["enum"]
    )


def test_the_api_docs_page_renders_for_admins(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/api/docs/").content.decode()
    assert "/api/v1/actions/{name}/invoke" in page and "InvokeRequest" in page


def validate_against(doc, name, instance):
    from jsonschema import Draft202012Validator

    schema = {**doc["components"]["schemas"][name], "components": doc["components"]}
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(instance)


def test_real_answers_match_the_openapi_schemas(client, agent, key):
    doc = client.get("/api/v1/openapi.json").json()
    accepted = invoke(client, key).json()
    validate_against(doc, "InvokeAccepted", accepted)
    message = call(client, key, f"/api/v1/messages/{accepted['id']}", method="get").json()
    validate_against(doc, "Message", message)
    for tool in call(client, key, "/api/v1/tools", method="get").json()["tools"]:
        validate_against(doc, "Tool", tool)
    for response in (
        invoke(client, key, {**BOOKING_BODY, "parameters": {}}),
        invoke(client, None),
        invoke(client, key, name="nope"),
        invoke(client, key, "{"),
    ):
        validate_against(doc, "Error", response.json())
