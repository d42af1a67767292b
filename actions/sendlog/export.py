"""The send log as CSV: every message of a filtered view, streamed.

Rows are read BATCH_SIZE at a time, each batch a fresh query after the last (created_at, id)
read, newest first, as the list pages are cut: a million rows never sit in memory, no
server-side cursor or transaction is held open for the whole download, and messages arriving
meanwhile neither repeat nor shift rows.
"""

import csv
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from django.db.models import QuerySet

from actions.sendlog import query
from actions.sendlog.masking import mask_number, mask_numbers_in, region_of

BATCH_SIZE = 2000

# (CSV column, Message field), in file order.
COLUMNS = [
    ("id", "id"),
    ("created_at", "created_at"),
    ("action", "action_name"),
    ("agent", "agent_name"),
    ("channel", "channel_name"),
    ("environment", "environment"),
    ("test", "is_test"),  # true for Try it and the channel's test message
    ("conversation_id", "conversation_id"),
    ("to", "to"),
    ("from", "sender"),
    ("status", "status"),
    ("provider_sid", "provider_sid"),
    ("error_code", "error_code"),
    ("error_message", "error_message"),
    ("attempts", "attempts"),
    ("resent_from", "resent_from_id"),
    ("body", "body"),
    ("parameters", "parameters"),
    ("variables", "variables"),
    ("redacted_at", "redacted_at"),
]
HEADER = [column for column, _ in COLUMNS]
FIELDS = [field for _, field in COLUMNS]
# What may hold a phone number, masked for users who may not see numbers.
MASKED = {"body", "parameters", "variables", "error_message"}
JSON_COLUMNS = {"parameters", "variables"}
NUMBER_COLUMNS = {"to", "from"}

# A cell starting with one of these is read by spreadsheets as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
E164 = re.compile(r"\+[0-9]+")


def filename(now: datetime | None = None, stem: str = "send-log") -> str:
    """send-log-20250131T120000Z.csv: when the export started, in UTC."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{stem}-{now:%Y%m%dT%H%M%SZ}.csv"


def batches(messages: QuerySet, size: int | None = None) -> Iterator[list[tuple]]:
    """The messages, newest first, as lists of value tuples (FIELDS), one query per list."""
    size = size or BATCH_SIZE
    rows = messages.order_by("-created_at", "-id").values_list(*FIELDS)
    batch = list(rows[:size])
    while batch:
        yield batch
        if len(batch) < size:
            return
        last = dict(zip(FIELDS, batch[-1], strict=True))
        batch = list(query.older_than(rows, last["created_at"], last["id"])[:size])


def defuse(text: str, column: str = "") -> str:
    """The cell, with a quote before it when a spreadsheet would run it as a formula.

    A number such as +447700900123 in the to and from columns stays as it is.
    """
    if not text.startswith(FORMULA_STARTS):
        return text
    if column in NUMBER_COLUMNS and E164.fullmatch(text):
        return text
    return "'" + text


def timestamp(value: datetime | None) -> str:
    """A moment as the CSV files write it: UTC, ISO 8601 with microseconds and Z."""
    if value is None:
        return ""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def cells(row: tuple, unmasked: bool) -> list[str]:
    """One message's CSV cells, numbers masked unless `unmasked`."""
    values = dict(zip(HEADER, row, strict=True))
    if not unmasked:
        region = region_of(values["to"])
        for column in MASKED:
            values[column] = mask_numbers_in(values[column], region)
        values["to"] = mask_number(values["to"])
    for column in JSON_COLUMNS:
        # Keys sorted: PostgreSQL's jsonb does not keep them in the order they were written.
        values[column] = json.dumps(values[column], ensure_ascii=False, sort_keys=True)
    values["test"] = "true" if values["test"] else "false"
    values["created_at"] = timestamp(values["created_at"])
    values["redacted_at"] = timestamp(values["redacted_at"])
    return [
        defuse("" if values[column] is None else str(values[column]), column) for column in HEADER
    ]


class Echo:
    """A file for csv.writer that hands each line back instead of storing it."""

    def write(self, text: str) -> str:
        return text


def csv_chunks(messages: QuerySet, unmasked: bool) -> Iterable[str]:
    """The header line, then one chunk of CSV lines per batch of messages, newest first."""
    writer = csv.writer(Echo())
    yield writer.writerow(HEADER)
    for batch in batches(messages):
        yield "".join(writer.writerow(cells(row, unmasked)) for row in batch)


def filter_errors(form) -> str:
    """Why a filter form cannot be exported, one line per field, as plain text."""
    lines = ["The send log was not exported: correct these filters, then export again."]
    for name, errors in form.errors.items():
        label = form[name].label if name in form.fields else "Filters"
        lines.append(f"{label} ({name}): {' '.join(errors)}")
    return "\n".join(lines) + "\n"
