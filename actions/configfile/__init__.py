"""Configuration as code: a whole setup as one YAML file (DESIGN §6, docs/config.md).

`load` reads the file, `plan` checks every item against the database and says what would
change, `apply` makes those changes in one transaction and `export_config` writes the file.

Each item is checked by the builder's own form (ChannelForm, SendTextActionForm, HandoffForm,
AgentForm), fed with the values from the file, and each of the form's messages is reported
unchanged at the item's place in the file: what the browser refuses, the import refuses, with
the same words. Only what a form cannot know is checked here: the shape of the YAML, names
repeated in the file, and references to items that exist only in the file.
"""

import copy
import difflib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import yaml
from django.db import transaction
from django.db.models import Model

from actions.agents.forms import AgentForm
from actions.channels.forms import ChannelForm
from actions.configfile import polyai
from actions.handoffs.forms import HEADER_MESSAGE_RE, HandoffForm
from actions.messaging import schemas
from actions.messaging.forms import SendTextActionForm
from actions.models import Agent, Handoff, MessagingChannel, SendTextAction

MAX_BYTES = 1_048_576
SECTIONS = ("channels", "actions", "handoffs", "agents")
TOP_LEVEL_KEYS = (*SECTIONS, polyai.SMS_TEMPLATES)
ENVIRONMENTS = ("sandbox", "pre_release", "live")
CHANGE_REASON = "Imported from configuration file"
# Aliases let a small file stand for a huge document ("billion laughs"); nodes are counted
# as if every alias were written out, and a file beyond this is refused before it is built.
MAX_NODES = 1_000_000
# Far deeper than any configuration needs, and shallow enough for every check to recurse.
MAX_DEPTH = 64

CHANNEL_KEYS = ("name", "provider", "sender", "env_senders")
ACTION_KEYS = (
    "name",
    "description",
    "channel",
    "recipient",
    "parameters",
    "message",
    "require_consent",
    "fallback_handoff",
    "enabled",
)
HANDOFF_KEYS = ("name", "description", "is_default", "sip_config", "sip_headers", "utterance")
SIP_CONFIG_KEYS = ("method", "phone_number", "outbound_endpoint", "outbound_encryption")
AGENT_KEYS = ("name", "description", "actions", "handoffs")
NOUNS = {"channels": "channel", "actions": "action", "handoffs": "handoff", "agents": "agent"}

# Keys that are refused with their own explanation rather than as unknown.
NEVER_IN_FILE = {
    "channels": {
        "account_sid": "the Twilio Account SID is a credential, and credentials are never part "
        "of the configuration file: set it on the channel's page or through TWILIO_ACCOUNT_SID",
        "auth_token": "the Twilio auth token is a credential, and credentials are never part "
        "of the configuration file: set it on the channel's page or through TWILIO_AUTH_TOKEN",
    },
    "agents": {
        "api_keys": "API keys are never part of the configuration file: create them on the "
        "agent's page or with manage.py create_api_key",
    },
}

# Where each form field's messages go, as a path below the item ("" = the item itself).
CHANNEL_PLACES = {
    "name": ("name",),
    "provider": ("provider",),
    "sender": ("sender",),
    "sender_sandbox": ("env_senders", "sandbox"),
    "sender_pre_release": ("env_senders", "pre_release"),
    "sender_live": ("env_senders", "live"),
}
ACTION_PLACES = {
    "name": ("name",),
    "description": ("description",),
    "channel": ("channel",),
    "recipient_mode": ("recipient",),
    "recipient_template": ("recipient", "template"),
    "parameters_schema": ("parameters",),
    "message_template": ("message",),
    "require_consent": ("require_consent",),
    "fallback_handoff": ("fallback_handoff",),
    "enabled": ("enabled",),
}
HANDOFF_PLACES = {
    "name": ("name",),
    "description": ("description",),
    "is_default": ("is_default",),
    "utterance": ("utterance",),
    "method": ("sip_config", "method"),
    "phone_number": ("sip_config", "phone_number"),
    "outbound_endpoint": ("sip_config", "outbound_endpoint"),
    "outbound_encryption": ("sip_config", "outbound_encryption"),
    "sip_headers": ("sip_headers",),
}
AGENT_PLACES = {
    "name": ("name",),
    "description": ("description",),
    "actions": ("actions",),
    "handoffs": ("handoffs",),
}

Path = tuple[str | int, ...]


# --- The contract ------------------------------------------------------------------------------


class Problem(NamedTuple):
    """One thing wrong with the file: where (e.g. `actions[2].parameters`) and what."""

    place: str
    message: str

    def __str__(self):
        return f"{self.place}: {self.message}"


class ConfigError(Exception):
    """The file cannot be imported; `problems` lists every problem found, not only the first.

    `lines` maps a problem's place to its line in the file, when the file was read by load().
    """

    def __init__(self, problems: Iterable[Problem], lines: dict[str, int] | None = None):
        self.problems = list(problems)
        self.lines = dict(lines or {})
        super().__init__("\n".join(str(p) for p in self.problems))

    def line_of(self, problem: Problem) -> int | None:
        return self.lines.get(problem.place)


@dataclass
class FieldChange:
    name: str  # as in the file: "message", "env_senders.live", "sip_config.method"
    old: object
    new: object


