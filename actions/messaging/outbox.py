"""The one message creator: every message (an agent's invoke, Try it, a channel's test
message, a resend) is written here, and nowhere else.

`create` holds the rules no caller may skip: the recipient's opt-out is checked in the same
statement as the insert, the message and its first timeline event (`queued`) are written
together or not at all, and the send is queued only once that write has committed.

Once the message is written, the caller's answer is "queued" whatever the broker does: a send
that cannot be published now (Redis down or unreachable) stays queued in the database, where
the reconciliation (messaging/tasks.py, every few seconds) publishes it when the broker is
back. The claim makes a task published twice harmless.
"""

import contextlib
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from actions.common import broker
from actions.messaging import throttle
from actions.messaging.status import EVENT_TABLE, MESSAGE_TABLE, db_now, empty_event_data
from actions.messaging.tasks import THROTTLED, TURN_NOW, WAIT_SHOWN, send_message, waiting_detail
from actions.models import ConsentRecord, Message, MessageEvent, OptOut


def create(message: Message, detail: str, consent: ConsentRecord | None = None) -> bool:
    """Write a new, unsaved message as `queued` with its first event; queue its send on commit.

    Returns False, writing nothing, when the recipient has opted out of the sender. Raises
    IntegrityError when the message breaks a constraint (a reused idempotency key). `detail`
    is the first event's text: who or what created the message. `consent`: the evidence of
    the caller's consent (an unsaved record), written with the message or not at all.
    """
    wait = _reserve_turn(message)
    if wait is not None and wait >= WAIT_SHOWN:
        rate = message.channel.rate_for(message.environment)
        detail = f"{detail.rstrip('.')}. {waiting_detail(rate, wait)}"
    with transaction.atomic() if consent else contextlib.nullcontext():
        if not _insert(message, detail):
            return False
        if consent:
            _record_consent(message, consent)
    message_id = str(message.pk)
    if wait is None:
        transaction.on_commit(lambda: broker.publish(send_message, message_id))
    else:
        countdown = wait if wait > TURN_NOW else None
        transaction.on_commit(
            lambda: broker.publish(send_message, message_id, True, countdown=countdown)
        )
    return True


def _record_consent(message: Message, consent: ConsentRecord) -> None:
    """The consent evidence, from the message it allowed."""
    consent.message = message
    consent.created_at = message.created_at
    consent.conversation_id = message.conversation_id
    consent.action_name = message.action_name
    consent.agent_name = message.agent_name
    consent.channel_name = message.channel_name
    consent.sender = message.sender
    consent.number = message.to
    consent.environment = message.environment
    consent.is_test = message.is_test
    consent.save(force_insert=True)


def _reserve_turn(message: Message) -> float | None:
    """Reserve the sender's next turn (messaging/throttle.py) for a throttled channel: the
    message is due then, and its task published for then. None: no turn reserved (not
    throttled, or Redis unreachable — the worker then reserves one)."""
    channel = message.channel
    if channel is None or channel.provider not in THROTTLED:
        return None
    wait = throttle.reserve(message.sender, channel.rate_for(message.environment))
    if wait is not None:
        message.due_at = timezone.now() + timedelta(seconds=wait)
    return wait


def _insert(message: Message, detail: str) -> bool:
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
            f"WITH m AS (INSERT INTO {MESSAGE_TABLE} ({columns}) SELECT {placeholders} "  # noqa: S608
            f"WHERE NOT EXISTS ({OptOut.BLOCKS_SQL}) RETURNING id) "
            f"INSERT INTO {EVENT_TABLE} (message_id, status, at, detail, data) "
            "SELECT id, 'queued', %s, %s, %s FROM m",
            [*values, message.to, message.sender, db_now(), detail, empty_event_data()],
        )
        if cursor.rowcount == 0:
            return False
    message._state.adding = False
    message._state.db = connection.alias
    return True
