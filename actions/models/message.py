import math
import uuid

from django.db import connection, models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from actions.messaging.provider_errors import explain
from actions.models.channel import Environment
from actions.sendlog.masking import mask_number, mask_numbers_in, region_of


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    # The provider did not answer after the request may have reached it (a read timeout, a
    # connection dropped mid-answer): sent or not is unknown until the worker asks the
    # provider. Never sent again before that answer is "not there".
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    UNDELIVERED = "undelivered", "Undelivered"
    FAILED = "failed", "Failed"


TERMINAL_STATUSES = {MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED}
# Statuses only move forward: a late "sent" never overwrites "delivered".
STATUS_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.UNCONFIRMED: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.UNDELIVERED: 3,
    MessageStatus.FAILED: 3,
}


class Message(models.Model):
    """One SMS: what was sent, to whom, from where, and where it is now (the send log)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of their own: the send log's (column, -created_at, -id) indexes below lead with
    # them and serve their lookups too; every index is one more write per status move.
    action = models.ForeignKey(
        "actions.SendTextAction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )
    channel = models.ForeignKey(
        "actions.MessagingChannel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )
    agent = models.ForeignKey(
        "actions.Agent", null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    # Names as they were at send time, so the log still reads after a rename or a delete.
    action_name = models.CharField(max_length=64, blank=True)
    channel_name = models.CharField(max_length=64, blank=True)
    agent_name = models.CharField(max_length=64, blank=True)
    is_test = models.BooleanField(
        default=False, help_text="Sent from the builder, not by an agent."
    )
    environment = models.CharField(max_length=16, blank=True)
    conversation_id = models.CharField(max_length=200, blank=True)
    to = models.CharField(max_length=20)
    sender = models.CharField(max_length=40)
    body = models.TextField()
    parameters = models.JSONField(default=dict, blank=True)
    variables = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    provider = models.CharField(max_length=16)
    provider_sid = models.CharField(max_length=64, blank=True)
    provider_status = models.CharField(max_length=32, blank=True)
    error_code = models.CharField(max_length=16, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A resend is a new message pointing at the one it repeats.
    resent_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends"
    )
    # Set when retention removed the body, parameters and variables (status and times stay).
    redacted_at = models.DateTimeField(null=True, blank=True)
    # The agent's Idempotency-Key header, and a hash of the request it came with.
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_hash = models.CharField(max_length=64, blank=True)
    # When the next attempt is due: now at creation, later while a retry waits out its backoff.
    # The reconciliation queues again a message still queued well after it was due (its task
    # was lost, or never reached the broker).
    due_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("view_unmasked_numbers", "Can see full phone numbers in the send log"),
            ("export_messages", "Can export the send log"),
            ("resend_message", "Can resend a failed message"),
        ]
        indexes = [
            # The send log: newest first, and the keyset cursor (created_at, id).
            models.Index(fields=["-created_at", "-id"], name="message_log_order"),
            # A filtered page, in the same order: without these, a filter whose messages are
            # all old (a retired action, agent or channel) walks every newer message first.
            models.Index(fields=["action", "-created_at", "-id"], name="message_log_action"),
            models.Index(fields=["agent", "-created_at", "-id"], name="message_log_agent"),
            models.Index(fields=["channel", "-created_at", "-id"], name="message_log_channel"),
            # Queued and sending are rare and recent: a page of them would otherwise read the
            # whole table to prove there are no more. Partial, so it stays a few rows small.
            models.Index(
                fields=["-created_at", "-id"],
                condition=models.Q(status__in=["queued", "sending", "unconfirmed"]),
                name="message_log_in_flight",
            ),
            # A sender's turn (messaging/status.py claim): its queued messages, earliest due
            # first. Partial, so it holds only what waits.
            models.Index(
                fields=["sender", "due_at", "created_at"],
                condition=models.Q(status="queued"),
                name="message_sender_turn",
            ),
            # The search box: a number, a provider SID or a conversation matches a handful.
            models.Index(fields=["to"], name="message_to"),
            models.Index(fields=["provider_sid"], name="message_provider_sid"),
            models.Index(fields=["conversation_id"], name="message_conversation"),
        ]
        constraints = [
            # Concurrent retries of one request create one message: the database decides.
            models.UniqueConstraint(
                fields=["agent", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="message_unique_idempotency_key_per_agent",
            )
        ]

    def __str__(self):
        return f"{self.action_name or 'test'} → {self.to_masked}"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def to_masked(self) -> str:
        return mask_number(self.to)

    @property
    def error_title(self) -> str:
        """A few plain words on the error code ("Landline or unreachable carrier")."""
        explanation = explain(self.error_code)
        return explanation.title if explanation and explanation.known else ""

    def masked(self, value):
        """A body, parameters or variables of this message with the numbers in it masked."""
        return mask_numbers_in(value, region_of(self.to))

    @property
    def waiting_seconds(self) -> int:
        """Whole seconds until a queued message is due (its sender's turn, or a retry's
        backoff); 0 when it is not waiting."""
        if self.status != MessageStatus.QUEUED or not self.due_at:
            return 0
        return max(0, math.ceil((self.due_at - timezone.now()).total_seconds()))

    @property
    def environment_label(self) -> str:
        try:
            return Environment(self.environment).label
        except ValueError:
            return self.environment


class MessageEvent(models.Model):
    """One step of a message's journey: its timeline."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=16, choices=MessageStatus.choices)
    at = models.DateTimeField(auto_now_add=True)
    detail = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.status} at {self.at:%Y-%m-%d %H:%M:%S}"