@dataclass
class Change:
    kind: str  # "create" | "update" | "delete"
    section: str  # "channels" | "actions" | "handoffs" | "agents"
    name: str
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class Plan:
    changes: list[Change]
    prune: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.changes

    @property
    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "delete": 0}
        for change in self.changes:
            counts[change.kind] += 1
        return counts

    def summary(self) -> str:
        """ "1 to create, 2 to update, 0 to delete", or "Nothing to change." """
        if self.is_empty:
            return "Nothing to change."
        return ", ".join(f"{n} to {kind}" for kind, n in self.counts.items()) + "."

    def describe(self) -> list[str]:
        """The plan as text, a line per change and an indented line per field."""
        lines = []
        for change in self.changes:
            lines.append(f"{change.kind} {NOUNS[change.section]} {change.name}")
            for f in change.fields:
                if change.kind == "create":
                    lines.append(f"    {f.name}: {_shown(f.new)}")
                else:
                    lines.append(f"    {f.name}: {_shown(f.old)} -> {_shown(f.new)}")
        return lines


def _shown(value) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- Reading the file ------------------------------------------------------------------------


class ConfigData(dict):
    """The file's data, as a dict; `lines` maps places in it to their line in the file."""

    lines: dict[Path, int]

    def __init__(self, data: dict, lines: dict[Path, int] | None = None):
        super().__init__(data)
        self.lines = lines or {}


class _Loader(yaml.SafeLoader):
    """YAML's safe subset: no Python objects.

    The pure-Python parser, not libyaml's: libyaml's composer recurses in C and crashes the
    process on a few kilobytes of nested brackets, where Python's raises RecursionError.
    """


def load(text: str | bytes) -> dict:
    """The file's text -> its data (a ConfigData); ConfigError when it cannot be read.

    The size is checked first: a file over MAX_BYTES is refused without being parsed.
    """
    if isinstance(text, bytes | bytearray):
        size = len(text)
        if size > MAX_BYTES:
            raise ConfigError([too_big(size)])
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = text.count(b"\n", 0, exc.start) + 1
            raise ConfigError(
                [
                    Problem(
                        "file",
                        f"is not UTF-8 text (byte 0x{text[exc.start]:02x} on line {line}): "
                        "save it as UTF-8",
                    )
                ]
            ) from None
    else:
        # Characters never outnumber bytes: the long string is refused before it is encoded.
        if len(text) > MAX_BYTES:
            raise ConfigError([too_big(len(text))])
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_BYTES:
            raise ConfigError([too_big(size)])
        text = text.removeprefix("\ufeff")
    data, lines = _parse(text)
    problems = _Problems(lines)
    _check_top_level(data, problems)
    problems.raise_if_any()
    return ConfigData(data, lines)


def too_big(size: int) -> Problem:
    return Problem(
        "file",
        f"is too big ({size:,} bytes): a configuration file may be at most {MAX_BYTES:,} bytes",
    )


