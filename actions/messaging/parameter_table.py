"""The no-code parameter table: rows of name, type, description, required, format, pattern
and choices, to and from a JSON Schema."""

import json
from dataclasses import asdict, dataclass

from actions.common.validation import NAME_RE
from actions.messaging.schemas import E164_PATTERN, pattern_problem

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
    if not NAME_RE.match(name):
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
        elif not NAME_RE.match(row.name):
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
            reason = pattern_problem(row.pattern)
            if reason:
                errors["pattern"] = (
                    f"This is not a valid pattern: {reason}. Patterns have no look-around or "
                    "back-references."
                )
        if errors:
            problems[index] = errors
    return problems
