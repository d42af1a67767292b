"""The message state machine: each status move is one conditional UPDATE and its timeline event.

This is the send path's hot loop (every message moves three or four times), so the
statements are written once as SQL rather than built by the ORM for every call: the ORM
spends more time compiling these few statements than the database spends running them
(bench/worker_bench.py). On PostgreSQL each step is a single statement (the UPDATE and the
event INSERT joined in a data-modifying WITH), one round trip instead of four or five.
"""

from dataclasses import dataclass, fields
from functools import cache

from django.db import connection, transaction
from django.utils import timezone

from actions.models import Message, MessageEvent, MessagingChannel
from actions.models.message import STATUS_RANK

MESSAGE_TABLE = Message._meta.db_table
EVENT_TABLE = MessageEvent._meta.db_table
CHANNEL_TABLE = MessagingChannel._meta.db_table
_UPDATABLE = {
    "attempts",
    "provider_sid",
    "provider_status",
    "error_code",
    "error_message",
    "due_at",
}


def _pk(message_id):
    return Message._meta.pk.get_db_prep_value(message_id, connection)


def db_now():
    return connection.ops.adapt_datetimefield_value(timezone.now())


def empty_event_data():
    return MessageEvent._meta.get_field("data").get_db_prep_value({}, connection)


def _record_event(cursor, message_id, status: str, detail: str) -> None:
    cursor.execute(
        f"INSERT INTO {EVENT_TABLE} (message_id, status, at, detail, data) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s)",
        [_pk(message_id), status, db_now(), detail, empty_event_data()],
    )


def move(message_id, allowed_from, status: str, detail: str = "", **fields) -> bool:
    """Move the message to `status` if it is in one of `allowed_from`; return whether it moved.

    The UPDATE's WHERE clause decides, so two workers or two reports can never both win.
    `fields` (provider SID, error code…) are saved only when the status moves.
    """
    unknown = set(fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"cannot set {', '.join(sorted(unknown))} here")
    names = sorted(fields)
    values = [Message._meta.get_field(n).get_db_prep_save(fields[n], connection) for n in names]
    assignments = "".join(f", {name} = %s" for name in names)
    placeholders = ", ".join(["%s"] * len(allowed_from))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH moved AS (UPDATE {MESSAGE_TABLE} "  # noqa: S608
                f"SET status = %s, updated_at = %s{assignments} "
                f"WHERE id = %s AND status IN ({placeholders}) RETURNING id) "
                f"INSERT INTO {EVENT_TABLE} (message_id, status, at, detail, data) "
                "SELECT id, %s, %s, %s, %s FROM moved",
                [
                    status,
                    db_now(),
                    *values,
                    _pk(message_id),
                    *allowed_from,
                    status,
                    db_now(),
                    detail,
                    empty_event_data(),
                ],
            )
            return cursor.rowcount == 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {MESSAGE_TABLE} SET status = %s, updated_at = %s{assignments} "  # noqa: S608
            f"WHERE id = %s AND status IN ({placeholders})",
            [status, db_now(), *values, _pk(message_id), *allowed_from],
        )
        moved = cursor.rowcount == 1
        if moved:
            _record_event(cursor, message_id, status, detail)
    return moved


def advance(message_id, status: str, detail: str = "", **fields) -> bool:
    """Move forward only: a late or duplicated report never moves a status back (a late
    `sent` never overwrites `delivered`)."""
    behind = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    return move(message_id, behind, status, detail, **fields)


@dataclass(frozen=True)
class ChannelRef:
    """What sending needs of a channel: its provider and credentials (each named as the
    MessagingChannel field it is read from)."""

    provider: str
    account_sid: str
    auth_token_encrypted: str


@dataclass(frozen=True)
class ClaimedMessage:
    """A message this caller has taken for sending (each field but `id` and `channel` named
    as the Message field it is read from)."""

    id: object
    attempts: int
    to: str
    sender: str
    body: str
    provider: str
    channel: ChannelRef | None


@cache
def _claim_columns() -> tuple[list[str], list[str], str]:
    """The columns a claim reads, found by name on the models (a renamed field fails here).

    Returns the message's field names, the channel's, and the SELECT list (m: the message,
    c: its channel).
    """
    quote = connection.ops.quote_name
    mine = [f.name for f in fields(ClaimedMessage) if f.name not in ("id", "channel")]
    theirs = [f.name for f in fields(ChannelRef)]
    columns = [f"m.{quote(Message._meta.get_field(n).column)}" for n in mine]
    columns += [f"c.{quote(MessagingChannel._meta.get_field(n).column)}" for n in theirs]
    return mine, theirs, ", ".join(columns)


