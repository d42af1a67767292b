"""Moving a message's status with one conditional UPDATE, and a timeline event per move.

This is the send path's hot loop (every message moves three or four times), so the
statements are written once as SQL rather than built by the ORM for every call: the ORM
spends more time compiling these few statements than the database spends running them
(bench/worker_bench.py). On PostgreSQL each step is a single statement (the UPDATE and the
event INSERT joined in a data-modifying WITH), one round trip instead of four or five.
"""

import contextlib
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from actions.models import Message, MessageEvent, MessagingChannel, OptOut
from actions.models.channel import resolve_credentials
from actions.models.message import STATUS_RANK

_MESSAGE = Message._meta.db_table
_EVENT = MessageEvent._meta.db_table
_CHANNEL = MessagingChannel._meta.db_table
_UPDATABLE = {
    "attempts",
    "provider_sid",
    "provider_status",
    "error_code",
    "error_message",
}


def _pk(message_id):
    return Message._meta.pk.get_db_prep_value(message_id, connection)


def _now():
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _empty_json():
    return MessageEvent._meta.get_field("data").get_db_prep_value({}, connection)


def _record_event(cursor, message_id, status: str, detail: str) -> None:
    cursor.execute(
        f"INSERT INTO {_EVENT} (message_id, status, at, detail, data) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s)",
        [_pk(message_id), status, _now(), detail, _empty_json()],
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
    assignments = "".join(f", {name} = %s" for name in names)
    placeholders = ", ".join(["%s"] * len(allowed_from))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH moved AS (UPDATE {_MESSAGE} SET status = %s, updated_at = %s{assignments} "  # noqa: S608
                f"WHERE id = %s AND status IN ({placeholders}) RETURNING id) "
                f"INSERT INTO {_EVENT} (message_id, status, at, detail, data) "
                "SELECT id, %s, %s, %s, %s FROM moved",
                [
                    status,
                    _now(),
                    *(fields[n] for n in names),
                    _pk(message_id),
                    *allowed_from,
                    status,
                    _now(),
                    detail,
                    _empty_json(),
                ],
            )
            return cursor.rowcount == 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_MESSAGE} SET status = %s, updated_at = %s{assignments} "  # noqa: S608
            f"WHERE id = %s AND status IN ({placeholders})",
            [status, _now(), *(fields[n] for n in names), _pk(message_id), *allowed_from],
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
    """What sending needs of a channel: its provider and credentials."""

    provider: str
    account_sid: str
    auth_token_encrypted: str

    def credentials(self) -> tuple[str, str]:
        return resolve_credentials(self.account_sid, self.auth_token_encrypted)


@dataclass(frozen=True)
class ClaimedMessage:
    """A message this caller has taken for sending."""

    id: object
    attempts: int
    to: str
    sender: str
    body: str
    provider: str
    channel: ChannelRef | None


def claim(message_id) -> tuple[ClaimedMessage | None, str]:
    """Take a queued message for sending (queued -> sending, one more attempt).

    Returns (the message, "") when this caller won it, or (None, why not) when another task
    already did, or it is gone. Committed before the caller sends.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH claimed AS (UPDATE {_MESSAGE} SET status = 'sending', "  # noqa: S608
                "attempts = attempts + 1, updated_at = %s WHERE id = %s AND status = 'queued' "
                'RETURNING id, attempts, "to", sender, body, provider, channel_id), '
                f"event AS (INSERT INTO {_EVENT} (message_id, status, at, detail, data) "
                "SELECT id, 'sending', %s, 'Attempt ' || attempts, %s FROM claimed) "
                "SELECT 'sending', m.attempts, m.\"to\", m.sender, m.body, m.provider, "
                "c.provider, c.account_sid, c.auth_token_encrypted "
                f"FROM claimed m LEFT JOIN {_CHANNEL} c ON c.id = m.channel_id",
                [_now(), _pk(message_id), _now(), _empty_json()],
            )
            row = cursor.fetchone()
            if row is None:
                cursor.execute(f"SELECT status FROM {_MESSAGE} WHERE id = %s", [_pk(message_id)])  # noqa: S608
                found = cursor.fetchone()
                return None, f"already {found[0]}" if found else "missing"
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_MESSAGE} SET status = %s, attempts = attempts + 1, "  # noqa: S608
                "updated_at = %s WHERE id = %s AND status = %s",
                ["sending", _now(), _pk(message_id), "queued"],
            )
            claimed = cursor.rowcount == 1
            cursor.execute(
                f'SELECT m.status, m.attempts, m."to", m.sender, m.body, m.provider, '  # noqa: S608
                "c.provider, c.account_sid, c.auth_token_encrypted "
                f"FROM {_MESSAGE} m LEFT JOIN {_CHANNEL} c ON c.id = m.channel_id "
                "WHERE m.id = %s",
                [_pk(message_id)],
            )
            row = cursor.fetchone()
            if row is None:
                return None, "missing"
            if not claimed:
                return None, f"already {row[0]}"
            _record_event(cursor, message_id, "sending", f"Attempt {row[1]}")
    channel = ChannelRef(*row[6:9]) if row[6] is not None else None
    return ClaimedMessage(message_id, *row[1:6], channel=channel), ""


def create_queued(message: Message, detail: str) -> bool:
    """Write a new message and its first timeline event (`queued`) together, or neither.

    Nothing is written, and False returned, when the recipient has opted out of the sender:
    the check and the insert are one statement, so an opt-out that lands in between cannot
    slip through. Raises IntegrityError when the message breaks a constraint (a reused
    idempotency key).
    """
    if connection.vendor != "postgresql":
        with transaction.atomic():
            if OptOut.blocks(message.to, message.sender):
                return False
            message.save(force_insert=True)
            MessageEvent.objects.create(message=message, status="queued", detail=detail)
        message._state.adding = False
        return True
    fields = Message._meta.concrete_fields
    values = [f.get_db_prep_save(f.pre_save(message, add=True), connection) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # One statement is atomic by itself; inside a caller's transaction a savepoint keeps a
    # constraint violation from spoiling that transaction.
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    with guard, connection.cursor() as cursor:
        cursor.execute(
            f"WITH m AS (INSERT INTO {_MESSAGE} ({columns}) SELECT {placeholders} "  # noqa: S608
            f"WHERE NOT EXISTS ({OptOut.BLOCKS_SQL}) RETURNING id) "
            f"INSERT INTO {_EVENT} (message_id, status, at, detail, data) "
            "SELECT id, 'queued', %s, %s, %s FROM m",
            [*values, message.to, message.sender, _now(), detail, _empty_json()],
        )
        if cursor.rowcount == 0:
            return False
    message._state.adding = False
    message._state.db = connection.alias
    return True
