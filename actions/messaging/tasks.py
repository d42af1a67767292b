"""The send path's tasks: send one message, leave none stranded, redact old ones."""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from actions.channels.senders import describe_rate
from actions.common import broker, retry
from actions.messaging import retention, throttle
from actions.messaging.providers import provider_for
from actions.messaging.providers.base import (
    OutgoingSms,
    PermanentProviderError,
    TransientProviderError,
    UncertainProviderError,
)
from actions.messaging.status import advance, claim, move
from actions.models import (
    Message,
    MessageStatus,
    MessagingChannel,
    OptOut,
    OptOutSource,
    Provider,
)

logger = logging.getLogger(__name__)

# Twilio: "Attempt to send to unsubscribed recipient" (the number replied STOP to the sender).
UNSUBSCRIBED = "21610"
# The provider's "too fast": Twilio's 20429 (HTTP 429) at the API; 30022 (US A2P 10DLC rate
# limit exceeded) in a delivery report.
TOO_FAST = {"20429", "30022"}

# Providers that reach carriers, whose senders send in turn (messaging/throttle.py). The
# console provider sends nothing anywhere.
THROTTLED = {Provider.TWILIO}
# A turn this close is taken now; a longer wait is recorded on the message's timeline.
TURN_NOW = 0.002
WAIT_SHOWN = 1.0


def status_callback_url(message_id) -> str:
    # The message id in the URL finds the message even when the report arrives before the
    # worker has stored the provider's SID.
    return f"{settings.PUBLIC_BASE_URL}/webhooks/twilio/status?message={message_id}"


# What a sender's rate is read from (MessagingChannel.rate_for).
RATE_READS = [
    f"channel__{f}" for f in (*MessagingChannel.SENDER_FIELDS, *MessagingChannel.RATE_FIELDS)
]


@dataclass(frozen=True)
class Turn:
    """Whether a task may send now. `sender`/`rate` are set for a throttled sender."""

    go: bool
    sender: str = ""
    rate: float = 0.0
    token: str = ""  # the send's place in the sender's window (throttle.gate / throttle.done)
    why: str = ""


def waiting_detail(rate: float, wait: float) -> str:
    return (
        f"Waiting for its sender's turn: the sender sends {describe_rate(rate)}; due in {wait:.1f}s"
    )


def take_turn(message_id: str, reserved: bool) -> Turn:
    """The sender's turn for this task (messaging/throttle.py).

    Not `reserved` (a task published without one, or published again by the reconciliation):
    reserve the next turn, and when it is not now, record the wait on the message (due then,
    so the reconciliation leaves it be) and publish the task again for that moment, holding
    no worker while it waits. At the turn: the gate, which may move the send a moment on.
    """
    found = (
        Message.objects.filter(pk=message_id)
        .select_related("channel")
        .only("status", "sender", "environment", "channel__provider", *RATE_READS)
        .first()
    )
    if found is None or found.channel is None:
        return Turn(go=True)
    sender, environment, channel = found.sender, found.environment, found.channel
    if channel.provider not in THROTTLED:
        return Turn(go=True)
    # A task whose message another task took (in turn, messaging/status.py claim) sends the
    # next message in line instead: that one's own task was the one that took this message.
    if (
        found.status != MessageStatus.QUEUED
        and not Message.objects.filter(sender=sender, status=MessageStatus.QUEUED).exists()
    ):
        return Turn(go=True)  # nothing of the sender's waits: the claim says why not
    rate = channel.rate_for(environment)
    if not reserved:
        wait = throttle.reserve(sender, rate)
        if wait is None:
            # No turn without Redis: left queued, due now; the reconciliation publishes it again.
            return Turn(go=False, why="waiting: no turn without Redis")
        if wait > TURN_NOW:
            if wait >= WAIT_SHOWN:
                due = timezone.now() + timedelta(seconds=wait)
                move(
                    message_id,
                    [MessageStatus.QUEUED],
                    MessageStatus.QUEUED,
                    waiting_detail(rate, wait),
                    due_at=due,
                )
            broker.publish(send_message, message_id, True, countdown=wait)
            return Turn(go=False, why="waiting for its turn")
    token = uuid.uuid4().hex
    wait = throttle.gate(sender, rate, token)
    if wait is None:
        return Turn(go=False, why="waiting: no turn without Redis")
    if wait > 0:
        broker.publish(send_message, message_id, True, countdown=wait)
        return Turn(go=False, why="waiting for the sender's window")
    return Turn(go=True, sender=sender, rate=rate, token=token)


@shared_task(bind=True, name="actions.send_message", max_retries=None)
def send_message(self, message_id: str, reserved: bool = False) -> str:
    """Send one queued message through its channel's provider, exactly once, in its sender's
    turn.

    Claiming the message (queued -> sending) is one conditional UPDATE committed before
    the provider is called: a redelivered or duplicated task finds it claimed and does
    nothing, so no message is sent twice. `reserved`: the task was published for a turn
    already reserved (messaging/outbox.py, or take_turn itself).
    """
    turn = take_turn(message_id, reserved)
    if not turn.go:
        return turn.why
    try:
        return _send(self, message_id, turn)
    finally:
        _done(turn)  # at the latest; sending marks it done as soon as the provider answers


