"""The file's `handoffs:` section: its keys, how a handoff is read, checked and exported."""

from actions.configfile.problems import Path
from actions.configfile.shape import Fields, Item, Shape
from actions.handoffs.forms import (
    HEADER_MESSAGE_RE,
    HOURS_INPUTS,
    HOURS_PREFIX,
    TRANSFER_PREFIX,
    HandoffForm,
    hours_inputs,
    transfer_inputs,
)
from actions.models import Handoff
from actions.models.handoff import FALLBACK_ON

NOUN = "handoff"
MODEL = Handoff
KEYS = (
    "name",
    "display_name",
    "description",
    "is_default",
    "sip_config",
    "sip_headers",
    "utterance",
    "fallbacks",
    "fallback_on",
    "transfer",
    "hours",
    "after_hours",
)
SIP_CONFIG_KEYS = ("method", "phone_number", "outbound_endpoint", "outbound_encryption")
# Where each form field's messages go, as a path below the item; the messages about one
# header go to that header (header_place).
PLACES = {
    "name": ("name",),
    "display_name": ("display_name",),
    "description": ("description",),
    "is_default": ("is_default",),
    "utterance": ("utterance",),
    **{key: ("sip_config", key) for key in SIP_CONFIG_KEYS},
    "sip_headers": ("sip_headers",),
    "fallbacks": ("fallbacks",),
    "fallback_on": ("fallback_on",),
    "transfer": ("transfer",),
    "hours": ("hours",),
    "after_hours": ("after_hours",),
}


def read(raw, path: Path, shape: Shape) -> Item | None:
    fields = Fields.of(raw, path, "handoffs", shape, KEYS)
    if fields is None:
        return None
    item = fields.item
    sip = fields.texts("sip_config", SIP_CONFIG_KEYS)
    headers = []
    raw_headers = raw.get("sip_headers")
    where = (*path, "sip_headers")
    for index, header in enumerate(shape.items(raw_headers, where, "{key, value} pairs")):
        here = (*where, index)
        if shape.mapping(header, here, ("key", "value")) is None:
            item.bad.add(("sip_headers",))
            continue
        key = shape.text(header.get("key"), (*here, "key"), item.bad, ("sip_headers",))
        value = shape.text(header.get("value"), (*here, "value"), item.bad, ("sip_headers",))
        headers.append({"key": key, "value": value})
    if raw_headers is not None and not isinstance(raw_headers, list):
        item.bad.add(("sip_headers",))
    item.values = {
        "name": fields.text("name"),
        "description": fields.text("description"),
        "is_default": fields.flag("is_default", False),
        "sip_config": sip,
        "sip_headers": headers,
        "utterance": fields.text("utterance"),
    }
    # Written only when set (as exported), so that a PolyAI file round-trips unchanged.
    if "fallbacks" in raw:
        at: dict[str, int] = {}
        names = shape.names(raw["fallbacks"], (*path, "fallbacks"), item.bad, ("fallbacks",),
                            "handoff", at)  # fmt: skip
        if names:
            item.values["fallbacks"] = names
            item.at.update({("fallbacks", name): index for name, index in at.items()})
    if "fallback_on" in raw:
        outcomes = raw["fallback_on"]
        if isinstance(outcomes, list) and all(isinstance(o, str) for o in outcomes):
            item.values["fallback_on"] = outcomes
        else:
            item.bad.add(("fallback_on",))
            shape.add((*path, "fallback_on"), "must be a list of outcomes such as busy, no-answer")
    transfer = raw.get("transfer")
    if transfer not in (None, {}):
        if isinstance(transfer, dict):
            item.values["transfer"] = transfer
        else:
            item.bad.add(("transfer",))
            shape.add((*path, "transfer"), "must be a mapping: {mode, summary_header, whisper, …}")
    hours = raw.get("hours")
    if hours not in (None, {}):
        if isinstance(hours, dict):
            item.values["hours"] = hours
        else:
            item.bad.add(("hours",))
            shape.add((*path, "hours"), "must be a mapping: {time_zone, weekly, closed, holidays}")
    if after := fields.text("after_hours"):
        item.values["after_hours"] = after
    if display_name := fields.text("display_name"):  # written only when set
        item.values["display_name"] = display_name
    return item


