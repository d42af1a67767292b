"""Bounded work and a 4xx naming the field for every hostile input (issue 14, items 3 and 4)."""

import time

import pytest
from django.core.exceptions import ValidationError

from actions import configfile
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
