"""The audit trail: who changed a channel, an action, a handoff, an agent or an API key, when,
and what.

django-simple-history records every save and delete of those models (their `history =
HistoricalRecords(...)`), and its middleware names the logged-in user as the author. This
module adds `acting_as`, for changes made without a request (the configuration import,
management commands), and `history_of`, which reads an object's history back as entries a
page can show. No secret ever reaches the history: a channel's auth token and a key's hash are
excluded from it.
"""

import contextvars
import difflib
import json
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from actions.models import Agent, ApiKey, Environment, Handoff, MessagingChannel, SendTextAction
from actions.models.agent import ISSUED_REASON, REVOKED_REASON
from actions.models.channel import token_version

# The reason the configuration import gives; with no user, its changes are the import's.
IMPORT_REASON = "Imported from configuration file"
# The history's change-reason column is a CharField of this length.
REASON_MAX_LENGTH = 100
# A form saves the row, then each many-to-many field, each a record of its own: records that
# follow a save this closely, by the same author, for the same reason, and with no save of the
# row between them (updated_at unchanged), are one change.
BURST = timedelta(seconds=5)
# Text longer than this is shown as the part that changed, with a little context.
SHORT_TEXT = 80
CONTEXT = 24
MAX_DIFF_LINES = 40
# Not worth a line: timestamps that every save moves, and a key's prefix and agent, which never
# change.
NOT_SHOWN = {"created_at", "updated_at", "prefix", "agent"}

KINDS = {"+": "created", "~": "changed", "-": "deleted"}


# --- Recording ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Acting:
    user: object
    reason: str


_acting: contextvars.ContextVar[_Acting | None] = contextvars.ContextVar(
    "audit_acting", default=None
)


@contextmanager
def acting_as(user, reason: str = ""):
    """Record the saves and deletes inside as made by `user` (None: the request's user, or the
    system when there is none), for `reason`.

    An object's own `_history_user` and `_change_reason`, when set, still win: they are the
    more specific.
    """
    token = _acting.set(_Acting(user, reason))
    try:
        yield
    finally:
        _acting.reset(token)


@receiver(pre_create_historical_record)
def _complete_record(sender, instance, history_instance, **kwargs):
    acting = _acting.get()
    if acting is not None:
        if acting.user is not None and not hasattr(instance, "_history_user"):
            history_instance.history_user = acting.user
        if acting.reason and not history_instance.history_change_reason:
            history_instance.history_change_reason = acting.reason
    if history_instance.history_change_reason:
        reason = history_instance.history_change_reason
        history_instance.history_change_reason = reason[:REASON_MAX_LENGTH]
    if isinstance(instance, MessagingChannel):
        history_instance.auth_token_version = token_version(instance.auth_token_encrypted)


# --- Reading -----------------------------------------------------------------------------------


@dataclass
class Change:
    """One field's change. `summary` replaces old → new when that says it better."""

    label: str
    old: str = ""
    new: str = ""
    summary: str = ""
    diff: list[str] = field(default_factory=list)


@dataclass
class Entry:
    when: datetime
    who: str
    # created | changed | deleted | revoked (an API key) | recorded (the state when the history
    # began)
    kind: str
    reason: str = ""
    changes: list[Change] = field(default_factory=list)
    subject: str = ""  # what the entry is about, when not the object itself ("API key sb_…")
    # The version this entry left the object in, when it can be restored (not the current one,
    # not a deletion, not an API key's): its history_id, and the page that restores it.
    version: int | None = None
    restore_url: str = ""


class History(list):
    """Entries, newest first; `more` when older ones were left out (the admin has them all).
    `restore_name`: the page that restores a version (its permission is the edit page's)."""

    more: bool = False
    admin_url: str = ""
    restore_name: str = ""


def history_of(obj: models.Model, limit: int = 50) -> History:
    """The object's history, newest first, at most `limit` entries. An agent's includes the
    history of its API keys."""
    entries, more = _read(obj.history.all(), limit)
    if isinstance(obj, Agent):
        by_key = defaultdict(list)
        for record in _read_records(ApiKey.history.filter(agent_id=obj.pk), limit)[0]:
            by_key[record.id].append(record)
        for records in by_key.values():
            entries += _entries(records, has_base=False)
    entries.sort(key=lambda e: e.when, reverse=True)
    history = History(entries[:limit])
    history.more = more or len(entries) > limit
    history.admin_url = _admin_url(obj)
    history.restore_name = RESTORE_PAGES.get(type(obj), "")
    _offer_restores(obj, history)
    return history


