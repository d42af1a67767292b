"""Bounded work and a 4xx naming the field for every hostile input (issue 14, items 3 and 4)."""

import io
import json
import time

import pytest
from django.core.exceptions import ValidationError

from actions import configfile
from actions.api.bodies import read_json
from actions.api.errors import ApiError
from actions.messaging import parameter_table, schemas
from actions.messaging.forms import SendTextActionForm
from actions.models import Agent, ApiKey, Message, SendTextAction
from tests.factories import make_action, make_channel
from tests.unit.test_api import error_of, invoke

pytestmark = pytest.mark.django_db

CATASTROPHIC = "^(a+)+$"  # Python's re backtracks for minutes on 40 characters and a "b"


def schema_with(prop: dict) -> dict:
    return {"type": "object", "properties": {"code": prop}, "required": ["code"]}


@pytest.fixture
def redos_key():
    action = make_action(
        make_channel(),
        name="check_code",
        parameters_schema=schema_with({"type": "string", "pattern": CATASTROPHIC}),
        message_template="Your code: {{ .parameters.code }}",
    )
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(action)
    return ApiKey.issue(agent, "sandbox")[1]


def test_a_catastrophic_pattern_is_checked_in_linear_time(client, redos_key):
    body = {"contact": {"phone_number": "+15551234567"}, "parameters": {"code": "a" * 40 + "b"}}
    invoke(client, redos_key, {}, name="check_code")  # the process's first request loads the URLs

    started = time.perf_counter()
    response = invoke(client, redos_key, body, name="check_code")
    elapsed = time.perf_counter() - started

    assert response.status_code == 400
    assert error_of(response)["details"] == [
        {"path": "/parameters/code", "message": f"'{'a' * 40}b' does not match '{CATASTROPHIC}'"}
    ]
    assert elapsed < 1.0  # with Python's re this request would take minutes
    assert not Message.objects.exists()


def test_a_matching_value_passes_the_same_pattern(client, redos_key):
    body = {"contact": {"phone_number": "+15551234567"}, "parameters": {"code": "a" * 40}}
    assert invoke(client, redos_key, body, name="check_code").status_code == 202


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [(r"^(?=\d)\w+$", "invalid perl operator: (?="), (r"^(a)\1$", "invalid escape sequence")],
)
def test_a_pattern_re2_cannot_run_is_refused_at_save_naming_its_place(pattern, fragment):
    with pytest.raises(ValidationError) as caught:
        schemas.check_parameters_schema(schema_with({"type": "string", "pattern": pattern}))
    message = caught.value.messages[0]
    assert message.startswith("The “pattern” at /properties/code cannot be used: ")
    assert fragment in message


def test_pattern_properties_are_refused():
    schema = {"type": "object", "patternProperties": {"^x_": {"type": "string"}}}
    with pytest.raises(ValidationError) as caught:
        schemas.check_parameters_schema(schema)
    assert "“patternProperties” at / is not supported" in caught.value.messages[0]


def test_the_builder_form_refuses_such_a_pattern_on_the_schema_field():
    channel = make_channel()
    form = SendTextActionForm(
        {
            "name": "check_code",
            "description": "Checks a code.",
            "channel": channel.pk,
            "recipient_mode": "contact",
            "schema_mode": "json",
            "parameters_schema": '{"type": "object", "properties": {"code": '
            '{"type": "string", "pattern": "(?<=a)b"}}}',
            "message_template": "",
        }
    )
    assert not form.is_valid()
    assert any("cannot be used" in m for m in form.errors["parameters_schema"])
    assert not SendTextAction.objects.exists()


def test_the_config_import_refuses_such_a_pattern_naming_its_place(settings):
    text = """
channels:
  - {name: customer_notifications, provider: console, sender: "+15005550006"}
actions:
  - name: check_code
    description: Checks a code.
    channel: customer_notifications
    recipient: contact
    parameters: {type: object, properties: {code: {type: string, pattern: "(?!x)y"}}}
"""
    with pytest.raises(configfile.ConfigError) as caught:
        configfile.apply(configfile.load(text))
    problems = [str(p) for p in caught.value.problems]
    assert any(p.startswith("actions[0].parameters") and "cannot be used" in p for p in problems)
    assert not SendTextAction.objects.exists()