def form(
    item: Item, instance: Handoff, after_hours: int | str = "", saved: set[str] | None = None
) -> HandoffForm:
    """The builder's form for the handoff, bound to its values from the file; `after_hours`
    is the pk of the saved handoff it names, or "" (checked against the file instead), and
    `saved` the names of the saved handoffs: a fallback only in the file is checked against
    the file instead."""
    v = item.values
    fallbacks = v.get("fallbacks", [])
    if saved is not None:
        fallbacks = [name for name in fallbacks if name in saved]
    data = {
        "name": v["name"],
        "display_name": v.get("display_name", ""),
        "description": v["description"],
        "is_default": v["is_default"],
        "utterance": v["utterance"],
        **{key: v["sip_config"][key] for key in SIP_CONFIG_KEYS},
        "header_key": [h["key"] for h in v["sip_headers"]],
        "header_value": [h["value"] for h in v["sip_headers"]],
        **{f"{HOURS_PREFIX}{key}": value for key, value in _hours_data(v.get("hours")).items()},
        "after_hours": after_hours,
        "fallbacks": ", ".join(fallbacks),
        **{f"{TRANSFER_PREFIX}{k}": _text(v) for k, v in _transfer_data(v.get("transfer")).items()},
        "fallback_on": v.get("fallback_on", list(FALLBACK_ON)),
    }
    return HandoffForm(data, instance=instance)


def _transfer_data(transfer) -> dict:
    inputs = transfer_inputs(transfer or {})
    inputs["whisper"] = "on" if inputs["whisper"] else ""
    if isinstance(transfer, dict) and transfer.get("mode") not in (None, "cold", "warm"):
        inputs["mode"] = transfer["mode"]  # kept, for the model's check to name
    return inputs


def _text(value) -> str:
    return value if isinstance(value, str) else str(value)


def _hours_data(hours) -> dict[str, str]:
    inputs = hours_inputs(hours or {})
    return {key: inputs[key] for key in HOURS_INPUTS}


def header_place(message: str, item: Item) -> Path:
    """ "Header 2: …" is about the second header that is not blank."""
    match = HEADER_MESSAGE_RE.match(message)
    if not match:
        return ("sip_headers",)
    filled = [
        index
        for index, h in enumerate(item.values["sip_headers"])
        if h["key"].strip() or h["value"].strip()
    ]
    number = int(match[1])
    if 1 <= number <= len(filled):
        return ("sip_headers", filled[number - 1])
    return ("sip_headers",)


def stored():
    """The saved handoffs."""
    return Handoff.objects.all()


def values(handoff: Handoff) -> dict:
    """The handoff as the file writes it."""
    sip = {"method": handoff.method}
    for key in SIP_CONFIG_KEYS[1:]:
        # Each method has its own fields (bye has none); the others are always empty.
        if getattr(handoff, key):
            sip[key] = getattr(handoff, key)
    return {
        "name": handoff.name,
        **({"display_name": handoff.display_name} if handoff.display_name else {}),
        "description": handoff.description,
        "is_default": handoff.is_default,
        "sip_config": sip,
        "sip_headers": [{"key": h["key"], "value": h["value"]} for h in handoff.sip_headers],
        "utterance": handoff.utterance,
        **({"fallbacks": list(handoff.fallbacks)} if handoff.fallbacks else {}),
        **(
            {"fallback_on": list(handoff.fallback_on)}
            if list(handoff.fallback_on) != list(FALLBACK_ON)
            else {}
        ),
        **({"transfer": handoff.transfer} if handoff.transfer else {}),
        **({"hours": handoff.hours} if handoff.hours else {}),
        **({"after_hours": handoff.after_hours.name} if handoff.after_hours_id else {}),
    }