def _done(turn: Turn) -> None:
    if turn.sender:
        throttle.done(turn.sender, turn.token)


def _send(task, message_id: str, turn: Turn) -> str:
    message, why_not = claim(message_id, in_turn=bool(turn.sender))
    if message is None:
        if why_not == "missing":
            logger.warning("send_message: message %s does not exist", message_id)
        return why_not
    attempt = message.attempts

    sms = OutgoingSms(
        to=message.to,
        sender=message.sender,
        body=message.body,
        status_callback=(
            status_callback_url(message.id) if message.provider == Provider.TWILIO else ""
        ),
    )
    try:
        if message.channel is None:
            raise PermanentProviderError("The message's channel was deleted before sending.")
        try:
            result = provider_for(message.channel).send(sms)
        finally:
            _done(turn)
    except UncertainProviderError as exc:
        unconfirm(message.id, MessageStatus.SENDING, "Its answer was lost", exc)
        return "unconfirmed"
    except TransientProviderError as exc:
        if turn.sender and (exc.status == 429 or exc.code in TOO_FAST):
            throttle.slow_down(turn.sender, turn.rate)
        decision = retry.after_failure(attempt, _with_code(exc))
        if isinstance(decision, retry.GiveUp):
            return _fail(message, decision.detail, exc)
        due = timezone.now() + timedelta(seconds=decision.delay)
        move(message.id, [MessageStatus.SENDING], MessageStatus.QUEUED, decision.detail, due_at=due)
        # The message claimed (in turn, perhaps not the task's own): a new turn when it is due.
        raise task.retry(args=(str(message.id),), kwargs={}, countdown=decision.delay) from None
    except PermanentProviderError as exc:
        _fail(message, exc.message, exc)
        if exc.code == UNSUBSCRIBED:
            # Twilio knows the number opted out (a STOP we never saw): remember it, so the
            # next invoke answers opted_out (with the fallback) instead of failing here again.
            OptOut.objects.get_or_create(
                number=message.to, sender=message.sender, defaults={"source": OptOutSource.PROVIDER}
            )
        return "failed"

    # Forward only: the provider's delivery report may already have arrived.
    advance(
        message.id,
        MessageStatus.SENT,
        f"Accepted by {message.provider}",
        provider_sid=result.sid,
        provider_status=result.status,
    )
    if result.status == MessageStatus.DELIVERED:
        advance(message.id, MessageStatus.DELIVERED, f"Reported delivered by {message.provider}")
    return "sent"


def unconfirm(message_id, status: str, why: str, exc: Exception | None = None) -> bool:
    """`status` -> unconfirmed: the provider may have the message. Asks it in
    SEND_CONFIRM_AFTER_SECONDS, when an answer it was still working on has surely landed."""
    wait = settings.SEND_CONFIRM_AFTER_SECONDS
    reason = f"{why}: {exc.message}" if exc is not None else why
    detail = f"{reason}. Asking the provider whether it has it before sending it again."
    due = timezone.now() + timedelta(seconds=wait)
    if not move(message_id, [status], MessageStatus.UNCONFIRMED, detail, due_at=due):
        return False
    broker.publish(confirm_message, str(message_id), countdown=wait)
    return True


# Twilio's clock and ours may differ a little; a message created this long before the attempt
# began is surely not the attempt's.
CLOCK_SKEW = timedelta(minutes=2)


@shared_task(bind=True, name="actions.confirm_message", max_retries=None)
def confirm_message(self, message_id: str) -> str:
    """Settle an unconfirmed message by asking its provider whether it has it.

    Found (same recipient, sender and body, created since the attempt began, and not the SID
    of another of our messages): it was accepted, and is recorded as sent with its SID. Not
    found: the provider certainly has no such message, so it is queued to be sent again. The
    question itself is retried by the one retry policy when the provider cannot be asked.
    """
    message = Message.objects.select_related("channel").filter(pk=message_id).first()
    if message is None or message.status != MessageStatus.UNCONFIRMED:
        return f"already {message.status}" if message else "missing"
    provider = provider_for(message.channel) if message.channel else None
    if not hasattr(provider, "find"):
        move(
            message.id,
            [MessageStatus.UNCONFIRMED],
            MessageStatus.FAILED,
            "The provider cannot be asked whether it has the message; not sent again, so that "
            "it cannot be sent twice.",
            error_code="unconfirmed",
            error_message="Whether the provider accepted the message is not known.",
        )
        return "failed"
    attempt_began = (
        message.events.filter(status=MessageStatus.SENDING).order_by("-at").values_list("at")[:1]
    )
    since = (attempt_began[0][0] if attempt_began else message.created_at) - CLOCK_SKEW
    sms = OutgoingSms(to=message.to, sender=message.sender, body=message.body)
    try:
        found = provider.find(sms, since)
    except TransientProviderError as exc:
        decision = retry.after_failure(self.request.retries + 1, exc.message)
        if isinstance(decision, retry.GiveUp):
            move(
                message.id,
                [MessageStatus.UNCONFIRMED],
                MessageStatus.FAILED,
                f"The provider could not be asked whether it has the message. {decision.detail}",
                error_code="unconfirmed",
                error_message="Whether the provider accepted the message is not known.",
            )
            return "failed"
        Message.objects.filter(pk=message.pk, status=MessageStatus.UNCONFIRMED).update(
            due_at=timezone.now() + timedelta(seconds=decision.delay)
        )
        raise self.retry(countdown=decision.delay) from None
    taken = set(
        Message.objects.filter(provider_sid__in=[f.sid for f in found]).values_list(
            "provider_sid", flat=True
        )
    )
    ours = [f for f in found if f.sid not in taken]
    if ours:
        accepted = ours[-1]  # the oldest: the attempt's own
        advance(
            message.id,
            MessageStatus.SENT,
            f"Found at {message.provider}: it was accepted, though its answer was lost",
            provider_sid=accepted.sid,
            provider_status=accepted.status,
        )
        return "sent"
    move(
        message.id,
        [MessageStatus.UNCONFIRMED],
        MessageStatus.QUEUED,
        f"Not at {message.provider}: it never arrived, so it is sent again",
        due_at=timezone.now(),
    )
    broker.publish(send_message, str(message.id))
    return "queued"