def test_a_table_row_with_such_a_pattern_is_refused_on_its_pattern_cell():
    rows = [parameter_table.ParameterRow(name="code", type="text", pattern="(?=a)")]
    problems = parameter_table.check_rows(rows)
    assert problems[0]["pattern"].startswith("This is not a valid pattern: invalid perl operator")


# --- Every bad body is a 400 naming the field, and writes nothing ------------------------------


@pytest.fixture
def key():
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_channel(), message_template=""))
    return ApiKey.issue(agent, "sandbox")[1]


def raw_invoke(client, key, raw: str, name="send_booking_confirmation"):
    return client.post(
        f"/api/v1/actions/{name}/invoke",
        raw,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


BASE = '{"contact": {"phone_number": "+15551234567"}, "parameters": {"booking_reference": "A1", '


@pytest.mark.parametrize(
    ("raw", "path", "fragment"),
    [
        (BASE + '"message": "Hi\\u0000"}}', "/parameters/message", "NUL character"),
        (BASE + '"message": "Hi"}, "variables": {"a\\u0000": 1}}', "/variables/a\x00", "NUL"),
        (BASE + '"message": "Hi"}, "variables": {"x": "\\ud800"}}', "/variables/x", "surrogate"),
        (BASE + '"message": "Hi"}, "variables": {"x": 1e400}}', "/variables/x", "not a finite"),
        (BASE + '"message": "Hi"}, "variables": {"x": NaN}}', "/variables/x", "not a finite"),
        (BASE + '"message": "Hi"}, "variables": {"x": -Infinity}}', "/variables/x", "finite"),
        (BASE + '"message": "Hi"}, "variables": {"x": ' + "9" * 5000 + "}}", "/variables/x",
         "integer of 5000 digits"),
        (BASE + '"message": "Hi"}, "variables": {"x": ' + "[" * 40 + "]" * 40 + "}}",
         "/variables/x" + "/0" * 30, "nested too deeply"),
    ],
)  # fmt: skip
def test_a_value_no_later_step_could_take_is_400_naming_it(client, key, raw, path, fragment):
    response = raw_invoke(client, key, raw)

    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert error["details"][0]["path"] == path
    assert fragment in error["message"]
    assert not Message.objects.exists()


def test_thirty_thousand_nested_brackets_are_400_not_a_crash(client, key):
    response = raw_invoke(client, key, "[" * 30_000 + "]" * 30_000)
    assert response.status_code == 400
    assert "nested too deeply" in error_of(response)["message"]


def test_a_message_longer_than_its_segments_is_refused_before_the_202(client, key):
    body = BASE + '"message": "' + "x" * 1531 + '"}}'

    response = raw_invoke(client, key, body)

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_parameters"
    assert error["details"][0]["path"] == "/parameters/message"
    assert error["details"][0]["message"] == "Is 1,531 characters long; at most 1,530."
    assert error["say"] == (
        "Correct this, then call send_booking_confirmation again: the message must be at most "
        "1,530 characters long (it is 1 character too long)."
    )
    assert not Message.objects.exists()


def test_a_message_of_exactly_ten_segments_is_sent(client, key):
    assert raw_invoke(client, key, BASE + '"message": "' + "x" * 1530 + '"}}').status_code == 202


def request_with_body(rf, body: bytes, **environ):
    request = rf.post("/api/v1/ping", b"", content_type="application/json")
    request.META.pop("CONTENT_LENGTH", None)
    request.META.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(body)})
    request.META.update(environ)
    return request


def test_a_chunked_body_is_read_whole_where_the_server_undoes_the_chunking(rf):
    body = b'{"conversation_id": "c-1", "parameters": {"booking_reference": "A1"}}'
    request = request_with_body(rf, body, **{"wsgi.input_terminated": True})
    assert read_json(request) == json.loads(body)


def test_a_chunked_body_the_server_cannot_read_is_400_not_an_empty_body(rf):
    with pytest.raises(ApiError) as caught:
        read_json(request_with_body(rf, b'{"a": 1}'))
    assert caught.value.status == 400
    assert "Content-Length" in caught.value.message


def test_a_chunked_body_over_the_limit_is_refused(rf):
    request = request_with_body(
        rf, b"[" + b"1," * 40_000 + b"1]", **{"wsgi.input_terminated": True}
    )
    with pytest.raises(ApiError) as caught:
        read_json(request)
    assert "at most 65536 bytes" in caught.value.message