class OptOutSource(models.TextChoices):
    INBOUND = "inbound", "Replied STOP"
    MANUAL = "manual", "Added by an admin"
    PROVIDER = "provider", "Provider reported unsubscribed"


class OptOut(models.Model):
    """A number that asked not to be texted from a sender (or from any sender, when blank)."""

    number = models.CharField(max_length=20)
    sender = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=16, choices=OptOutSource.choices)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # The audit trail: who added or removed which opt-out, when, and why.
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["number", "sender"], name="optout_unique_number_sender")
        ]

    def __str__(self):
        return f"{mask_number(self.number)} from {self.sender or 'every sender'}"

    @classmethod
    def blocks(cls, number: str, sender: str) -> bool:
        """Whether the number opted out of this sender (or of every sender)."""
        with connection.cursor() as cursor:
            cursor.execute(cls.BLOCKS_SQL, [number, sender])
            return cursor.fetchone() is not None


# Checked on every invoke (inside the message INSERT on PostgreSQL), so written as SQL: the
# ORM took longer to build this query than the database took to answer it.
OptOut.BLOCKS_SQL = (
    f"SELECT 1 FROM {OptOut._meta.db_table} "  # noqa: S608
    "WHERE number = %s AND sender IN (%s, '') LIMIT 1"
)


class ConsentRecord(models.Model):
    """The evidence of one consented send: who agreed, to what words, when, for which sender.

    Written with its message (messaging/outbox.py), for actions that require consent; kept
    when the message's text is redacted or the message deleted — it is what a carrier asks for
    in an A2P 10DLC registration.
    """

    message = models.OneToOneField(
        Message, null=True, on_delete=models.SET_NULL, related_name="consent"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    conversation_id = models.CharField(max_length=200, blank=True)
    action_name = models.CharField(max_length=64)
    agent_name = models.CharField(max_length=64, blank=True)
    channel_name = models.CharField(max_length=64)
    sender = models.CharField(max_length=40)
    number = models.CharField(max_length=20, db_index=True)
    environment = models.CharField(max_length=16, blank=True)
    is_test = models.BooleanField(default=False)
    # The consent parameter as the agent reported it, and the words it was told to ask with.
    reported = models.JSONField()
    prompt = models.CharField(max_length=300)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Consent of {mask_number(self.number)} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def number_masked(self) -> str:
        return mask_number(self.number)