def _parse(text: str) -> tuple[object, dict[Path, int]]:
    loader = None
    try:
        loader = _Loader(text)  # refuses characters YAML does not allow, with their position
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines = _check_nodes(node)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_yaml_problem(exc)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        column = exc.position - (text.rfind("\n", 0, max(exc.position, 0)) + 1) + 1
        character = exc.character
        if isinstance(character, int):
            character = f"U+{character:04X}"
        raise ConfigError(
            [Problem(f"line {line}, column {column}", f"{exc.reason} ({character})")]
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem("file", f"is not valid YAML: {exc}")]) from None
    except RecursionError:
        raise ConfigError([Problem("file", "is nested too deeply to be read")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _yaml_problem(exc: "yaml.MarkedYAMLError") -> Problem:
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "is not valid YAML"
    if exc.context and exc.problem:
        where = ""
        if exc.context_mark and mark and exc.context_mark.line != mark.line:
            where = f" at line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1}"
        message = f"{exc.problem} ({exc.context}{where})"
    if mark is None:
        return Problem("file", message)
    return Problem(f"line {mark.line + 1}, column {mark.column + 1}", message)


def _check_nodes(root) -> dict[Path, int]:
    """The line of each place in the document; refuses repeated keys and alias bombs.

    Repeated keys are an error because YAML would silently keep the last one: a second
    `message:` in an action would quietly replace the first.
    """
    lines: dict[Path, int] = {(): root.start_mark.line + 1}
    measured: dict[int, tuple[int, int]] = {}  # node -> (values, depth), aliases expanded
    walking: set[int] = set()

    def mark(node) -> str:
        return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"

    def walk(node, path: Path | None) -> tuple[int, int]:
        key = id(node)
        if key in measured:
            return measured[key]
        if key in walking:
            raise ConfigError([Problem(mark(node), "an alias refers to the node that holds it")])
        walking.add(key)
        children = []
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, object] = {}
            for key_node, value_node in node.value:
                name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key_node.tag == "tag:yaml.org,2002:merge":
                    name = None
                if name is not None:
                    if name in seen:
                        raise ConfigError(
                            [
                                Problem(
                                    mark(key_node),
                                    f"the key {name!r} is repeated (first at "
                                    f"{mark(seen[name])}); give each key once",
                                )
                            ]
                        )
                    seen[name] = key_node
                child = None if path is None or name is None else (*path, name)
                if child is not None:
                    lines.setdefault(child, key_node.start_mark.line + 1)
                children += [walk(key_node, None), walk(value_node, child)]
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = None if path is None else (*path, index)
                if child is not None:
                    lines.setdefault(child, item.start_mark.line + 1)
                children.append(walk(item, child))
        walking.discard(key)
        size = 1 + sum(s for s, _ in children)
        depth = 1 + max((d for _, d in children), default=0)
        if size > MAX_NODES:
            raise ConfigError(
                [
                    Problem(
                        "file",
                        f"holds more than {MAX_NODES:,} values once its aliases are expanded",
                    )
                ]
            )
        if depth > MAX_DEPTH:
            raise ConfigError([Problem("file", f"is nested more than {MAX_DEPTH} levels deep")])
        measured[key] = (size, depth)
        return size, depth

    walk(root, ())
    return lines


def _check_top_level(data, problems: "_Problems") -> bool:
    if data is None:
        problems.add(("file",), f"is empty: it should hold {_known_sections()}")
        return False
    if not isinstance(data, dict):
        problems.add(("file",), f"must be a mapping of {_known_sections()}, not {_kind(data)}")
        return False
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            problems.add(("file",), _unknown_key(key, TOP_LEVEL_KEYS))
    if not data:
        problems.add(("file",), f"is an empty mapping: it should hold {_known_sections()}")
    return not problems.items


def _known_sections() -> str:
    return "channels:, actions:, handoffs:, agents: (or a PolyAI sms_templates:)"


# --- Problems and places ---------------------------------------------------------------------


def place(path: Path) -> str:
    """("actions", 2, "parameters") -> "actions[2].parameters"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "file"


class _Problems:
    """Problems as (path, message), in the order of the file when its lines are known."""

    def __init__(self, lines: dict[Path, int] | None = None):
        self.items: list[tuple[Path, str]] = []
        self.lines = lines or {}

    def add(self, path: Path, message: str) -> None:
        if (path, message) not in self.items:
            self.items.append((path, message))

    def line(self, path: Path) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None

    def raise_if_any(self) -> None:
        if not self.items:
            return
        order = {item: n for n, item in enumerate(self.items)}
        ranked = sorted(
            self.items,
            key=lambda item: (
                0 if item[0] == ("file",) else 1,
                self.line(item[0]) or 0,
                order[item],
            ),
        )
        problems = [Problem(place(path), message) for path, message in ranked]
        lines = {}
        for path, _ in ranked:
            line = None if path == ("file",) else self.line(path)
            if line is not None:
                lines[place(path)] = line
        raise ConfigError(problems, lines)


def _unknown_key(key, allowed: Iterable[str]) -> str:
    message = f"unknown key {key!r}"
    if isinstance(key, str):
        close = difflib.get_close_matches(key, list(allowed), n=1)
        if close:
            message += f" (did you mean {close[0]!r}?)"
    return message


def _kind(value) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


class Shape:
    """Checks of the YAML's shape (mappings, lists, text, true/false), each problem recorded.

    Used for our sections here and for PolyAI's sms_templates in actions.polyai.
    """

    def __init__(self, problems: _Problems):
        self.problems = problems

    def add(self, path: Path, message: str) -> None:
        self.problems.add(path, message)

    def mapping(self, value, path: Path, keys: Iterable[str], refused=None) -> dict | None:
        """The value when it is a mapping (unknown keys reported), else None."""
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping, not {_kind(value)}")
            return None
        keys = tuple(keys)
        for key in value:
            if key in keys:
                continue
            if refused and key in refused:
                self.add(path, f"{key!r} is not accepted: {refused[key]}")
            else:
                self.add(path, _unknown_key(key, keys))
        return value

    def items(self, value, path: Path, noun: str) -> list:
        """A list (empty when the key has no value), else [] and a problem."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(path, f"must be a list of {noun}, not {_kind(value)}")
            return []
        return value

    def text(self, value, path: Path, bad: set[Path], field: Path) -> str:
        """Text, "" for no value; anything else is a problem (and the form hears "")."""
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        bad.add(field)
        if isinstance(value, bool):
            self.add(path, f"must be text, not {json.dumps(value)}: put it in quotes")
        elif isinstance(value, int) and len(str(abs(value))) >= 7:
            self.add(
                path,
                f"must be text, not the number {value}: put it in quotes (YAML reads an "
                'unquoted +441234567890 as a number; write "+441234567890")',
            )
        elif isinstance(value, int | float):
            self.add(path, f"must be text, not the number {value}: put it in quotes")
        else:
            self.add(path, f"must be text, not {_kind(value)}")
        return ""

    def flag(self, value, path: Path, bad: set[Path], field: Path, default: bool) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        bad.add(field)
        self.add(path, f"must be true or false, not {_kind(value)}")
        return default

    def names(
        self, value, path: Path, bad: set[Path], field: Path, noun: str, at: dict[str, int]
    ) -> list[str]:
        """The names in a list; `at` gets the index each was written at."""
        if value is None:
            return []
        if not isinstance(value, list):
            bad.add(field)
            self.add(path, f"must be a list of {noun} names, not {_kind(value)}")
            return []
        names: list[str] = []
        for index, name in enumerate(value):
            if not isinstance(name, str):
                bad.add(field)
                article = "an" if noun[0] in "aeiou" else "a"
                self.add((*path, index), f"must be {article} {noun} name, not {_kind(name)}")
            elif name in names:
                self.add((*path, index), f"{name!r} is listed twice")
            else:
                names.append(name)
                at[name] = index
        return names


# --- Items ---------------------------------------------------------------------------------------


@dataclass
class Item:
    """One channel, action, handoff or agent of the file, in the file's own terms.

    `values` holds every key of its section (absent keys at their defaults). `origin` is where
    the item is in the file; `places` maps a key to another place, for items translated from
    PolyAI's sms_templates, which then report anything unmapped at their origin.
    """

    section: str
    origin: Path
    values: dict
    places: dict[Path, Path] = field(default_factory=dict)
    exact: bool = True
    bad: set[Path] = field(default_factory=set)
    # Where each name of an agent's actions and handoffs lists is written: (key, name) -> index.
    at: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        name = self.values.get("name")
        return name if isinstance(name, str) else ""

    def path(self, *key) -> Path:
        for length in range(len(key), 0, -1):
            if key[:length] in self.places:
                return self.places[key[:length]] + key[length:]
        return (*self.origin, *key) if self.exact or not key else self.origin

    def is_bad(self, key: Path) -> bool:
        return any(b[: len(key)] == key or key[: len(b)] == b for b in self.bad if key)


def _read_channel(raw, path: Path, shape: Shape) -> Item | None:
    if shape.mapping(raw, path, CHANNEL_KEYS, NEVER_IN_FILE["channels"]) is None:
        return None
    item = Item("channels", path, {})
    text = _text_reader(raw, path, shape, item)
    env = {}
    senders = raw.get("env_senders")
    if senders is not None:
        if shape.mapping(senders, (*path, "env_senders"), ENVIRONMENTS) is None:
            item.bad.add(("env_senders",))
            senders = {}
        for environment in ENVIRONMENTS:
            value = senders.get(environment)
            where = (*path, "env_senders", environment)
            env[environment] = shape.text(value, where, item.bad, ("env_senders", environment))
    item.values = {
        "name": text("name"),
        "provider": text("provider") or "twilio",
        "sender": text("sender"),
        "env_senders": {e: env.get(e, "") for e in ENVIRONMENTS},
    }
    return item


def _read_action(raw, path: Path, shape: Shape) -> Item | None:
    if shape.mapping(raw, path, ACTION_KEYS) is None:
        return None
    item = Item("actions", path, {})
    text = _text_reader(raw, path, shape, item)
    recipient = raw.get("recipient")
    where = (*path, "recipient")
    if recipient is None or recipient == "contact":
        recipient = "contact"
    elif isinstance(recipient, dict):
        shape.mapping(recipient, where, ("template",))
        if "template" in recipient:
            template = shape.text(
                recipient["template"], (*where, "template"), item.bad, ("recipient",)
            )
            recipient = {"template": template}
        else:
            item.bad.add(("recipient",))
            shape.add(where, "give the recipient's template: {template: …}")
            recipient = "contact"
    else:
        item.bad.add(("recipient",))
        shape.add(
            where,
            "must be contact (the caller's number) or {template: …} "
            '(a number or a template such as "{{ .parameters.phone_number }}")',
        )
        recipient = "contact"
    parameters = raw.get("parameters")
    if parameters is None:
        parameters = copy.deepcopy(schemas.EMPTY_SCHEMA)
    elif not isinstance(parameters, dict):
        item.bad.add(("parameters",))
        shape.add(
            (*path, "parameters"), f"must be a mapping (a JSON Schema), not {_kind(parameters)}"
        )
        parameters = copy.deepcopy(schemas.EMPTY_SCHEMA)
    else:
        problem = _not_json(parameters, (*path, "parameters"))
        if problem:
            item.bad.add(("parameters",))
            shape.add(*problem)
            parameters = copy.deepcopy(schemas.EMPTY_SCHEMA)
    item.values = {
        "name": text("name"),
        "description": text("description"),
        "channel": text("channel"),
        "recipient": recipient,
        "parameters": parameters,
        "message": text("message"),
        "require_consent": shape.flag(
            raw.get("require_consent"),
            (*path, "require_consent"),
            item.bad,
            ("require_consent",),
            False,
        ),
        "fallback_handoff": text("fallback_handoff"),
        "enabled": shape.flag(raw.get("enabled"), (*path, "enabled"), item.bad, ("enabled",), True),
    }
    return item


def _read_handoff(raw, path: Path, shape: Shape) -> Item | None:
    if shape.mapping(raw, path, HANDOFF_KEYS) is None:
        return None
    item = Item("handoffs", path, {})
    text = _text_reader(raw, path, shape, item)
    sip = {key: "" for key in SIP_CONFIG_KEYS}
    config = raw.get("sip_config")
    if config is not None:
        if shape.mapping(config, (*path, "sip_config"), SIP_CONFIG_KEYS) is None:
            item.bad.add(("sip_config",))
        else:
            for key in SIP_CONFIG_KEYS:
                where = (*path, "sip_config", key)
                sip[key] = shape.text(config.get(key), where, item.bad, ("sip_config", key))
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
        "name": text("name"),
        "description": text("description"),
        "is_default": shape.flag(
            raw.get("is_default"), (*path, "is_default"), item.bad, ("is_default",), False
        ),
        "sip_config": sip,
        "sip_headers": headers,
        "utterance": text("utterance"),
    }
    return item