def claim(message_id, *, in_turn: bool = False) -> tuple[ClaimedMessage | None, str]:
    """Take a queued message for sending (queued -> sending, one more attempt).

    `in_turn`: the caller holds its sender's turn (messaging/throttle.py), so it takes the
    sender's queued message due first — this one, or one due before it whose task runs late,
    or, when this one is gone, the next in line — and messages leave each sender in the order
    of their turns. Every queued message has a task of its own on the way, so a task whose
    message another took sends the one that task would have: none is left behind, and a
    turn is never spent on nothing while a message waits.

    Returns (the message, "") when this caller won one, or (None, why not) when another task
    already took it, or it is gone. Committed before the caller sends.
    """
    mine, theirs, columns = _claim_columns()
    now = db_now()
    if connection.vendor == "postgresql":
        if in_turn:
            # The sender's earliest due message (or this one); SKIP LOCKED: one another claim
            # is taking right now is not waited for.
            target = (
                f"(SELECT t.id FROM {MESSAGE_TABLE} t WHERE t.status = 'queued' "  # noqa: S608
                f"AND t.sender = (SELECT sender FROM {MESSAGE_TABLE} WHERE id = %s) "
                "ORDER BY t.due_at, t.created_at LIMIT 1 FOR UPDATE SKIP LOCKED)"
            )
            target_args = [_pk(message_id)]
        else:
            target, target_args = "%s", [_pk(message_id)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH claimed AS (UPDATE {MESSAGE_TABLE} SET status = 'sending', "  # noqa: S608
                f"attempts = attempts + 1, updated_at = %s WHERE id = {target} "
                "AND status = 'queued' RETURNING *), "
                f"event AS (INSERT INTO {EVENT_TABLE} (message_id, status, at, detail, data) "
                "SELECT id, 'sending', %s, 'Attempt ' || attempts, %s FROM claimed) "
                f"SELECT {columns}, m.id, c.id FROM claimed m "
                f"LEFT JOIN {CHANNEL_TABLE} c ON c.id = m.channel_id",
                [now, *target_args, now, empty_event_data()],
            )
            row = cursor.fetchone()
            if row is None:
                cursor.execute(
                    f"SELECT status FROM {MESSAGE_TABLE} WHERE id = %s",  # noqa: S608
                    [_pk(message_id)],
                )
                found = cursor.fetchone()
                return None, f"already {found[0]}" if found else "missing"
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            target = _pk(message_id)
            if in_turn:
                cursor.execute(
                    f"SELECT t.id FROM {MESSAGE_TABLE} t WHERE t.status = 'queued' "  # noqa: S608
                    f"AND t.sender = (SELECT sender FROM {MESSAGE_TABLE} WHERE id = %s) "
                    "ORDER BY t.due_at, t.created_at LIMIT 1",
                    [target],
                )
                earliest = cursor.fetchone()
                target = earliest[0] if earliest else target
            cursor.execute(
                f"UPDATE {MESSAGE_TABLE} SET status = %s, attempts = attempts + 1, "  # noqa: S608
                "updated_at = %s WHERE id = %s AND status = %s",
                ["sending", now, target, "queued"],
            )
            claimed = cursor.rowcount == 1
            cursor.execute(
                f"SELECT {columns}, m.id, c.id, m.status "  # noqa: S608
                f"FROM {MESSAGE_TABLE} m LEFT JOIN {CHANNEL_TABLE} c ON c.id = m.channel_id "
                "WHERE m.id = %s",
                [target],
            )
            row = cursor.fetchone()
            if row is None:
                return None, "missing"
            if not claimed:
                return None, f"already {row[-1]}"
            row = row[:-1]
            _record_event(cursor, row[-2], "sending", f"Attempt {row[mine.index('attempts')]}")
    message = dict(zip(mine, row[: len(mine)], strict=True))
    channel = dict(zip(theirs, row[len(mine) : -2], strict=True))
    has_channel = row[-1] is not None
    claimed_id = Message._meta.pk.to_python(row[-2])
    return ClaimedMessage(
        id=claimed_id, **message, channel=ChannelRef(**channel) if has_channel else None
    ), ""
