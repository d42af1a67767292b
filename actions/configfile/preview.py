"""An import's dry run as the browser shows it, and applying exactly what was shown.

The dry run and the apply are two requests. The uploaded text goes from one to the other
inside a signed token (with the prune choice and a fingerprint of the plan that was shown),
so neither can be swapped in between; the apply re-plans in its transaction and writes
nothing when the plan is no longer the one the admin saw.
"""

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field

import yaml
from django.core import signing
from django.db import transaction
from django.template.defaultfilters import pluralize

from actions.configfile.planning import Change, FieldChange, Plan, apply
from actions.configfile.sections import SECTIONS
from actions.models import ApiKey

SALT = "actions.configpreview"
# How long a dry run may be applied after it was shown (seconds).
MAX_AGE = 60 * 60
# Values longer than this, or on several lines, are shown as a diff rather than "old → new".
SHORT = 60
# Below this similarity, a rewritten text is shown as old and new lines, not word by word.
SIMILAR = 0.6

# The page of an item of each section.
URL_NAMES = {
    "channels": "channel_edit",
    "actions": "action_edit",
    "handoffs": "handoff_edit",
    "agents": "agent_edit",
}


class NotATextFile(ValueError):
    pass


class PlanChanged(Exception):
    """The deployment changed since the dry run: `plan` is what applying would do now."""

    def __init__(self, plan: Plan):
        super().__init__("the plan differs from the one shown")
        self.plan = plan


def read_text(raw: bytes, name: str) -> str:
    """The uploaded bytes as text, or NotATextFile naming the file."""
    try:
        if b"\x00" in raw:
            raise UnicodeDecodeError("utf-8", raw, 0, 1, "NUL byte")
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotATextFile(
            f"“{name}” is not a text file. A configuration file is YAML text (UTF-8), "
            "like the one Export downloads."
        ) from None


def fingerprint(plan: Plan) -> str:
    """A digest of every change of the plan, field by field."""
    changes = [
        [c.kind, c.section, c.name, [[f.name, f.old, f.new] for f in c.fields]]
        for c in plan.changes
    ]
    text = json.dumps(changes, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def seal(text: str, *, prune: bool, plan: Plan, filename: str) -> str:
    """The token the Apply button posts back: the file, the choice and the plan shown."""
    payload = {"text": text, "prune": prune, "plan": fingerprint(plan), "filename": filename}
    return signing.dumps(payload, salt=SALT, compress=True)


def unseal(token: str) -> dict:
    """The payload of a token from seal(); signing.BadSignature if altered or too old."""
    return signing.loads(token, salt=SALT, max_age=MAX_AGE)


def apply_as_shown(data: dict, *, prune: bool, shown: str, user=None) -> Plan:
    """Apply the file if it still does exactly what the dry run showed; else nothing is written.

    Raises PlanChanged (with the new plan) or ConfigError.
    """
    with transaction.atomic():
        done = apply(data, prune=prune, user=user)
        if fingerprint(done) != shown:
            raise PlanChanged(done)  # leaving the block rolls the apply back
    return done


# --- Showing a plan ---------------------------------------------------------------------------


@dataclass
class Row:
    """One field of a change, ready to show."""

    name: str
    old: str
    new: str
    # For long values: [(op, text)], op "same", "del" or "ins"; `lines` says how to lay out.
    diff: list[tuple[str, str]] = field(default_factory=list)
    lines: bool = False
    long: bool = False


@dataclass
class Item:
    kind: str
    section: str
    noun: str
    name: str
    rows: list[Row]
    url_name: str
    pk: int | None = None
    note: str = ""


def _item(kind: str, section: str, name: str, rows: list[Row]) -> Item:
    return Item(kind, section, SECTIONS[section].NOUN, name, rows, URL_NAMES[section])


def show(value) -> str:
    """A value as it would read in the YAML file."""
    if value is None:
        return ""
    if isinstance(value, str):
        # A lone surrogate ("\ud800" in a YAML string) cannot be sent in a page: show it escaped.
        return value.encode("utf-8", "backslashreplace").decode()
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    # Keys sorted: the database may hand a mapping back in another order than the file.
    flow = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000)
    flow = flow.strip()
    if len(flow) <= SHORT:
        return flow
    return yaml.safe_dump(value, allow_unicode=True, width=80).rstrip()