def _read_agent(raw, path: Path, shape: Shape) -> Item | None:
    if shape.mapping(raw, path, AGENT_KEYS, NEVER_IN_FILE["agents"]) is None:
        return None
    item = Item("agents", path, {})
    text = _text_reader(raw, path, shape, item)
    item.values = {"name": text("name"), "description": text("description")}
    for key, noun in (("actions", "action"), ("handoffs", "handoff")):
        at: dict[str, int] = {}
        item.values[key] = shape.names(raw.get(key), (*path, key), item.bad, (key,), noun, at)
        item.at.update({(key, name): index for name, index in at.items()})
    return item


def _text_reader(raw: dict, path: Path, shape: Shape, item: Item):
    def text(key: str) -> str:
        return shape.text(raw.get(key), (*path, key), item.bad, (key,))

    return text


READERS = {
    "channels": _read_channel,
    "actions": _read_action,
    "handoffs": _read_handoff,
    "agents": _read_agent,
}


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
        f"must be JSON data (text, numbers, true/false, lists, mappings), not {_kind(value)}",
    )


# --- Planning ------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    plan: Plan
    items: dict[str, list[Item]]
    # The handoff that stops being the default because the file makes another one the default.
    undefault: str | None = None


def plan(data: dict, *, prune: bool = False) -> Plan:
    """What importing `data` would change; ConfigError listing every problem. Writes nothing."""
    return _prepare(data, prune).plan


