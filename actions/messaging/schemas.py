"""Parameters schemas: the effective schema, checking an admin's schema, the tool's shape.

`effective_schema` is the one place that adds parameters to what an admin wrote: the
`message` parameter when the message template is empty, and the consent parameter when
consent is required. The builder's preview, the agent API's tools and the invoke validation
all go through it.

Parameters are checked by `ParametersValidator`: JSON Schema draft 2020-12, its formats
checked, whose `pattern` runs on RE2, in time linear in the value's length, so no pattern an
admin writes can stall a request (Python's `re` backtracks: `^(a+)+$` on 40 characters takes
minutes). A pattern RE2 cannot run (a look-ahead, a back-reference) is refused when the
schema is saved or imported.
"""

import copy
import functools
import json
from datetime import datetime, time
from urllib.parse import urlsplit

import re2
from django.core.exceptions import ValidationError
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as SchemaValidationError

from actions.messaging import sms

MESSAGE_PARAMETER = "message"
MESSAGE_DESCRIPTION = (
    "The text message to send, written for the caller: plain text, short and friendly, "
    "no more than a few sentences. It is sent exactly as written."
)
CONSENT_PARAMETER = "caller_consent"
CONSENT_DESCRIPTION = (
    "Set to true only if the caller has explicitly agreed, on this call, to receive this text "
    "message. Never assume consent; if they declined, do not call this tool."
)
DEFAULT_CONSENT_PROMPT = "May I send you a text message with these details?"
NUMBER_PARAMETER = "phone_number"
NUMBER_DESCRIPTION = (
    "Only when the caller's own number is unknown: the number to text, as the caller says it "
    "(with its country code if they give one). Leave it out otherwise."
)
EMPTY_SCHEMA = {"type": "object", "properties": {}, "required": []}
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"


def effective_schema(
    schema: dict,
    message_template: str,
    require_consent: bool,
    *,
    ask_for_number: bool = False,
    max_segments: int = sms.MAX_SEGMENTS,
) -> dict:
    """The schema the agent must satisfy: the admin's, plus the auto-injected parameters."""
    result = copy.deepcopy(schema) if schema else copy.deepcopy(EMPTY_SCHEMA)
    properties = result.setdefault("properties", {})
    required = list(result.get("required", []))
    if not (message_template or "").strip():
        properties[MESSAGE_PARAMETER] = {
            "type": "string",
            "description": MESSAGE_DESCRIPTION,
            "maxLength": sms.gsm7_characters(max_segments),
        }
        required.append(MESSAGE_PARAMETER)
    if require_consent:
        properties[CONSENT_PARAMETER] = {"type": "boolean", "description": CONSENT_DESCRIPTION}
        required.append(CONSENT_PARAMETER)
    if ask_for_number:
        properties[NUMBER_PARAMETER] = {"type": "string", "description": NUMBER_DESCRIPTION}
    result["required"] = list(dict.fromkeys(required))
    return result


def with_consent_question(description: str, question: str) -> str:
    """The tool's description with the consent question the agent must ask, word for word."""
    return (
        f"{description.rstrip()} Before calling, ask the caller exactly: “{question}” and set "
        f"{CONSENT_PARAMETER} to true only if they agree."
    )


def tool_definition(name: str, description: str, parameters: dict) -> dict:
    """An OpenAI-style function tool, as `GET /api/v1/tools` lists it."""
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


def reserved_parameters(
    message_template: str, require_consent: bool, ask_for_number: bool = False
) -> dict[str, str]:
    """Names the admin's schema may not use, because effective_schema adds them, and why."""
    reserved = {}
    if not (message_template or "").strip():
        reserved[MESSAGE_PARAMETER] = (
            "is added automatically while the message is empty (the agent writes the text); "
            "rename the parameter or write a message"
        )
    if require_consent:
        reserved[CONSENT_PARAMETER] = "is added automatically when consent is required"
    if ask_for_number:
        reserved[NUMBER_PARAMETER] = (
            "is added automatically when the agent may ask for a number; rename the parameter "
            "or turn “ask for a number” off"
        )
    return reserved


