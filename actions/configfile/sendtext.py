"""The file's `actions:` section (send-text actions): its keys, how an action is read, checked
and exported.

Named for the model (SendTextAction): `actions` is the app, and a section's local name.
"""

import copy
import json
import math

from actions.configfile.problems import Path, kind
from actions.configfile.shape import Fields, Item, Shape
from actions.messaging import schemas, sms
from actions.messaging.forms import SendTextActionForm
from actions.models import SendTextAction

NOUN = "action"
MODEL = SendTextAction
KEYS = (
    "name",
    "display_name",
    "description",
    "channel",
    "recipient",
    "parameters",
    "message",
    "max_segments",
    "ask_for_number",
    "require_consent",
    "consent_prompt",
    "fallback_handoff",
    "enabled",
)
# Where each form field's messages go, as a path below the item.
PLACES = {
    "name": ("name",),
    "display_name": ("display_name",),
    "description": ("description",),
    "channel": ("channel",),
    "recipient_mode": ("recipient",),
    "recipient_template": ("recipient", "template"),
    "parameters_schema": ("parameters",),
    "message_template": ("message",),
    "max_segments": ("max_segments",),
    "ask_for_number": ("ask_for_number",),
    "require_consent": ("require_consent",),
    "consent_prompt": ("consent_prompt",),
    "fallback_handoff": ("fallback_handoff",),
    "enabled": ("enabled",),
}

# JSON Schema keywords in the order people write them; other keys (parameter names) follow,
# sorted. PostgreSQL's jsonb keeps no key order and SQLite keeps the order written: without an
# order of its own, the same schema would export differently from each.
SCHEMA_KEYWORDS = (
    "$schema",
    "$id",
    "title",
    "type",
    "enum",
    "const",
    "format",
    "pattern",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "default",
    "description",
    "properties",
    "required",
    "additionalProperties",
    "items",
)


def read(raw, path: Path, shape: Shape) -> Item | None:
    fields = Fields.of(raw, path, "actions", shape, KEYS)
    if fields is None:
        return None
    item = fields.item
    recipient = _recipient(fields)
    parameters = _parameters(fields)
    item.values = {
        "name": fields.text("name"),
        "description": fields.text("description"),
        "channel": fields.text("channel"),
        "recipient": recipient,
        "parameters": parameters,
        "message": fields.text("message"),
        # Checked by the form, as the builder's field is: a whole number from 1 to 10.
        "max_segments": fields.raw.get("max_segments", sms.MAX_SEGMENTS),
        "ask_for_number": fields.flag("ask_for_number", False),
        "require_consent": fields.flag("require_consent", False),
        "consent_prompt": fields.text("consent_prompt"),
        "fallback_handoff": fields.text("fallback_handoff"),
        "enabled": fields.flag("enabled", True),
    }
    if display_name := fields.text("display_name"):  # written only when set
        item.values["display_name"] = display_name
    return item


def _recipient(fields: Fields) -> str | dict:
    """ "contact" (the caller's number) or {"template": …}; "contact" when it is wrong."""
    recipient = fields.raw.get("recipient")
    where = fields.path("recipient")
    shape, bad = fields.shape, fields.item.bad
    if recipient is None or recipient == "contact":
        return "contact"
    if isinstance(recipient, dict):
        shape.mapping(recipient, where, ("template",))
        if "template" in recipient:
            template = shape.text(recipient["template"], (*where, "template"), bad, ("recipient",))
            return {"template": template}
        bad.add(("recipient",))
        shape.add(where, "give the recipient's template: {template: …}")
        return "contact"
    bad.add(("recipient",))
    shape.add(
        where,
        "must be contact (the caller's number) or {template: …} "
        '(a number or a template such as "{{ .parameters.phone_number }}")',
    )
    return "contact"