def apply(data: dict, *, prune: bool = False, user=None) -> Plan:
    """Import `data` in one transaction: all of it, or nothing. Returns what was done.

    The plan is made again inside the transaction, so it is the database as written to that
    is checked. `user` is recorded as the author of each change in the audit trail.
    """
    with transaction.atomic():
        prepared = _prepare(data, prune)
        _write(prepared, user)
    return prepared.plan


class _Database:
    """The current configuration, read once."""

    def __init__(self):
        self.channels = {c.name: c for c in MessagingChannel.objects.all()}
        self.handoffs = {h.name: h for h in Handoff.objects.all()}
        self.actions = {
            a.name: a for a in SendTextAction.objects.select_related("channel", "fallback_handoff")
        }
        self.agents = {a.name: a for a in Agent.objects.prefetch_related("actions", "handoffs")}
        self.exported = {
            "channels": {name: channel_values(c) for name, c in self.channels.items()},
            "actions": {name: action_values(a) for name, a in self.actions.items()},
            "handoffs": {name: handoff_values(h) for name, h in self.handoffs.items()},
            "agents": {name: agent_values(a) for name, a in self.agents.items()},
        }

    def names(self, section: str) -> set[str]:
        return set(self.exported[section])


def _prepare(data, prune: bool) -> _Prepared:
    lines = getattr(data, "lines", {})
    problems = _Problems(lines)
    if not _check_top_level(data, problems):
        problems.raise_if_any()
    shape = Shape(problems)
    db = _Database()

    items: dict[str, list[Item]] = {section: [] for section in SECTIONS}
    present = [section for section in SECTIONS if section in data]
    for section in present:
        raws = shape.items(data[section], (section,), f"{section} (mappings)")
        for index, raw in enumerate(raws):
            item = READERS[section](raw, (section, index), shape)
            if item is not None:
                items[section].append(item)

    def survives(section: str) -> set[str]:
        file_names = {i.name for i in items[section] if i.name}
        if prune and section in present:
            return file_names
        return file_names | db.names(section)

    if polyai.SMS_TEMPLATES in data:
        candidates = [
            polyai.Candidate(i.name, i.values["sender"], i.values["env_senders"], None)
            for i in items["channels"]
            if i.name
        ]
        if not (prune and "channels" in present):
            candidates += [
                polyai.Candidate(c.name, c.sender, _env_senders(c), c.provider)
                for name, c in sorted(db.channels.items())
                if name not in {i.name for i in items["channels"]}
            ]
        channels, actions = polyai.translate_sms_templates(
            data[polyai.SMS_TEMPLATES],
            shape,
            candidates=candidates,
            existing_actions=db.exported["actions"],
            file_channels={i.name for i in items["channels"] if i.name},
        )
        for made in (*channels, *actions):
            items[made.section].append(
                Item(made.section, made.origin, made.values, made.places, False, made.bad)
            )

    _check_duplicates(items, shape)
    _check_defaults(items["handoffs"], shape)
    surviving = {section: survives(section) for section in SECTIONS}
    pruned = {
        section: (db.names(section) - surviving[section]) if prune and section in present else set()
        for section in SECTIONS
    }
    _check_references(items, surviving, pruned, db, shape)

    new_values: dict[tuple[str, str], dict] = {}
    for section in SECTIONS:
        for item in items[section]:
            values = _validate(item, db, pruned, shape)
            if values is not None and item.name:
                new_values[(section, item.name)] = values
    _check_prune(items, pruned, db, shape)
    problems.raise_if_any()

    changes, undefault = _changes(items, new_values, pruned, db)
    return _Prepared(Plan(changes, prune), items, undefault)