def _with_code(exc) -> str:
    """A retried failure's reason, as the timeline and the status panel show it: Twilio's words
    and its error number, to look up ("… Service Unavailable (Twilio error 20503)")."""
    code = exc.code or ""
    if code.isdigit() and code not in exc.message:
        return f"{exc.message} (Twilio error {code})"
    return exc.message


def _fail(message, detail: str, exc: PermanentProviderError | TransientProviderError) -> str:
    """sending -> failed, with the provider's code and text."""
    move(
        message.id,
        [MessageStatus.SENDING],
        MessageStatus.FAILED,
        detail,
        error_code=exc.code,
        error_message=exc.message,
    )
    return "failed"


# A queued message is taken within milliseconds of being due when its task reached a worker;
# one still queued this long after it was due lost its task (or never published it). The same
# for an unconfirmed message whose question to the provider was due.
STALE_QUEUED = timedelta(seconds=10)
# No send takes longer than the provider's timeout (TWILIO_TIMEOUT_SECONDS, 10): one still
# sending after twice that lost its worker during the provider call.
STALE_SENDING = timedelta(seconds=20)
RECONCILE_BATCH = 500


@shared_task(name="actions.reconcile_messages")
def reconcile_messages() -> dict:
    """Leave no message stranded (run every 5 seconds by Celery beat).

    - queued and due for over 10 seconds (its task was lost: the broker was down when it was
      published, or wiped, or a worker died holding it prefetched): queue it again, and mark it
      due now, so the next run waits another 10 seconds before queueing it once more; the
      claim in send_message makes a duplicate task harmless;
    - unconfirmed and due for over 10 seconds: ask the provider again (confirm_message);
    - sending for longer than a send can take (a worker died during the provider call): the
      provider may have it, so it becomes unconfirmed and the provider is asked — never sent
      a second time blindly.
    """
    now = timezone.now()
    stale_due = now - STALE_QUEUED
    requeued = _publish_stale(MessageStatus.QUEUED, stale_due, send_message, now)
    asked = _publish_stale(MessageStatus.UNCONFIRMED, stale_due, confirm_message, now)
    stuck = Message.objects.filter(
        status=MessageStatus.SENDING, updated_at__lt=now - STALE_SENDING
    ).values_list("pk", flat=True)[:RECONCILE_BATCH]
    interrupted = 0
    for message_id in stuck:
        interrupted += unconfirm(
            message_id,
            MessageStatus.SENDING,
            "Interrupted while sending: the worker stopped during the provider call",
        )
    return {"requeued": requeued, "asked": asked, "interrupted": interrupted}


def _publish_stale(status: str, due_before, task, now) -> int:
    """Publish `task` again for messages in `status` due before `due_before`; mark them due now."""
    rows = Message.objects.filter(status=status)
    stale = list(rows.filter(due_at__lt=due_before).values_list("pk", flat=True)[:RECONCILE_BATCH])
    rows.filter(pk__in=stale).update(due_at=now)
    return sum(broker.publish(task, str(message_id)) for message_id in stale)


@shared_task(name="actions.redact_old_messages")
def redact_old_messages() -> int:
    """Remove the body, parameters and variables of messages past MESSAGE_RETENTION_DAYS
    (run every hour by Celery beat). See actions/retention.py for what is kept.

    A run stops starting batches after half the soft time limit; a backlog (retention just
    turned on) is worked off over the following runs, or at once with `manage.py
    redact_messages`.
    """
    days = settings.MESSAGE_RETENTION_DAYS
    if days == 0:
        return 0
    redacted = retention.redact_old_messages(max_seconds=settings.CELERY_TASK_SOFT_TIME_LIMIT / 2)
    # Counts only: never a number or a body in the log.
    logger.info("Retention: redacted %d message(s) older than %d days", redacted, days)
    return redacted