def is_long(text: str) -> bool:
    return len(text) > SHORT or "\n" in text


def line_diff(old: str, new: str) -> list[tuple[str, str]]:
    ops = {" ": "same", "-": "del", "+": "ins"}
    return [
        (ops[line[0]], line[2:])
        for line in difflib.ndiff(old.splitlines(), new.splitlines())
        if line[0] in ops
    ]


def word_diff(matcher: difflib.SequenceMatcher) -> list[tuple[str, str]]:
    """Segments of unchanged, deleted and inserted words; the spaces between two changes join
    them, so "Reply to this message" → "Call us" reads as one replacement."""
    a, b = matcher.a, matcher.b
    codes = matcher.get_opcodes()
    spans: list[list] = []  # [changed, i1, i2, j1, j2]
    for n, (op, i1, i2, j1, j2) in enumerate(codes):
        gap = op == "equal" and 0 < n < len(codes) - 1 and not "".join(a[i1:i2]).strip()
        changed = op != "equal" or gap
        if spans and changed and spans[-1][0]:
            spans[-1][2], spans[-1][4] = i2, j2
        else:
            spans.append([changed, i1, i2, j1, j2])
    segments = []
    for changed, i1, i2, j1, j2 in spans:
        if not changed:
            segments.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            segments.append(("ins", "".join(b[j1:j2])))
    return segments


def row(change: Change, f: FieldChange) -> Row:
    old, new = show(f.old), show(f.new)
    item = Row(name=f.name, old=old, new=new, long=is_long(old) or is_long(new))
    if change.kind != "update" or not item.long:
        return item
    words = difflib.SequenceMatcher(
        None, re.findall(r"\s+|\S+", old), re.findall(r"\s+|\S+", new), autojunk=False
    )
    # A few words changed in one line of text read best in place; anything else line by line.
    item.lines = "\n" in old or "\n" in new or words.ratio() < SIMILAR
    item.diff = line_diff(old, new) if item.lines else word_diff(words)
    return item


def items(plan: Plan) -> dict[str, list[Item]]:
    """The plan's changes grouped by kind ("create", "update", "delete"), with their pages."""
    grouped: dict[str, list[Item]] = {"create": [], "update": [], "delete": []}
    for change in plan.changes:
        rows = [row(change, f) for f in change.fields]
        grouped[change.kind].append(_item(change.kind, change.section, change.name, rows))
    link(item for group in grouped.values() for item in group)
    for item in grouped["delete"]:
        if item.section == "agents":
            keys = ApiKey.objects.active().filter(agent__name=item.name).count()
            if keys:
                item.note = f"also deletes its {keys} active API key{pluralize(keys)}"
    return grouped


def link(found) -> None:
    """Set the pk of each item whose object exists (it can then be linked to)."""
    by_section: dict[str, list[Item]] = {}
    for item in found:
        by_section.setdefault(item.section, []).append(item)
    for section, group in by_section.items():
        model = SECTIONS[section].MODEL
        pks = dict(model.objects.filter(name__in=[i.name for i in group]).values_list("name", "pk"))
        for item in group:
            item.pk = pks.get(item.name)


def sentence(grouped: dict[str, list[Item]]) -> str:
    """ "create 2, change 1 and delete 1": what items() would do, in words."""
    verbs = {"create": "create", "update": "change", "delete": "delete"}
    parts = [f"{verbs[kind]} {len(grouped[kind])}" for kind in verbs if grouped[kind]]
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


def summary(plan: Plan) -> list[list[str]]:
    """What a plan did, small enough for the session: [[kind, section, name], …]."""
    return [[c.kind, c.section, c.name] for c in plan.changes]


def done_items(done: list[list[str]]) -> dict[str, list[Item]]:
    """Items (with links) from a summary()."""
    grouped: dict[str, list[Item]] = {"create": [], "update": [], "delete": []}
    for kind, section, name in done:
        grouped[kind].append(_item(kind, section, name, []))
    link(item for group in grouped.values() for item in group if item.kind != "delete")
    return grouped