def _env_senders(channel: MessagingChannel) -> dict[str, str]:
    return {e: getattr(channel, f"sender_{e}") for e in ENVIRONMENTS}


def _check_duplicates(items: dict[str, list[Item]], shape: Shape) -> None:
    for section in SECTIONS:
        first: dict[str, Item] = {}
        for item in items[section]:
            if not item.name:
                continue
            if item.name in first:
                shape.add(
                    item.path("name"),
                    f"{item.name!r} is already used by {place(first[item.name].origin)}",
                )
            else:
                first[item.name] = item


def _check_defaults(handoffs: list[Item], shape: Shape) -> None:
    defaults = [item for item in handoffs if item.values["is_default"]]
    for item in defaults[1:]:
        shape.add(
            item.path("is_default"),
            f"only one handoff can be the default, and {place(defaults[0].origin)} "
            f"({defaults[0].name}) already is",
        )


def _check_references(items, surviving, pruned, db: _Database, shape: Shape) -> None:
    # The forms' selects list only what is saved; a name that exists only in this file is
    # checked here, against the file and the database together.
    def check(item: Item, key: Path, section: str, name: str) -> None:
        if not name or name in surviving[section]:
            return
        noun = NOUNS[section]
        if name in pruned[section]:
            message = f"the {noun} {name!r} is not in the file's {section}, so pruning deletes it"
        else:
            message = f"there is no {noun} named {name!r} in the file or the database"
            close = difflib.get_close_matches(name, sorted(surviving[section]), n=1)
            if close:
                message += f" (did you mean {close[0]!r}?)"
        shape.add(item.path(*key), message)

    for item in items["actions"]:
        if not item.is_bad(("channel",)):
            check(item, ("channel",), "channels", item.values["channel"])
        if not item.is_bad(("fallback_handoff",)):
            check(item, ("fallback_handoff",), "handoffs", item.values["fallback_handoff"])
    for item in items["agents"]:
        for section in ("actions", "handoffs"):
            for name in item.values[section]:
                check(item, (section, item.at[(section, name)]), section, name)


def _check_prune(items, pruned, db: _Database, shape: Shape) -> None:
    """What pruning would delete must not be used by what stays and is not in the file."""
    in_file = {section: {i.name for i in items[section]} for section in SECTIONS}

    def kept(section: str, name: str) -> bool:
        return name not in in_file[section] and name not in pruned[section]

    for name in sorted(pruned["channels"]):
        users = [
            a
            for a, action in sorted(db.actions.items())
            if kept("actions", a) and action.channel.name == name
        ]
        if users:
            shape.add(
                ("channels",),
                f"the channel {name!r} is not in the file, so pruning would delete it, but "
                f"{_listed('action', users)} that the file does not change send through it: "
                "add the channel to the file, or move those actions to another channel",
            )
    for name in sorted(pruned["handoffs"]):
        uses = [
            f"action {a} (fallback)"
            for a, action in sorted(db.actions.items())
            if kept("actions", a)
            and action.fallback_handoff is not None
            and action.fallback_handoff.name == name
        ]
        uses += [
            f"agent {a}"
            for a, agent in sorted(db.agents.items())
            if kept("agents", a) and name in {h.name for h in agent.handoffs.all()}
        ]
        if uses:
            shape.add(
                ("handoffs",),
                f"the handoff {name!r} is not in the file, so pruning would delete it, but it "
                f"is used by {', '.join(uses)}, which the file does not change: add the "
                "handoff to the file, or stop using it first",
            )


def _listed(noun: str, names: list[str]) -> str:
    return f"the {noun}{'s' if len(names) > 1 else ''} {', '.join(names)}"


# --- The builder's forms, fed from the file ------------------------------------------------------


def _validate(item: Item, db: _Database, pruned, shape: Shape) -> dict | None:
    """Check the item with its builder form; its values as they would be saved, if valid."""
    form, places = _form(item, db, pruned)
    if not form.is_valid():
        _report(form, places, item, shape)
        return None
    return _values_of(item, form.instance)


