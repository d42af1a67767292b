"""PolyAI's configuration files, read as our configuration file (docs/config.md).

A PolyAI `config/handoffs.yaml` needs nothing from here: its `handoffs:` list is our
handoffs section as it is.

A PolyAI `config/sms_templates.yaml` (`sms_templates:`, each with `name`, `text` and
optional `env_phone_numbers`) becomes send-text actions, one per template, sending to the
caller's number through a channel whose per-environment senders are the template's numbers:
an existing channel with the same senders, else one made for them, `sms_<template name>`.
`{{vrbl:name}}` placeholders become `{{ with .variables.name }}{{ . }}{{ end }}` (tested first,
as every variable a message reads must be); any other placeholder has no equivalent and is a
problem at the template's `text`.

Problems are reported at the PolyAI file's own places (`sms_templates[0].env_phone_numbers.live`).
"""

import copy
import json
import re
from typing import NamedTuple

from django.core.exceptions import ValidationError

from actions.common.validation import normalise_sender
from actions.configfile.channels import ENVIRONMENTS
from actions.configfile.shape import Shape
from actions.messaging import schemas, sms

SMS_TEMPLATES = "sms_templates"
TEMPLATE_KEYS = ("name", "text", "env_phone_numbers")
# PolyAI writes the environment `pre-release` in conv.env and `pre_release` in its files.
NUMBER_KEYS = ("sandbox", "pre_release", "pre-release", "live")
CHANNEL_PREFIX = "sms_"
MAX_NAME = 64
DESCRIPTION_TEXT = 200

PLACEHOLDER_RE = re.compile(r"\{\{(.*?)\}\}", re.S)
VARIABLE_RE = re.compile(r"^\s*vrbl\s*:\s*(?P<name>[^\s{}][^{}]*?)\s*$")
FIELD_CHAIN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


class Candidate(NamedTuple):
    """A channel a template may send through: its name and senders (provider None: in the file)."""

    name: str
    sender: str
    env_senders: dict[str, str]
    provider: str | None


class Translated(NamedTuple):
    """An item made from a template: its section, where the template is, its values, and
    where in the template each of its keys comes from."""

    section: str
    origin: tuple
    values: dict
    places: dict
    bad: set


def translate_text(text: str) -> tuple[str, list[str]]:
    """PolyAI's `{{vrbl:name}}` -> `{{ with .variables.name }}{{ . }}{{ end }}`; also the
    placeholders left as they are.

    A name that a template cannot read as a field (`{{vrbl:caller-name}}`) is read with
    `index`: `{{ with index .variables "caller-name" }}{{ . }}{{ end }}`.
    """
    untranslatable: list[str] = []

    def replace(match: re.Match) -> str:
        variable = VARIABLE_RE.match(match[1])
        if variable is None:
            untranslatable.append(match[0])
            return match[0]
        name = variable["name"]
        # Tested first: a variable the conversation does not have writes nothing, and never
        # stops the send (a message may not read a variable it does not test).
        if FIELD_CHAIN_RE.match(name):
            return "{{ with .variables." + name + " }}{{ . }}{{ end }}"
        return (
            "{{ with index .variables "
            + json.dumps(name, ensure_ascii=False)
            + " }}{{ . }}{{ end }}"
        )

    return PLACEHOLDER_RE.sub(replace, text), untranslatable


def readable(text: str) -> str:
    """The text with each `{{vrbl:name}}` shown as [name], on one line."""

    def replace(match: re.Match) -> str:
        variable = VARIABLE_RE.match(match[1])
        return f"[{variable['name']}]" if variable else match[0]

    return " ".join(PLACEHOLDER_RE.sub(replace, text).split())


def describe(name: str, text: str) -> str:
    """The description the agent's LLM reads, made from the template."""
    shown = readable(text)
    if len(shown) > DESCRIPTION_TEXT:
        shown = shown[: DESCRIPTION_TEXT - 1].rstrip() + "…"
    description = f"Sends the {name.replace('_', ' ')} text message to the caller"
    return f"{description}: “{shown}”" if shown else f"{description}."


def channel_name(template: str, taken: set[str]) -> str:
    """sms_<template name>, as a channel name may be: lowercase, digits, underscores."""
    base = CHANNEL_PREFIX + (re.sub(r"[^a-z0-9_]", "_", template.lower()) or "template")
    base = base[:MAX_NAME]
    name, n = base, 2
    while name in taken:
        suffix = f"_{n}"
        name, n = base[: MAX_NAME - len(suffix)] + suffix, n + 1
    return name


def _normal(number: str) -> str:
    try:
        return normalise_sender(number)
    except ValidationError:
        return number.strip()  # the channel's form says what is wrong with it


def _senders(sender: str, env_senders: dict[str, str]) -> dict[str, str]:
    """The sender each environment uses: its own, else the channel's default."""
    return {e: _normal(env_senders.get(e) or sender) for e in ENVIRONMENTS}


