import pytest
from django.core.exceptions import ValidationError

from actions.messaging import parameter_table, schemas
from actions.messaging.parameter_table import ParameterRow

BOOKING = {
    "type": "object",
    "properties": {
        "booking_reference": {"type": "string", "description": "The booking reference number"}
    },
    "required": ["booking_reference"],
}


@pytest.mark.parametrize(
    ("message", "consent", "expected_added"),
    [
        ("Hi {{ .parameters.booking_reference }}", False, []),
        ("", False, ["message"]),
        ("Hi", True, ["caller_consent"]),
        ("   ", True, ["message", "caller_consent"]),
    ],
)
def test_the_effective_schema_adds_exactly_the_auto_parameters(message, consent, expected_added):
    effective = schemas.effective_schema(BOOKING, message, consent)
    assert list(effective["properties"]) == ["booking_reference", *expected_added]
    assert effective["required"] == ["booking_reference", *expected_added]
    if "message" in expected_added:
        assert effective["properties"]["message"]["type"] == "string"
        assert "text message to send" in effective["properties"]["message"]["description"]
    if "caller_consent" in expected_added:
        assert effective["properties"]["caller_consent"]["type"] == "boolean"
    assert BOOKING["required"] == ["booking_reference"]  # the admin's schema is not changed


@pytest.mark.parametrize(
    ("message", "consent"), [("", False), ("x", False), ("", True), ("x", True)]
)
def test_the_tool_definition_wraps_the_effective_schema(message, consent):
    effective = schemas.effective_schema(BOOKING, message, consent)
    tool = schemas.tool_definition("send_booking_confirmation", "Sends it.", effective)
    assert tool == {
        "type": "function",
        "function": {
            "name": "send_booking_confirmation",
            "description": "Sends it.",
            "parameters": effective,
        },
    }


def test_an_empty_schema_with_an_empty_message_asks_only_for_the_message():
    effective = schemas.effective_schema(schemas.EMPTY_SCHEMA, "", False)
    assert effective == {
        "type": "object",
        "properties": {
            "message": {
                "type": "string",
                "description": schemas.MESSAGE_DESCRIPTION,
                "maxLength": 1530,  # 10 GSM-7 segments, the default
            }
        },
        "required": ["message"],
    }
    two = schemas.effective_schema(schemas.EMPTY_SCHEMA, "", False, max_segments=2)
    assert two["properties"]["message"]["maxLength"] == 306
    one = schemas.effective_schema(schemas.EMPTY_SCHEMA, "", False, max_segments=1)
    assert one["properties"]["message"]["maxLength"] == 160


def test_schema_text_that_is_not_json_names_line_and_column():
    with pytest.raises(ValidationError) as exc:
        schemas.parse_schema_text('{\n  "type": "object",\n}')
    assert "not valid JSON" in exc.value.messages[0]
    assert "line 3" in exc.value.messages[0]


def test_a_schema_that_breaks_the_metaschema_is_refused_with_its_place():
    with pytest.raises(ValidationError) as exc:
        schemas.check_parameters_schema({"type": "object", "properties": {"x": {"type": "strin"}}})
    assert "not a valid JSON Schema at /properties/x/type" in exc.value.messages[0]


@pytest.mark.parametrize("schema", [{"type": "string"}, {"properties": {}}, [], "object"])
def test_a_schema_that_is_not_type_object_is_refused(schema):
    with pytest.raises(ValidationError) as exc:
        schemas.check_parameters_schema(schema)
    assert "object" in exc.value.messages[0]


def test_a_schema_with_a_remote_reference_is_refused():
    schema = {"type": "object", "properties": {"x": {"$ref": "https://example.com/s.json"}}}
    with pytest.raises(ValidationError, match="points outside this schema"):
        schemas.check_parameters_schema(schema)


def test_required_names_must_be_declared_properties():
    with pytest.raises(ValidationError, match="booking_ref"):
        schemas.check_parameters_schema(
            {"type": "object", "properties": {}, "required": ["booking_ref"]}
        )


def test_the_table_and_the_schema_round_trip():
    rows = [
        ParameterRow("booking_reference", "text", "The booking reference number", True),
        ParameterRow("phone_number", "text", "Where to send it", False, format="phone"),
        ParameterRow("email", "text", "", False, format="email"),
        ParameterRow("party_size", "integer", "How many", True),
        ParameterRow("deposit", "number", "", False),
        ParameterRow("vip", "boolean", "", False),
        ParameterRow("size", "choice", "", True, choices="small, medium, large"),
        ParameterRow("code", "text", "", True, pattern="^[A-Z]{3}[0-9]{3}$"),
    ]
    schema = parameter_table.schema_from_rows(rows)
    schemas.check_parameters_schema(schema)
    assert schema["properties"]["phone_number"]["pattern"] == schemas.E164_PATTERN
    assert schema["properties"]["size"] == {"type": "string", "enum": ["small", "medium", "large"]}
    assert schema["required"] == ["booking_reference", "party_size", "size", "code"]
    back, why = parameter_table.rows_from_schema(schema)
    assert why == ""
    assert back == rows


def test_the_documented_booking_schema_opens_in_the_table():
    rows, why = parameter_table.rows_from_schema(BOOKING)
    assert rows == [ParameterRow("booking_reference", "text", "The booking reference number", True)]


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ({"type": "object", "properties": {"a": {"type": "string", "minLength": 3}}}, "minLength"),
        ({"type": "object", "properties": {"a": {"type": "array"}}}, '"array"'),
        (
            {"type": "object", "properties": {}, "additionalProperties": False},
            "additionalProperties",
        ),
        ({"type": "object", "properties": {"first-name": {"type": "string"}}}, "first-name"),
    ],
)
def test_a_schema_the_table_cannot_show_says_why(schema, reason):
    rows, why = parameter_table.rows_from_schema(schema)
    assert rows is None
    assert reason in why


def test_table_rows_are_checked_one_problem_per_cell():
    problems = parameter_table.check_rows(
        [
            ParameterRow("", "text"),
            ParameterRow("ok", "choice", choices=" , "),
            ParameterRow("ok", "text"),
            ParameterRow("bad name", "text"),
            ParameterRow("p", "text", pattern="(unclosed"),
        ]
    )
    assert problems[0] == {"name": "Give the parameter a name."}
    assert problems[1] == {"choices": "List the allowed values, separated by commas."}
    assert "already a parameter named" in problems[2]["name"]
    assert "letters, digits and underscores" in problems[3]["name"]
    assert "not a valid pattern" in problems[4]["pattern"]


@pytest.mark.parametrize(
    ("name", "prop", "expected"),
    [
        ("booking_reference", {"type": "string"}, "ABC123"),
        ("phone_number", {"type": "string"}, "+15551234567"),
        ("party_size", {"type": "integer"}, 2),
        ("size", {"type": "string", "enum": ["small", "large"]}, "small"),
        ("vip", {"type": "boolean"}, True),
    ],
)
def test_sample_values_are_plausible(name, prop, expected):
    assert schemas.example_value(name, prop) == expected