def _form(item: Item, db: "_Database | None", pruned: dict[str, set[str]]):
    """The item's builder form, bound to the values from the file.

    The form's selects list only saved objects: a reference to what exists only in the file
    (or is about to be pruned) is left out of the form, and _check_references checks it.
    """
    v = item.values
    if item.section == "channels":
        instance = _instance(MessagingChannel, db.channels if db else None, item.name)
        data = {
            "name": v["name"],
            "provider": v["provider"],
            "sender": v["sender"],
            "sender_sandbox": v["env_senders"]["sandbox"],
            "sender_pre_release": v["env_senders"]["pre_release"],
            "sender_live": v["env_senders"]["live"],
            # Not in the file: the form keeps what is stored (a blank token keeps the token).
            "account_sid": instance.account_sid,
            "auth_token": "",
        }
        return ChannelForm(data, instance=instance), CHANNEL_PLACES
    if item.section == "actions":
        instance = _instance(SendTextAction, db.actions if db else None, item.name)
        recipient = v["recipient"]
        data = {
            "name": v["name"],
            "description": v["description"],
            "channel": _pk(MessagingChannel, v["channel"], pruned),
            "recipient_mode": "custom" if isinstance(recipient, dict) else "contact",
            "recipient_template": recipient["template"] if isinstance(recipient, dict) else "",
            "message_template": v["message"],
            "require_consent": v["require_consent"],
            "fallback_handoff": _pk(Handoff, v["fallback_handoff"], pruned),
            "enabled": v["enabled"],
            # The builder's JSON mode: the schema as the admin wrote it, checked as a whole.
            "schema_mode": "json",
            "parameters_schema": json.dumps(v["parameters"], ensure_ascii=False),
        }
        form = SendTextActionForm(data, instance=instance)
        if v["channel"] and not data["channel"]:
            form.fields["channel"].required = False
        return form, ACTION_PLACES
    if item.section == "handoffs":
        instance = _instance(Handoff, db.handoffs if db else None, item.name)
        sip = v["sip_config"]
        data = {
            "name": v["name"],
            "description": v["description"],
            "is_default": v["is_default"],
            "utterance": v["utterance"],
            "method": sip["method"],
            "phone_number": sip["phone_number"],
            "outbound_endpoint": sip["outbound_endpoint"],
            "outbound_encryption": sip["outbound_encryption"],
            "header_key": [h["key"] for h in v["sip_headers"]],
            "header_value": [h["value"] for h in v["sip_headers"]],
        }
        return HandoffForm(data, instance=instance), HANDOFF_PLACES
    instance = _instance(Agent, db.agents if db else None, item.name)
    data = {
        "name": v["name"],
        "description": v["description"],
        "actions": _pks(SendTextAction, v["actions"], pruned),
        "handoffs": _pks(Handoff, v["handoffs"], pruned),
    }
    return AgentForm(data, instance=instance), AGENT_PLACES


def _instance(model, known: dict | None, name: str) -> Model:
    if known is not None:
        return known.get(name) or model()
    return model.objects.filter(name=name).first() or model()


SECTION_OF = {MessagingChannel: "channels", Handoff: "handoffs", SendTextAction: "actions"}


def _pk(model, name: str, pruned) -> int | str:
    if not name or name in pruned[SECTION_OF[model]]:
        return ""
    found = model.objects.filter(name=name).values_list("pk", flat=True).first()
    return found if found is not None else ""


def _pks(model, names: list[str], pruned) -> list[int]:
    wanted = [n for n in names if n not in pruned[SECTION_OF[model]]]
    by_name = dict(model.objects.filter(name__in=wanted).values_list("name", "pk"))
    return [by_name[n] for n in wanted if n in by_name]


def _report(form, places: dict[str, Path], item: Item, shape: Shape) -> None:
    """Each of the form's messages, unchanged, at the place in the file it is about."""
    for name, messages in form.errors.items():
        key = places.get(name, ())
        if key and item.is_bad(key):
            continue  # the value had the wrong type: that problem is already reported
        for message in messages:
            where = key
            if name == "sip_headers":
                where = _header_place(message, item)
            shape.add(item.path(*where), message)


def _header_place(message: str, item: Item) -> Path:
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


def _values_of(item: Item, instance: Model) -> dict:
    """The item as export would write it once saved: the form's cleaned values."""
    v = item.values
    if item.section == "channels":
        return channel_values(instance)
    if item.section == "handoffs":
        return handoff_values(instance)
    if item.section == "actions":
        return action_values(instance, v["channel"], v["fallback_handoff"] or None)
    return agent_values(instance, v["actions"], v["handoffs"])


# --- The changes -----------------------------------------------------------------------------


def _changes(items, new_values, pruned, db: _Database) -> tuple[list[Change], str | None]:
    changes: list[Change] = []
    undefault = None
    in_file = {section: {i.name for i in items[section]} for section in SECTIONS}
    for section in SECTIONS:
        if section == "handoffs":
            new_default = next((i.name for i in items[section] if i.values["is_default"]), None)
            old_default = next((h.name for h in db.handoffs.values() if h.is_default), None)
            if (
                new_default
                and old_default
                and old_default != new_default
                and old_default not in in_file[section]
                and old_default not in pruned[section]
            ):
                # Saving the new default un-defaults the old one: say so, and save it first.
                undefault = old_default
                changes.append(
                    Change("update", section, old_default, [FieldChange("is_default", True, False)])
                )
        for item in items[section]:
            new = new_values[(section, item.name)]
            old = db.exported[section].get(item.name)
            if old is None:
                fields = [FieldChange(k, None, v) for k, v in _flat(new).items() if k != "name"]
                changes.append(Change("create", section, item.name, fields))
                continue
            fields = _diff(old, new)
            if fields:
                changes.append(Change("update", section, item.name, fields))
        for name in sorted(pruned[section]):
            changes.append(Change("delete", section, name, []))
    return changes, undefault


def _flat(values: dict) -> dict:
    flat = {}
    for key, value in values.items():
        if key in ("env_senders", "sip_config"):
            for sub, sub_value in value.items():
                flat[f"{key}.{sub}"] = sub_value
        else:
            flat[key] = value
    return flat


def _diff(old: dict, new: dict) -> list[FieldChange]:
    old, new = _flat(old), _flat(new)
    keys = list(new) + [k for k in old if k not in new]
    return [
        FieldChange(key, old.get(key), new.get(key))
        for key in keys
        if not _same(old.get(key), new.get(key))
    ]


