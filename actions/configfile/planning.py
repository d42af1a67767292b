"""Planning and applying an import: what the file would change, checked item by item.

`plan` checks every item against the database and says what would change; `apply` makes those
changes in one transaction. Each item is checked by the builder's own form (its section's
module binds it), and each of the form's messages is reported unchanged at the item's place in
the file. Only what a form cannot know is checked here: names repeated in the file, the one
default handoff, references to items that exist only in the file, and what pruning would
delete from under what stays.
"""

import json
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Model

from actions.audit import IMPORT_REASON
from actions.configfile import agents, channels, handoffs, polyai, sendtext
from actions.configfile.loading import check_top_level
from actions.configfile.problems import Path, Problems, did_you_mean, place
from actions.configfile.sections import SECTIONS
from actions.configfile.shape import Item, Shape
from actions.models import Handoff

# --- The contract ------------------------------------------------------------------------------


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
            lines.append(f"{change.kind} {SECTIONS[change.section].NOUN} {change.name}")
            for f in change.fields:
                if change.kind == "create":
                    lines.append(f"    {f.name}: {_shown(f.new)}")
                else:
                    lines.append(f"    {f.name}: {_shown(f.old)} -> {_shown(f.new)}")
        return lines


def _shown(value) -> str:
    return json.dumps(value, ensure_ascii=False)


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


# --- Planning ------------------------------------------------------------------------------------


class _Database:
    """The current configuration, read once."""

    def __init__(self):
        self.channels = {c.name: c for c in channels.stored()}
        self.handoffs = {h.name: h for h in handoffs.stored()}
        self.actions = {a.name: a for a in sendtext.stored()}
        self.agents = {a.name: a for a in agents.stored()}
        self.saved = {
            "channels": self.channels,
            "actions": self.actions,
            "handoffs": self.handoffs,
            "agents": self.agents,
        }
        self.exported = {
            section: {name: SECTIONS[section].values(o) for name, o in self.saved[section].items()}
            for section in SECTIONS
        }

    def names(self, section: str) -> set[str]:
        return set(self.exported[section])


def _prepare(data, prune: bool) -> _Prepared:
    lines = getattr(data, "lines", {})
    problems = Problems(lines)
    if not check_top_level(data, problems):
        problems.raise_if_any()
    shape = Shape(problems)
    db = _Database()

    items: dict[str, list[Item]] = {section: [] for section in SECTIONS}
    present = [section for section in SECTIONS if section in data]
    for section in present:
        raws = shape.items(data[section], (section,), f"{section} (mappings)")
        for index, raw in enumerate(raws):
            item = SECTIONS[section].read(raw, (section, index), shape)
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
                polyai.Candidate(c.name, c.sender, channels.env_senders(c), c.provider)
                for name, c in sorted(db.channels.items())
                if name not in {i.name for i in items["channels"]}
            ]
        made_channels, made_actions = polyai.translate_sms_templates(
            data[polyai.SMS_TEMPLATES],
            shape,
            candidates=candidates,
            existing_actions=db.exported["actions"],
            file_channels={i.name for i in items["channels"] if i.name},
        )
        for made in (*made_channels, *made_actions):
            items[made.section].append(
                Item(made.section, made.origin, made.values, made.places, False, made.bad)
            )

    in_file = {section: {i.name for i in items[section]} for section in SECTIONS}
    _check_duplicates(items, shape)
    _check_defaults(items["handoffs"], shape)
    surviving = {section: survives(section) for section in SECTIONS}
    pruned = {
        section: (db.names(section) - surviving[section]) if prune and section in present else set()
        for section in SECTIONS
    }
    _check_references(items, surviving, pruned, shape)

    new_values: dict[tuple[str, str], dict] = {}
    for section in SECTIONS:
        for item in items[section]:
            values = _validate(item, db, pruned, shape)
            if values is not None and item.name:
                new_values[(section, item.name)] = values
    _check_prune(in_file, pruned, db, shape)
    problems.raise_if_any()

    changes, undefault = _changes(items, in_file, new_values, pruned, db)
    return _Prepared(Plan(changes, prune), items, undefault)


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


def _check_defaults(handoff_items: list[Item], shape: Shape) -> None:
    defaults = [item for item in handoff_items if item.values["is_default"]]
    for item in defaults[1:]:
        shape.add(
            item.path("is_default"),
            f"only one handoff can be the default, and {place(defaults[0].origin)} "
            f"({defaults[0].name}) already is",
        )


def _check_references(items, surviving, pruned, shape: Shape) -> None:
    # The forms' selects list only what is saved; a name that exists only in this file is
    # checked here, against the file and the database together.
    def check(item: Item, key: Path, section: str, name: str) -> None:
        if not name or name in surviving[section]:
            return
        noun = SECTIONS[section].NOUN
        if name in pruned[section]:
            message = f"the {noun} {name!r} is not in the file's {section}, so pruning deletes it"
        else:
            message = f"there is no {noun} named {name!r} in the file or the database"
            message += did_you_mean(name, sorted(surviving[section]))
        shape.add(item.path(*key), message)

    for item in items["actions"]:
        if not item.is_bad(("channel",)):
            check(item, ("channel",), "channels", item.values["channel"])
        if not item.is_bad(("fallback_handoff",)):
            check(item, ("fallback_handoff",), "handoffs", item.values["fallback_handoff"])
    for item in items["handoffs"]:
        if item.values.get("after_hours") and not item.is_bad(("after_hours",)):
            check(item, ("after_hours",), "handoffs", item.values["after_hours"])
        for name in item.values.get("fallbacks", []):
            check(item, ("fallbacks", item.at[("fallbacks", name)]), "handoffs", name)
    for item in items["agents"]:
        for section in ("actions", "handoffs"):
            for name in item.values[section]:
                check(item, (section, item.at[(section, name)]), section, name)