def _parameters(fields: Fields) -> dict:
    """The parameters' JSON Schema; the empty schema when there is none, or it is not JSON."""
    parameters = fields.raw.get("parameters")
    where = fields.path("parameters")
    if parameters is None:
        return copy.deepcopy(schemas.EMPTY_SCHEMA)
    if not isinstance(parameters, dict):
        problem = (where, f"must be a mapping (a JSON Schema), not {kind(parameters)}")
    else:
        problem = _not_json(parameters, where)
    if problem is None:
        return parameters
    fields.item.bad.add(("parameters",))
    fields.shape.add(*problem)
    return copy.deepcopy(schemas.EMPTY_SCHEMA)


def _not_json(value, path: Path) -> tuple[Path, str] | None:
    """The first value that JSON cannot hold (dates, binary, non-text keys, NaN), if any."""
    if isinstance(value, dict):
        for key, child in value.items():
            if not isinstance(key, str):
                return path, f"the key {key!r} must be text: put it in quotes"
            found = _not_json(child, (*path, key))
            if found:
                return found
        return None
    if isinstance(value, list):
        for index, child in enumerate(value):
            found = _not_json(child, (*path, index))
            if found:
                return found
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return path, f"{value} is not a JSON number"
    if value is None or isinstance(value, str | bool | int | float):
        return None
    return (
        path,
        f"must be JSON data (text, numbers, true/false, lists, mappings), not {kind(value)}",
    )


def form(
    item: Item, instance: SendTextAction, channel: int | str, fallback: int | str
) -> SendTextActionForm:
    """The builder's form for the action, bound to its values from the file.

    `channel` and `fallback` are the pks of the saved objects named, or "": a channel that
    exists only in the file is left out of the form, and checked against the file instead.
    """
    v = item.values
    recipient = v["recipient"]
    data = {
        "name": v["name"],
        "display_name": v.get("display_name", ""),
        "description": v["description"],
        "channel": channel,
        "recipient_mode": "custom" if isinstance(recipient, dict) else "contact",
        "recipient_template": recipient["template"] if isinstance(recipient, dict) else "",
        "message_template": v["message"],
        "max_segments": v["max_segments"],
        "ask_for_number": v["ask_for_number"],
        "require_consent": v["require_consent"],
        "consent_prompt": v.get("consent_prompt", ""),
        "fallback_handoff": fallback,
        "enabled": v["enabled"],
        # The builder's JSON mode: the schema as the admin wrote it, checked as a whole.
        "schema_mode": "json",
        "parameters_schema": json.dumps(v["parameters"], ensure_ascii=False),
    }
    bound = SendTextActionForm(data, instance=instance)
    if v["channel"] and not channel:
        bound.fields["channel"].required = False
    return bound


def stored():
    """The saved actions, with what values() reads of each."""
    return SendTextAction.objects.select_related("channel", "fallback_handoff")


def values(action: SendTextAction, channel: str | None = None, fallback=False) -> dict:
    """The action as the file writes it; `channel` and `fallback` name its references when
    they are not saved yet."""
    if channel is None:
        channel = action.channel.name
    if fallback is False:
        fallback = action.fallback_handoff.name if action.fallback_handoff_id else None
    recipient = "contact"
    if action.recipient_mode == "custom":
        recipient = {"template": action.recipient_template}
    return {
        "name": action.name,
        **({"display_name": action.display_name} if action.display_name else {}),
        "description": action.description,
        "channel": channel,
        "recipient": recipient,
        "parameters": schema_in_order(action.parameters_schema),
        "message": action.message_template,
        "max_segments": action.max_segments,
        "ask_for_number": action.ask_for_number,
        "require_consent": action.require_consent,
        **({"consent_prompt": action.consent_prompt} if action.consent_prompt else {}),
        "fallback_handoff": fallback,
        "enabled": action.enabled,
    }


def schema_in_order(value):
    if isinstance(value, dict):
        rank = {key: n for n, key in enumerate(SCHEMA_KEYWORDS)}
        keys = sorted(value, key=lambda k: (rank.get(k, len(rank)), k))
        return {key: schema_in_order(value[key]) for key in keys}
    if isinstance(value, list):
        return [schema_in_order(v) for v in value]
    return value