def _offer_restores(obj, history: History) -> None:
    """Each earlier version of the object itself gets its restore page; the newest is now."""
    own = [e for e in history if e.version is not None]
    if own:
        own[0].version = None
    for entry in own[1:]:
        if entry.kind == "deleted" or not history.restore_name:
            entry.version = None
            continue
        entry.restore_url = reverse(history.restore_name, args=[obj.pk, entry.version])


def _read(queryset, limit: int) -> tuple[list[Entry], bool]:
    """One object's entries, oldest first, and whether there are older ones."""
    records, more = _read_records(queryset, limit)
    return _entries(records, has_base=more), more


def _read_records(queryset, limit: int) -> tuple[list, bool]:
    # Each entry may merge a few records, and needs the record before it to diff against:
    # when there are more than `fetch`, the oldest one read is only that base.
    fetch = limit * 4
    records = list(queryset.select_related("history_user")[: fetch + 1])
    return list(reversed(records)), len(records) > fetch


def _entries(records: list, *, has_base: bool) -> list[Entry]:
    """Entries from one object's records, oldest first; the first is only a base when
    `has_base`."""
    if not records:
        return []
    m2m = _m2m_sets(records)
    names = _Names()
    entries = []
    previous = records[0] if has_base else None
    groups = _bursts(records[1:] if has_base else records)
    for group in groups:
        first, last = group[0], group[-1]
        kind = KINDS[first.history_type]
        changes = []
        if kind == "changed" and previous is None:
            kind = "recorded"
        elif kind == "changed":
            changes = _changes(previous, last, m2m, names)
        if kind == "changed" and not changes and not first.history_change_reason:
            previous = last
            continue  # saved without a change
        entries.append(
            Entry(
                when=last.history_date,
                who=_who(first),
                kind=kind,
                reason=first.history_change_reason or "",
                changes=changes,
                subject=_subject(last),
                version=None if last.instance_type is ApiKey else last.history_id,
            )
        )
        if last.instance_type is ApiKey:
            _as_key_entry(entries[-1])
        previous = last
    names.resolve()
    return entries


def _bursts(records: list) -> list[list]:
    groups: list[list] = []
    for record in records:
        if groups and record._history_m2m_fields:
            last = groups[-1][-1]
            if (
                record.history_type == "~"
                and last.history_type != "-"
                and record.updated_at == last.updated_at
                and record.history_user_id == last.history_user_id
                and record.history_change_reason == last.history_change_reason
                and record.history_date - last.history_date <= BURST
            ):
                groups[-1].append(record)
                continue
        groups.append([record])
    return groups


def _who(record) -> str:
    if record.history_user is not None:
        return record.history_user.get_username()
    if record.history_change_reason == IMPORT_REASON:
        return "configuration import"
    return "system"


def _subject(record) -> str:
    if record.instance_type is ApiKey:
        environment = dict(Environment.choices).get(record.environment, record.environment)
        label = f", {record.label}" if record.label else ""
        return f"API key {record.prefix}… ({environment}{label})"
    return ""


def _as_key_entry(entry: Entry) -> None:
    """A key is only ever issued and revoked: say so, without repeating it as the reason."""
    revoked = [c for c in entry.changes if c.label == "Revoked at" and c.old == "—"]
    if entry.kind == "changed" and revoked:
        entry.kind = "revoked"
        entry.changes = [c for c in entry.changes if c not in revoked]
    if entry.reason in (ISSUED_REASON, REVOKED_REASON):
        entry.reason = ""


def _admin_url(obj) -> str:
    opts = obj._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
    except NoReverseMatch:
        return ""


# --- Restoring an earlier version --------------------------------------------------------------

# The builder page that restores a version of each kind of object (urls.py: the edit page's
# permission).
RESTORE_PAGES = {
    MessagingChannel: "channel_restore",
    SendTextAction: "action_restore",
    Handoff: "handoff_restore",
    Agent: "agent_restore",
}
RESTORE_REASON = "Restored the version of {when}"


@dataclass
class Restore:
    """What restoring one version would do, for its confirmation page, and the object as it
    would be saved. `problems` say why it cannot be restored as it is (a name taken since, a
    channel deleted since); `notes` what is not brought back (secrets stay as they are now)."""

    when: datetime
    who: str
    obj: models.Model
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    related: dict[str, list[int]] = field(default_factory=dict)