def translate_sms_templates(
    value,
    shape: Shape,
    *,
    candidates: list[Candidate],
    existing_actions: dict[str, dict],
    file_channels: set[str],
) -> tuple[list[Translated], list[Translated]]:
    """The channels and actions the templates stand for; problems go to `shape`.

    `candidates` are the channels that will exist after the import, the file's first, to be
    reused when their senders are the template's. `existing_actions` are the saved actions
    (as the file would write them): what a template has no place for (description,
    parameters, recipient, consent, fallback, enabled) keeps its saved value.
    """
    base = (SMS_TEMPLATES,)
    channels: list[Translated] = []
    actions: list[Translated] = []
    chosen: dict[tuple, str] = {}  # the template's senders -> the channel's name
    made: set[str] = set()
    without_numbers: list[Translated] = []

    for index, raw in enumerate(shape.items(value, base, "templates (mappings)")):
        path = (*base, index)
        if shape.mapping(raw, path, TEMPLATE_KEYS) is None:
            continue
        bad: set = set()
        name = shape.text(raw.get("name"), (*path, "name"), bad, ("name",))
        text = shape.text(raw.get("text"), (*path, "text"), bad, ("message",))
        message, untranslatable = translate_text(text)
        for placeholder in untranslatable:
            shape.add(
                (*path, "text"),
                f"{placeholder} has no equivalent here: only {{{{vrbl:NAME}}}} placeholders "
                "(conversation variables) can be translated, to {{ .variables.NAME }}",
            )
        if untranslatable:
            bad.add(("message",))
        places = {("name",): (*path, "name"), ("message",): (*path, "text")}

        numbers = _numbers(raw.get("env_phone_numbers"), (*path, "env_phone_numbers"), shape)
        channel = ""
        if numbers is None:
            pass
        elif not numbers:
            bad.add(("channel",))
        else:
            places[("channel",)] = (*path, "env_phone_numbers")
            written = {env: number for env, (number, _) in numbers.items()}
            senders = _senders(written["live"], written)
            key = tuple(senders[e] for e in ENVIRONMENTS)
            current = existing_actions.get(name, {}).get("channel")
            channel = chosen.get(key) or _reuse(candidates, senders, current)
            if not channel:
                # A name the file's own channels do not use; a saved channel of that name
                # (made by an earlier import of this template) gets the new numbers.
                channel = channel_name(name, made | file_channels)
                saved = next((c for c in candidates if c.name == channel), None)
                made.add(channel)
                channels.append(_channel(channel, numbers, saved, path, bad))
            chosen[key] = channel

        existing = existing_actions.get(name)
        values = {
            "name": name,
            "description": existing["description"] if existing else describe(name, text),
            "channel": channel,
            "recipient": existing["recipient"] if existing else "contact",
            "parameters": existing["parameters"]
            if existing
            else copy.deepcopy(schemas.EMPTY_SCHEMA),
            "message": message,
            "max_segments": existing["max_segments"] if existing else sms.MAX_SEGMENTS,
            "ask_for_number": existing["ask_for_number"] if existing else False,
            "require_consent": existing["require_consent"] if existing else False,
            "fallback_handoff": (existing["fallback_handoff"] or "") if existing else "",
            "enabled": existing["enabled"] if existing else True,
        }
        action = Translated("actions", path, values, places, bad)
        actions.append(action)
        if numbers is None:
            without_numbers.append(action)

    if without_numbers:
        _send_through_the_only_channel(without_numbers, set(chosen.values()), candidates, shape)
    return channels, actions


def _numbers(value, path: tuple, shape: Shape) -> dict[str, tuple[str, str]] | None:
    """{environment: (number, the key as written)}; None without env_phone_numbers, {} if bad."""
    if value is None:
        return None
    if shape.mapping(value, path, NUMBER_KEYS) is None:
        return {}
    if value.get("pre_release") is not None and value.get("pre-release") is not None:
        shape.add(path, "give pre_release once: pre-release is the same environment")
        return {}
    numbers: dict[str, tuple[str, str]] = {}
    broken = False
    for key in NUMBER_KEYS:
        if key not in value:
            continue
        bad: set = set()
        number = shape.text(value[key], (*path, key), bad, (key,))
        broken = broken or bool(bad)
        if number.strip():
            numbers[key.replace("-", "_")] = (number, key)
    if broken:
        return {}
    if "live" not in numbers:
        shape.add(path, "needs a live number: it becomes the default sender of the channel")
        return {}
    return numbers


def _reuse(candidates: list[Candidate], senders: dict[str, str], current: str | None) -> str:
    """The channel with these senders: the action's own if it has them, else the first."""
    matching = [c.name for c in candidates if _senders(c.sender, c.env_senders) == senders]
    if current in matching:
        return current
    return matching[0] if matching else ""


def _channel(name, numbers, existing: Candidate | None, path: tuple, bad: set) -> Translated:
    """The channel for a template's numbers (an existing one of that name keeps its provider)."""
    places = {
        ("name",): (*path, "name"),
        ("sender",): (*path, "env_phone_numbers", numbers["live"][1]),
    }
    env_senders = {}
    for env in ENVIRONMENTS:
        number, written = numbers.get(env, ("", env))
        env_senders[env] = number
        places[("env_senders", env)] = (*path, "env_phone_numbers", written)
    values = {
        "name": name,
        "provider": (existing.provider if existing and existing.provider else "twilio"),
        "sender": numbers["live"][0],
        "env_senders": env_senders,
    }
    # The template's name problems are the action's to report, not its channel's.
    return Translated("channels", path, values, places, {("name",)} if ("name",) in bad else set())


def _send_through_the_only_channel(actions, chosen: set[str], candidates, shape) -> None:
    """Templates without numbers use the one channel there is, as PolyAI uses the project's."""
    names = sorted(chosen) if chosen else sorted({c.name for c in candidates})
    for action in actions:
        if len(names) == 1:
            action.values["channel"] = names[0]
            continue
        action.bad.add(("channel",))
        if names:
            why = f"there are several channels it could be sent through ({', '.join(names)})"
        else:
            why = "there is no channel to send it through"
        shape.add(action.origin, f"has no env_phone_numbers, and {why}: give its numbers")