def _check_prune(in_file, pruned, db: _Database, shape: Shape) -> None:
    """What pruning would delete must not be used by what stays and is not in the file."""

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
    form = _form(item, db, pruned)
    if not form.is_valid():
        _report(form, item, shape)
        return None
    return _values_of(item, form.instance)


def _form(item: Item, db: "_Database | None", pruned: dict[str, set[str]]):
    """The item's builder form, bound to the values from the file.

    The form's selects list only saved objects: a reference to what exists only in the file
    (or is about to be pruned) is left out of the form, and _check_references checks it.
    """
    v = item.values
    instance = _instance(item, db)
    if item.section == "channels":
        return channels.form(item, instance)
    if item.section == "actions":
        channel = _pk("channels", v["channel"], pruned)
        fallback = _pk("handoffs", v["fallback_handoff"], pruned)
        return sendtext.form(item, instance, channel, fallback)
    if item.section == "handoffs":
        after_hours = _pk("handoffs", v.get("after_hours", ""), pruned)
        saved = set(_names("handoffs", v.get("fallbacks", []), pruned))
        return handoffs.form(item, instance, after_hours, saved)
    linked_actions = _pks("actions", v["actions"], pruned)
    linked_handoffs = _pks("handoffs", v["handoffs"], pruned)
    return agents.form(item, instance, linked_actions, linked_handoffs)


def _instance(item: Item, db: "_Database | None") -> Model:
    model = SECTIONS[item.section].MODEL
    if db is not None:
        return db.saved[item.section].get(item.name) or model()
    return model.objects.filter(name=item.name).first() or model()


def _pk(section: str, name: str, pruned) -> int | str:
    if not name or name in pruned[section]:
        return ""
    model = SECTIONS[section].MODEL
    found = model.objects.filter(name=name).values_list("pk", flat=True).first()
    return found if found is not None else ""


def _names(section: str, names: list[str], pruned) -> list[str]:
    """The names among `names` that are saved and not about to be pruned."""
    wanted = [n for n in names if n not in pruned[section]]
    model = SECTIONS[section].MODEL
    return list(model.objects.filter(name__in=wanted).values_list("name", flat=True))


def _pks(section: str, names: list[str], pruned) -> list[int]:
    wanted = [n for n in names if n not in pruned[section]]
    model = SECTIONS[section].MODEL
    by_name = dict(model.objects.filter(name__in=wanted).values_list("name", "pk"))
    return [by_name[n] for n in wanted if n in by_name]


def _report(form, item: Item, shape: Shape) -> None:
    """Each of the form's messages, unchanged, at the place in the file it is about."""
    places: dict[str, Path] = SECTIONS[item.section].PLACES
    for name, messages in form.errors.items():
        key = places.get(name, ())
        if key and item.is_bad(key):
            continue  # the value had the wrong type: that problem is already reported
        for message in messages:
            where = key
            if name == "sip_headers":
                where = handoffs.header_place(message, item)
            shape.add(item.path(*where), message)


def _values_of(item: Item, instance: Model) -> dict:
    """The item as export would write it once saved: the form's cleaned values."""
    v = item.values
    if item.section == "actions":
        return sendtext.values(instance, v["channel"], v["fallback_handoff"] or None)
    if item.section == "agents":
        return agents.values(instance, v["actions"], v["handoffs"])
    values = SECTIONS[item.section].values(instance)
    if item.section == "handoffs" and v.get("after_hours"):
        values["after_hours"] = v["after_hours"]  # a handoff the file may be creating
    if item.section == "handoffs" and v.get("fallbacks"):
        values["fallbacks"] = list(v["fallbacks"])  # some may exist only in the file
    return values


# --- The changes -----------------------------------------------------------------------------


def _changes(items, in_file, new_values, pruned, db: _Database) -> tuple[list[Change], str | None]:
    changes: list[Change] = []
    undefault = None
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
            # The default last; a handoff after the handoffs it names.
            items = _after_hours_first(items)
        for item in items:
            form = _form(item, None, no_pruning)
            if not form.is_valid():
                problems = Problems()
                _report(form, item, Shape(problems))
                problems.raise_if_any()
            record_import(form.instance, user)
            form.save()

    for section in ("agents", "actions", "handoffs", "channels"):
        for change in changes:
            if change.kind == "delete" and change.section == section:
                instance = SECTIONS[section].MODEL.objects.get(name=change.name)
                record_import(instance, user)
                instance.delete()


def _after_hours_first(items: list[Item]) -> list[Item]:
    """Handoffs in an order that saves each after-hours alternative and fallback before the
    handoffs that name it (a handoff cannot name itself; a longer loop is saved in file order,
    and its last reference is then checked against what is saved), non-defaults before the
    default."""
    by_name = {i.name: i for i in items}
    ordered: list[Item] = []
    placing: set[str] = set()

    def place(item: Item) -> None:
        if item in ordered or item.name in placing:
            return
        placing.add(item.name)
        for name in [item.values.get("after_hours") or "", *item.values.get("fallbacks", [])]:
            named = by_name.get(name)
            if named is not None:
                place(named)
        ordered.append(item)

    for item in sorted(items, key=lambda i: i.values["is_default"]):
        place(item)
    return ordered


def record_import(instance: Model, user) -> None:
    """Who made the change and why, for the audit trail.

    django-simple-history reads both attributes when it records a save or a delete; without
    it they are ignored.
    """
    if user is not None:
        instance._history_user = user
    instance._change_reason = IMPORT_REASON