def plan_restore(obj: models.Model, version: int) -> Restore | None:
    """Restoring `obj` to the version its history record `version` holds; None when there is
    no such version of this object."""
    record = obj.history.filter(history_id=version).select_related("history_user").first()
    current = obj.history.first()
    if record is None or record.history_type == "-" or current is None:
        return None
    restored = record.instance  # secrets, which the history never holds, stay as they are now
    restored._state.adding = False
    plan = Restore(when=record.history_date, who=_who(record), obj=restored)
    m2m = _m2m_sets([current, record])
    names = _Names()
    # Secrets are kept as they are now: a token "change" is no change here.
    plan.changes = [c for c in _changes(current, record, m2m, names) if c.label != "Auth token"]
    names.resolve()
    for model_field in record._history_m2m_fields:
        wanted = m2m[model_field.name].get(record.history_id, set())
        target = model_field.related_model
        existing = set(target.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        plan.related[model_field.name] = sorted(existing)
        if gone := wanted - existing:
            plan.notes.append(
                f"{_label(model_field)}: {len(gone)} of that version's no longer exist"
                f"{'s' if len(gone) == 1 else ''} and cannot come back."
            )
    if isinstance(obj, MessagingChannel | Agent):
        plan.notes.append("Stored secrets are not in the history: the current ones are kept.")
    try:
        restored.full_clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            label = _label(obj._meta.get_field(name)) if name != NON_FIELD_ERRORS else ""
            plan.problems += [f"{label}: {m}" if label else m for m in messages]
    return plan


def restore(plan: Restore) -> models.Model:
    """Save the restored version (the request's user is its author, as for any save)."""
    restored = plan.obj
    restored._change_reason = RESTORE_REASON.format(when=when_text(plan.when))
    with transaction.atomic():
        restored.save()
        for name, pks in plan.related.items():
            getattr(restored, name).set(pks)
    return restored


# --- What changed ------------------------------------------------------------------------------


def _changes(old, new, m2m: dict, names: "_Names") -> list[Change]:
    model = new.instance_type
    m2m_fields = [f.name for f in new._history_m2m_fields]
    delta = new.diff_against(old, excluded_fields=[*m2m_fields, *NOT_SHOWN])
    changes = [_change(model._meta.get_field(c.field), c.old, c.new, names) for c in delta.changes]
    for name in m2m_fields:
        before, after = m2m[name].get(old.history_id, set()), m2m[name].get(new.history_id, set())
        if before != after:
            target = model._meta.get_field(name).related_model
            changes.append(_set_change(model._meta.get_field(name), target, before, after, names))
    if hasattr(new, "auth_token_version") and old.auth_token_version != new.auth_token_version:
        if not new.auth_token_version:
            summary = "removed"
        elif old.auth_token_version:
            summary = "replaced"
        else:
            summary = "set"
        changes.append(Change("Auth token", summary=summary))
    return changes


def _label(model_field) -> str:
    label = str(model_field.verbose_name)
    return label[:1].upper() + label[1:]


def _change(model_field, old, new, names: "_Names") -> Change:
    label = _label(model_field)
    if model_field.is_relation:
        change = Change(label)
        names.later(change, "old", model_field.related_model, old)
        names.later(change, "new", model_field.related_model, new)
        return change
    if model_field.choices:
        return Change(label, _choice(model_field, old), _choice(model_field, new))
    if isinstance(model_field, models.JSONField):
        return _json_change(label, model_field.name, old, new)
    if isinstance(old, str | None) and isinstance(new, str | None):
        return _text_change(label, old or "", new or "")
    return Change(label, _plain(old), _plain(new))


def when_text(value: datetime) -> str:
    """A moment as the history says it: `4 Dec 2026, 05:17`, in the site's time zone."""
    return dateformat.format(timezone.localtime(value), "j M Y, H:i")


def _plain(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return when_text(value)
    return str(value)


def _choice(model_field, value) -> str:
    label = dict(model_field.flatchoices).get(value)
    if not label:
        return _plain(value)
    # "refer — transfer the call to a number" -> "refer": the short name the form starts with.
    return str(label).split(" — ")[0].split(" (")[0]


def _text_change(label: str, old: str, new: str) -> Change:
    if len(old) <= SHORT_TEXT and len(new) <= SHORT_TEXT and "\n" not in old + new:
        return Change(label, old or "—", new or "—")
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    change = Change(label, _excerpt(old, start, end), _excerpt(new, start, end))
    if "\n" in old + new:
        change.diff = _diff(old, new)
    return change


def _excerpt(text: str, start: int, end: int) -> str:
    """The part of `text` between the common prefix and suffix, with a little context."""
    if not text:
        return "—"
    left = max(0, start - CONTEXT)
    right = min(len(text), len(text) - end + CONTEXT)
    # Whole words at the edges: from the first space after `left`, to the last before `right`.
    if left:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < len(text):
        space = text.rfind(" ", len(text) - end, right)
        right = space if space != -1 else right
    middle = text[left:right]
    if len(middle) > SHORT_TEXT * 2:
        middle = middle[: SHORT_TEXT * 2] + "…"
    return ("…" if left else "") + middle + ("…" if right < len(text) else "")


def _json_change(label: str, name: str, old, new) -> Change:
    if name == "sip_headers":
        return Change(label, _headers(old), _headers(new))
    change = Change(label, diff=_diff(_pretty(old), _pretty(new)))
    if name == "parameters_schema":
        change.summary = _schema_summary(old, new)
    if not change.summary:
        change.old, change.new = _short_json(old), _short_json(new)
    return change


def _headers(headers) -> str:
    if not headers:
        return "—"
    if not isinstance(headers, list):
        return _short_json(headers)
    return "; ".join(
        f"{h.get('key', '')}: {h.get('value', '')}" if isinstance(h, dict) else str(h)
        for h in headers
    )


def _schema_summary(old, new) -> str:
    def parameters(schema):
        properties = schema.get("properties") if isinstance(schema, dict) else None
        return properties if isinstance(properties, dict) else {}

    def required(schema):
        names = schema.get("required") if isinstance(schema, dict) else None
        return set(names) if isinstance(names, list) else set()

    before, after = parameters(old), parameters(new)
    parts = []
    added = [n for n in after if n not in before]
    removed = [n for n in before if n not in after]
    changed = [n for n in after if n in before and before[n] != after[n]]
    now_required = sorted((required(new) - required(old)) & set(after) - set(added))
    now_optional = sorted((required(old) - required(new)) & set(after))
    for words, names in (
        ("added", added),
        ("removed", removed),
        ("changed", changed),
        ("made required", now_required),
        ("made optional", now_optional),
    ):
        if names:
            parts.append(f"{words} {', '.join(names)}")
    if not parts:
        return "changed"
    return "; ".join(parts)


def _pretty(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _short_json(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= SHORT_TEXT * 2 else text[: SHORT_TEXT * 2] + "…"


def _diff(old: str, new: str) -> list[str]:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1))[2:]
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"… {len(lines) - MAX_DIFF_LINES} more lines"]
    return lines


def _set_change(model_field, target, before: set, after: set, names: "_Names") -> Change:
    change = Change(_label(model_field))
    names.later_set(change, target, sorted(after - before), sorted(before - after))
    return change


def _m2m_sets(records: list) -> dict[str, dict[int, set]]:
    """{field: {history_id: the related ids then}}, one query per many-to-many field."""
    result: dict[str, dict[int, set]] = {}
    if not records:
        return result
    ids = [r.history_id for r in records]
    for model_field in records[0]._history_m2m_fields:
        history_model = HistoricalRecords.m2m_models[model_field]
        column = model_field.m2m_reverse_field_name()
        sets: dict[int, set] = defaultdict(set)
        rows = history_model.objects.filter(history_id__in=ids).values_list("history_id", column)
        for history_id, related_id in rows:
            sets[history_id].add(related_id)
        result[model_field.name] = sets
    return result


class _Names:
    """Related objects' names, looked up all at once: deleted ones from their own history."""

    def __init__(self):
        self.wanted: dict[type, set] = defaultdict(set)
        self.fill: list = []

    def later(self, change: Change, attr: str, model, pk) -> None:
        if pk is not None:
            self.wanted[model].add(pk)
        self.fill.append(lambda found: setattr(change, attr, found(model, pk)))

    def later_set(self, change: Change, model, added: list, removed: list) -> None:
        self.wanted[model].update(added + removed)

        def fill(found):
            parts = []
            if added:
                parts.append("added " + ", ".join(found(model, pk) for pk in added))
            if removed:
                parts.append("removed " + ", ".join(found(model, pk) for pk in removed))
            change.summary = "; ".join(parts)

        self.fill.append(fill)

    def resolve(self) -> None:
        names: dict[tuple, str] = {}
        for model, pks in self.wanted.items():
            for pk, name in model.objects.filter(pk__in=pks).values_list("pk", "name"):
                names[model, pk] = name
            missing = pks - {pk for m, pk in names if m is model}
            if missing and hasattr(model, "history"):
                rows = model.history.filter(id__in=missing).values_list("id", "name")
                for pk, name in rows.order_by("id", "-history_date"):
                    names.setdefault((model, pk), f"{name} (deleted)")

        def found(model, pk):
            if pk is None:
                return "—"
            return names.get((model, pk), f"#{pk} (deleted)")

        for fill in self.fill:
            fill(found)