# --- Checking a schema ----------------------------------------------------------------------


def dumps(schema) -> str:
    """The schema as the JSON editor shows it."""
    return json.dumps(schema, indent=2, ensure_ascii=False)


def parse_schema_text(text: str) -> dict:
    """JSON text -> schema; a parse error names the line and column."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"This is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    return value


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is reported to the admin, not logged

# Keywords whose value is a schema, a list of schemas, or a mapping of names to schemas: where
# a `pattern` can stand.
_SUBSCHEMA = {
    "additionalProperties", "contains", "else", "if", "items", "not", "propertyNames", "then",
    "unevaluatedItems", "unevaluatedProperties",
}  # fmt: skip
_SUBSCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "prefixItems"}
_SUBSCHEMA_MAPS = {"$defs", "definitions", "dependentSchemas", "properties"}


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str):
    """The pattern compiled by RE2; re2.error when RE2 cannot run it."""
    return re2.compile(pattern, _RE2_OPTIONS)


def pattern_problem(pattern: str) -> str:
    """Why RE2 cannot run the pattern (its own words), or "" when it can."""
    try:
        compile_pattern(pattern)
    except re2.error as exc:
        return exc.args[0].decode(errors="replace") if exc.args else "not a pattern"
    return ""


def _pattern(validator, pattern, instance, schema):
    """The `pattern` keyword on RE2, with jsonschema's own message."""
    if not validator.is_type(instance, "string"):
        return
    try:
        matched = compile_pattern(pattern).search(instance)
    except re2.error:  # saved before patterns were checked at save: say so, never crash
        yield SchemaValidationError(f"the pattern {pattern!r} cannot be checked; fix the schema")
        return
    if not matched:
        yield SchemaValidationError(f"{instance!r} does not match {pattern!r}")


_Extended = validators.extend(Draft202012Validator, {"pattern": _pattern})

# `format` is checked, not only annotated: an admin who picks "email" or "date" expects the
# agent's value to be one. Draft 2020-12's checker, plus what it leaves to optional packages
# (uri, date-time, time) checked with the standard library, and `regex` on RE2 as `pattern`.
FORMAT_CHECKER = FormatChecker(
    [f for f in Draft202012Validator.FORMAT_CHECKER.checkers if f != "regex"]
)


@FORMAT_CHECKER.checks("regex", raises=re2.error)
def _is_regex(value) -> bool:
    return not isinstance(value, str) or bool(compile_pattern(value))


@FORMAT_CHECKER.checks("uri")
def _is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.path)) and " " not in value


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    # RFC 3339: a date, T, a time and an offset (Z or ±hh:mm).
    return "T" in value.upper() and datetime.fromisoformat(value).tzinfo is not None


@FORMAT_CHECKER.checks("time", raises=ValueError)
def _is_time(value) -> bool:
    return not isinstance(value, str) or time.fromisoformat(value) is not None


def ParametersValidator(schema: dict):  # noqa: N802 - used as the class it returns
    """The validator of an agent's parameters: RE2 patterns, formats checked."""
    return _Extended(schema, format_checker=FORMAT_CHECKER)


def _patterns(node, path: str = ""):
    """(JSON pointer, keyword, value) of every `pattern` and `patternProperties` in a schema."""
    if not isinstance(node, dict):
        return
    for keyword, value in node.items():
        if keyword in ("pattern", "patternProperties"):
            yield path, keyword, value
        elif keyword in _SUBSCHEMA:
            yield from _patterns(value, f"{path}/{keyword}")
        elif keyword in _SUBSCHEMA_LISTS and isinstance(value, list):
            for i, item in enumerate(value):
                yield from _patterns(item, f"{path}/{keyword}/{i}")
        elif keyword in _SUBSCHEMA_MAPS and isinstance(value, dict):
            for name, item in value.items():
                yield from _patterns(item, f"{path}/{keyword}/{name}")