def _same(a, b) -> bool:
    # As JSON, so that 1 and true (equal in Python) differ, and key order does not matter.
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


# --- Writing -----------------------------------------------------------------------------------


def _write(prepared: _Prepared, user) -> None:
    changes = prepared.plan.changes
    writes = {(c.section, c.name) for c in changes if c.kind in ("create", "update")}
    no_pruning = {section: set() for section in SECTIONS}

    if prepared.undefault:
        handoff = Handoff.objects.get(name=prepared.undefault)
        handoff.is_default = False
        record_import(handoff, user)
        handoff.save(update_fields=["is_default", "updated_at"])

    # What others refer to first; within handoffs, the default last, so that saving it
    # un-defaults nothing that the file still changes.
    for section in ("channels", "handoffs", "actions", "agents"):
        items = [i for i in prepared.items[section] if (section, i.name) in writes]
        if section == "handoffs":
            items.sort(key=lambda i: i.values["is_default"])
        for item in items:
            form, places = _form(item, None, no_pruning)
            if not form.is_valid():
                problems = _Problems()
                _report(form, places, item, Shape(problems))
                problems.raise_if_any()
            record_import(form.instance, user)
            form.save()

    models = {
        "agents": Agent,
        "actions": SendTextAction,
        "handoffs": Handoff,
        "channels": MessagingChannel,
    }
    for section in ("agents", "actions", "handoffs", "channels"):
        for change in changes:
            if change.kind == "delete" and change.section == section:
                instance = models[section].objects.get(name=change.name)
                record_import(instance, user)
                instance.delete()


def record_import(instance: Model, user) -> None:
    """Who made the change and why, for the audit trail.

    django-simple-history reads both attributes when it records a save or a delete; without
    it they are ignored.
    """
    if user is not None:
        instance._history_user = user
    instance._change_reason = CHANGE_REASON


# --- Exporting ---------------------------------------------------------------------------------


def channel_values(channel: MessagingChannel) -> dict:
    senders = {e: getattr(channel, f"sender_{e}") for e in ENVIRONMENTS}
    return {
        "name": channel.name,
        "provider": channel.provider,
        "sender": channel.sender,
        "env_senders": {e: s for e, s in senders.items() if s},
    }


def action_values(action: SendTextAction, channel: str | None = None, fallback=False) -> dict:
    if channel is None:
        channel = action.channel.name
    if fallback is False:
        fallback = action.fallback_handoff.name if action.fallback_handoff_id else None
    recipient = "contact"
    if action.recipient_mode == "custom":
        recipient = {"template": action.recipient_template}
    return {
        "name": action.name,
        "description": action.description,
        "channel": channel,
        "recipient": recipient,
        "parameters": schema_in_order(action.parameters_schema),
        "message": action.message_template,
        "require_consent": action.require_consent,
        "fallback_handoff": fallback,
        "enabled": action.enabled,
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


def schema_in_order(value):
    if isinstance(value, dict):
        rank = {key: n for n, key in enumerate(SCHEMA_KEYWORDS)}
        keys = sorted(value, key=lambda k: (rank.get(k, len(rank)), k))
        return {key: schema_in_order(value[key]) for key in keys}
    if isinstance(value, list):
        return [schema_in_order(v) for v in value]
    return value


def handoff_values(handoff: Handoff) -> dict:
    sip = {"method": handoff.method}
    for key in SIP_CONFIG_KEYS[1:]:
        # Each method has its own fields (bye has none); the others are always empty.
        if getattr(handoff, key):
            sip[key] = getattr(handoff, key)
    return {
        "name": handoff.name,
        "description": handoff.description,
        "is_default": handoff.is_default,
        "sip_config": sip,
        "sip_headers": [{"key": h["key"], "value": h["value"]} for h in handoff.sip_headers],
        "utterance": handoff.utterance,
    }


def agent_values(agent: Agent, actions: list[str] | None = None, handoffs=None) -> dict:
    if actions is None:
        actions = [a.name for a in agent.actions.all()]
    if handoffs is None:
        handoffs = [h.name for h in agent.handoffs.all()]
    return {
        "name": agent.name,
        "description": agent.description,
        "actions": sorted(actions),
        "handoffs": sorted(handoffs),
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True

    def increase_indent(self, flow=False, indentless=False):
        # Lists indented under their key, as in the documentation's examples.
        return super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, text: str):
    # Several lines read best as a block (|) rather than one quoted line with \n in it.
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def export_config() -> str:
    """The whole configuration as YAML: no credentials, no API keys; the same text each time.

    Items are sorted by name (by code point, whatever the database's collation), and keys
    come in the order of the format's documentation.
    """
    by_name = lambda found: sorted(found, key=lambda o: o.name)  # noqa: E731
    channels = by_name(MessagingChannel.objects.all())
    actions = by_name(SendTextAction.objects.select_related("channel", "fallback_handoff"))
    handoffs = by_name(Handoff.objects.all())
    agents = by_name(Agent.objects.prefetch_related("actions", "handoffs"))
    data = {
        "channels": [channel_values(c) for c in channels],
        "actions": [action_values(a) for a in actions],
        "handoffs": [handoff_values(h) for h in handoffs],
        "agents": [agent_values(a) for a in agents],
    }
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
