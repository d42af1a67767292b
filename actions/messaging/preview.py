"""The live preview of a send-text action: what the agent sees and what the caller would get.

Works on an unsaved action with whatever parts of it are valid, so the builder can show the
effect of each keystroke.
"""

import json
from dataclasses import dataclass, field

from actions import gotemplate
from actions.messaging import schemas, sending, sms, templating
from actions.models import SendTextAction

SAMPLE_CONTACT = "+15551234567"
SAMPLE_CONVERSATION = "preview-conversation"


@dataclass
class SampleField:
    name: str
    kind: str  # text, number, integer, boolean, choice
    value: str
    description: str = ""
    required: bool = False
    choices: list[str] = field(default_factory=list)
    auto: bool = False  # added by the effective schema, not by the admin


@dataclass
class Preview:
    tool: dict
    tool_json: str
    auto_parameters: list[str]
    body: str = ""
    body_error: str = ""
    recipient: str = ""
    recipient_error: str = ""
    parameter_errors: list[str] = field(default_factory=list)
    analysis: sms.SmsAnalysis | None = None
    gsm_safe_body: str = ""
    # What the message and recipient templates can read, each as a snippet to insert.
    insertable: list[tuple[str, str]] = field(default_factory=list)


def insertable(effective: dict) -> list[tuple[str, str]]:
    """(label, snippet) of each field a template can read: a required parameter as itself, an
    optional one inside `with` (a message may not read it untested), then the contact's
    number, the conversation id and a variable."""
    properties = effective.get("properties", {}) if isinstance(effective, dict) else {}
    required = set(effective.get("required", [])) if isinstance(effective, dict) else set()
    found = []
    for name in properties:
        if name == schemas.CONSENT_PARAMETER:
            continue
        field = f".parameters.{name}"
        if name in required:
            found.append((name, f"{{{{ {field} }}}}"))
        else:
            found.append((f"{name} (optional)", f"{{{{ with {field} }}}}{{{{ . }}}}{{{{ end }}}}"))
    found += [
        ("contact's number", "{{ .contact.phone_number }}"),
        ("conversation id", "{{ .conversation_id }}"),
        ("a variable", "{{ with .variables.NAME }}{{ . }}{{ end }}"),
    ]
    return found


def sample_fields(effective: dict, posted: dict | None) -> list[SampleField]:
    """One input per parameter of the effective schema, prefilled with a plausible value."""
    properties = effective.get("properties", {}) if isinstance(effective, dict) else {}
    required = set(effective.get("required", [])) if isinstance(effective, dict) else set()
    auto = {schemas.MESSAGE_PARAMETER, schemas.CONSENT_PARAMETER, schemas.NUMBER_PARAMETER}
    fields = []
    for name, prop in properties.items():
        prop = prop if isinstance(prop, dict) else {}
        kind = {"number": "number", "integer": "integer", "boolean": "boolean"}.get(
            prop.get("type"), "text"
        )
        choices = [str(c) for c in prop.get("enum", [])] if "enum" in prop else []
        if choices:
            kind = "choice"
        key = f"sample-{name}"
        if posted is not None and key in posted:
            value = posted[key]
        else:
            example = schemas.example_value(name, prop)
            value = json.dumps(example) if isinstance(example, bool) else str(example or "")
        fields.append(
            SampleField(
                name=name,
                kind=kind,
                value=value,
                description=prop.get("description", ""),
                required=name in required,
                choices=choices,
                auto=name in auto and name in effective.get("required", []),
            )
        )
    return fields


def sample_parameters(fields: list[SampleField], omit_optional: bool = False) -> dict:
    """The typed values an agent would send, from the sample inputs (empty ones left out, and
    every optional one with omit_optional: what the message is when the agent sends none)."""
    values = {}
    for sample in fields:
        if omit_optional and not sample.required:
            continue
        raw = sample.value.strip() if sample.kind != "text" else sample.value
        if raw == "":
            continue
        if sample.kind == "boolean":
            values[sample.name] = raw == "true"
        elif sample.kind in ("number", "integer"):
            try:
                number = float(raw)
            except ValueError:
                values[sample.name] = raw  # left as text: the schema check reports it
                continue
            values[sample.name] = int(number) if number.is_integer() else number
        else:
            values[sample.name] = raw
    return values


def sample_variables(action: SendTextAction) -> str:
    """A JSON object with a plausible value for each variable the templates read."""
    names = []
    for source in (action.message_template, action.recipient_template):
        try:
            chains = gotemplate.parse(source or "").fields()
        except gotemplate.TemplateError:
            continue
        names += sorted(c[1] for c in chains if len(c) > 1 and c[0] == "variables")
    values = {name: schemas.example_value(name, {"type": "string"}) for name in names}
    return json.dumps(values, ensure_ascii=False)


def signature(effective: dict) -> str:
    """Changes when the sample inputs must be rebuilt: a parameter added, removed or retyped."""
    properties = effective.get("properties", {}) if isinstance(effective, dict) else {}
    return json.dumps(
        [[n, p.get("type"), p.get("enum")] for n, p in properties.items() if isinstance(p, dict)]
    )


def build(
    action: SendTextAction,
    parameters: dict,
    contact: str,
    variables: dict,
    schema_ok: bool,
) -> Preview:
    effective = action.effective_schema() if schema_ok else schemas.EMPTY_SCHEMA
    tool = schemas.tool_definition(action.name or "", action.tool_description(), effective)
    auto = [n for n in (schemas.MESSAGE_PARAMETER, schemas.CONSENT_PARAMETER)
            if n in effective.get("required", []) and schema_ok]  # fmt: skip
    if schema_ok and action.asks_for_number:
        auto.append(schemas.NUMBER_PARAMETER)
    result = Preview(
        tool=tool,
        tool_json=json.dumps(tool, indent=2, ensure_ascii=False),
        auto_parameters=auto,
        insertable=insertable(effective),
    )
    if schema_ok:
        validator = schemas.ParametersValidator(effective)
        for error in sorted(validator.iter_errors(parameters), key=lambda e: list(e.path)):
            where = "/" + "/".join(str(p) for p in error.path)
            result.parameter_errors.append(f"{where}: {error.message}")

    data = templating.template_data(parameters, variables, contact, SAMPLE_CONVERSATION)
    try:
        result.body = sending.render_body(action, data)
    except gotemplate.TemplateError as exc:
        result.body_error = templating.describe_error(exc)
    if result.body:
        result.analysis = sms.analyse(result.body)
        safe = sms.gsm_safe(result.body)
        result.gsm_safe_body = safe if safe != result.body else ""
    try:
        result.recipient = sending.resolve_recipient(action, data)
    except sending.RecipientUnavailable as exc:
        result.recipient_error = str(exc)
    return result