def _check_patterns(schema: dict) -> None:
    for path, keyword, value in _patterns(schema):
        where = path or "/"
        if keyword == "patternProperties":
            raise ValidationError(
                f"“patternProperties” at {where} is not supported: name each parameter under "
                "“properties” (a tool's parameters have names the agent is told)."
            )
        reason = pattern_problem(value) if isinstance(value, str) else "it is not text"
        if reason:
            raise ValidationError(
                f"The “pattern” at {where} cannot be used: {reason}. Patterns run on RE2, which "
                "has no look-around or back-references; write it without them."
            )


def check_parameters_schema(schema) -> None:
    """A draft 2020-12 JSON Schema of `"type": "object"`, with local references only, and
    patterns RE2 can run."""
    if not isinstance(schema, dict):
        raise ValidationError("The parameters schema must be a JSON object ({…}).")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/" + "/".join(str(p) for p in exc.absolute_path) if exc.absolute_path else ""
        raise ValidationError(
            f"This is not a valid JSON Schema{' at ' + where if where else ''}: {exc.message}"
        ) from None
    if schema.get("type") != "object":
        raise ValidationError(
            'The parameters schema must have "type": "object" at the top, with the '
            'parameters under "properties".'
        )
    for ref in _refs(schema):
        if not ref.startswith("#"):
            raise ValidationError(
                f'"$ref": "{ref}" points outside this schema; only local references (#/…) '
                "are allowed."
            )
    _check_patterns(schema)
    properties = schema.get("properties", {})
    missing = [name for name in schema.get("required", []) if name not in properties]
    if missing:
        raise ValidationError(
            f"“required” lists {', '.join(missing)}, which “properties” does not declare."
        )


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def declared_parameters(schema: dict) -> set[str]:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return set(properties) if isinstance(properties, dict) else set()


# --- Sample values for the preview ----------------------------------------------------------


def longest_value(name: str, prop: dict):
    """The longest value the schema allows a parameter as text in a message, where it is
    bounded (maxLength, enum, const, boolean, bounded numbers); else a plausible example."""
    if not isinstance(prop, dict):
        return ""
    options = prop.get("enum") or ([prop["const"]] if "const" in prop else None)
    if options:
        return max(options, key=lambda o: len(str(o)))
    kind = prop.get("type")
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        bounds = [prop.get(k) for k in ("minimum", "maximum") if isinstance(prop.get(k), int)]
        if len(bounds) == 2:
            return max(bounds, key=lambda b: len(str(b)))
    if kind in (None, "string") and isinstance(prop.get("maxLength"), int):
        return "W" * min(prop["maxLength"], 2000)
    return example_value(name, prop)


def example_value(name: str, prop: dict):
    """A plausible value for a parameter, to prefill the preview."""
    if not isinstance(prop, dict):
        return ""
    if "enum" in prop and prop["enum"]:
        return prop["enum"][0]
    if "default" in prop:
        return prop["default"]
    kind = prop.get("type")
    if kind == "boolean":
        return True
    if kind == "integer":
        return 2
    if kind == "number":
        return 2.5
    if kind not in (None, "string"):
        return None
    lowered = name.lower()
    if name == MESSAGE_PARAMETER:
        return "Thanks for calling today. As discussed, your appointment is on Monday at 10am."
    if prop.get("pattern") == E164_PATTERN or "phone" in lowered or "number" in lowered:
        return "+15551234567"
    if prop.get("format") == "email" or "email" in lowered:
        return "caller@example.com"
    if prop.get("format") == "uri" or "url" in lowered or "link" in lowered:
        return "https://example.com/b/ABC123"
    if "date" in lowered:
        return "2026-12-01"
    if "time" in lowered:
        return "10:30"
    if "name" in lowered:
        return "Alex"
    if any(word in lowered for word in ("reference", "ref", "code", "id")):
        return "ABC123"
    return f"sample {name.replace('_', ' ')}"
