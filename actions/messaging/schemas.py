"""Parameters schemas: validation, the effective schema, the tool definition, the no-code table.

`effective_schema` is the one place that adds parameters to what an admin wrote: the
`message` parameter when the message template is empty, and the consent parameter when
consent is required. The builder's preview, the agent API's tools and the invoke validation
all go through it.
"""

import copy
import json
import re
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

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
EMPTY_SCHEMA = {"type": "object", "properties": {}, "required": []}
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
PARAMETER_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,63}$")


def effective_schema(schema: dict, message_template: str, require_consent: bool) -> dict:
    """The schema the agent must satisfy: the admin's, plus the auto-injected parameters."""
    result = copy.deepcopy(schema) if schema else copy.deepcopy(EMPTY_SCHEMA)
    properties = result.setdefault("properties", {})
    required = list(result.get("required", []))
    if not (message_template or "").strip():
        properties[MESSAGE_PARAMETER] = {"type": "string", "description": MESSAGE_DESCRIPTION}
        required.append(MESSAGE_PARAMETER)
    if require_consent:
        properties[CONSENT_PARAMETER] = {"type": "boolean", "description": CONSENT_DESCRIPTION}
        required.append(CONSENT_PARAMETER)
    result["required"] = list(dict.fromkeys(required))
    return result


def tool_definition(name: str, description: str, parameters: dict) -> dict:
    """An OpenAI-style function tool, as `GET /api/v1/tools` lists it."""
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters},
    }


def reserved_parameters(message_template: str, require_consent: bool) -> dict[str, str]:
    """Names the admin's schema may not use, because effective_schema adds them, and why."""
    reserved = {}
    if not (message_template or "").strip():
        reserved[MESSAGE_PARAMETER] = (
            "is added automatically while the message is empty (the agent writes the text); "
            "rename the parameter or write a message"
        )
    if require_consent:
        reserved[CONSENT_PARAMETER] = "is added automatically when consent is required"
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


def check_parameters_schema(schema) -> None:
    """A draft 2020-12 JSON Schema of `"type": "object"`, with local references only."""
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


# --- The no-code parameter table ----------------------------------------------------------

TYPES = {
    "text": "Text",
    "number": "Number",
    "integer": "Whole number",
    "boolean": "Yes/no",
    "choice": "One of a list",
}
FORMATS = {"": "Any text", "phone": "Phone number", "email": "Email", "url": "URL"}
_JSON_TYPES = {"number": "number", "integer": "integer", "boolean": "boolean"}
_FORMAT_KEYWORDS = {"email": {"format": "email"}, "url": {"format": "uri"}}


@dataclass
class ParameterRow:
    name: str = ""
    type: str = "text"
    description: str = ""
    required: bool = True
    format: str = ""
    pattern: str = ""
    choices: str = ""  # comma-separated, for type "choice"

    def as_dict(self) -> dict:
        return asdict(self)


def schema_from_rows(rows: list[ParameterRow]) -> dict:
    """The JSON Schema the table stands for."""
    properties, required = {}, []
    for row in rows:
        prop: dict = {}
        if row.type == "choice":
            prop["type"] = "string"
            prop["enum"] = split_choices(row.choices)
        elif row.type in _JSON_TYPES:
            prop["type"] = _JSON_TYPES[row.type]
        else:
            prop["type"] = "string"
            if row.format == "phone":
                prop["pattern"] = E164_PATTERN
            elif row.format in _FORMAT_KEYWORDS:
                prop.update(_FORMAT_KEYWORDS[row.format])
            elif row.pattern:
                prop["pattern"] = row.pattern
        if row.description:
            prop["description"] = row.description
        properties[row.name] = prop
        if row.required:
            required.append(row.name)
    return {"type": "object", "properties": properties, "required": required}


def split_choices(text: str) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def rows_from_schema(schema: dict) -> tuple[list[ParameterRow] | None, str]:
    """The table for a schema, or (None, why) when the schema uses what the table cannot show."""
    if not isinstance(schema, dict):
        return None, "the schema is not an object"
    extra = set(schema) - {"type", "properties", "required", "$schema"}
    if extra:
        return None, f"it uses {', '.join(sorted(extra))} at the top level"
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    if not isinstance(properties, dict) or not isinstance(required, list):
        return None, "its properties or required list are not in the usual form"
    rows = []
    for name, prop in properties.items():
        row, why = _row_from_property(name, prop, name in required)
        if row is None:
            return None, f"the parameter “{name}” {why}"
        rows.append(row)
    return rows, ""


def _row_from_property(name, prop, required) -> tuple[ParameterRow | None, str]:
    if not isinstance(prop, dict):
        return None, "is not an object"
    if not PARAMETER_NAME_RE.match(name):
        return None, "has a name templates cannot read as .parameters.NAME"
    keys = set(prop) - {"type", "description"}
    description = prop.get("description", "")
    if not isinstance(description, str):
        return None, "has a description that is not text"
    row = ParameterRow(name=name, description=description, required=required)
    kind = prop.get("type")
    if kind in _JSON_TYPES and not keys:
        row.type = kind
        return row, ""
    if kind != "string":
        return None, f"has type {json.dumps(kind)} with {', '.join(sorted(keys)) or 'no options'}"
    if keys == {"enum"} and _is_text_list(prop["enum"]):
        row.type, row.choices = "choice", ", ".join(prop["enum"])
        return row, ""
    if not keys:
        return row, ""
    if keys == {"pattern"} and isinstance(prop["pattern"], str):
        if prop["pattern"] == E164_PATTERN:
            row.format = "phone"
        else:
            row.pattern = prop["pattern"]
        return row, ""
    for fmt, keywords in _FORMAT_KEYWORDS.items():
        if prop.keys() - {"type", "description"} == keywords.keys() and all(
            prop[k] == v for k, v in keywords.items()
        ):
            row.format = fmt
            return row, ""
    return None, f"uses {', '.join(sorted(keys))}"


def _is_text_list(value) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, str) and v.strip() == v and v and "," not in v for v in value)
    )


def check_rows(rows: list[ParameterRow]) -> dict[int, dict[str, str]]:
    """Problems per row index and column; empty when the table is fine."""
    problems: dict[int, dict[str, str]] = {}
    seen: set[str] = set()
    for index, row in enumerate(rows):
        errors = {}
        if not row.name:
            errors["name"] = "Give the parameter a name."
        elif not PARAMETER_NAME_RE.match(row.name):
            errors["name"] = (
                "Use letters, digits and underscores, starting with a letter or underscore."
            )
        elif row.name in seen:
            errors["name"] = f"There is already a parameter named “{row.name}”."
        seen.add(row.name)
        if row.type not in TYPES:
            errors["type"] = "Choose a type."
        if row.type == "choice" and not split_choices(row.choices):
            errors["choices"] = "List the allowed values, separated by commas."
        if row.type == "text" and row.format not in FORMATS:
            errors["format"] = "Choose a format."
        if row.type == "text" and row.pattern and not row.format:
            try:
                re.compile(row.pattern)
            except re.error as exc:
                errors["pattern"] = f"This is not a valid pattern: {exc.msg}."
        if errors:
            problems[index] = errors
    return problems


# --- Sample values for the preview ----------------------------------------------------------


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
