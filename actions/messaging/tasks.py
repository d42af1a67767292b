"""The send path's tasks: send one message, leave none stranded, redact old ones."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from actions.common import broker, retry
from actions.messaging import retention
from actions.messaging.providers import provider_for
from actions.messaging.providers.base import (
    OutgoingSms,
    PermanentProviderError,
    TransientProviderError,
)
from actions.messaging.status import advance, claim, move
from actions.models import Message, MessageStatus, OptOut, OptOutSource, Provider

logger = logging.getLogger(__name__)

# Twilio: "Attempt to send to unsubscribed recipient" (the number replied STOP to the sender).
UNSUBSCRIBED = "21610"


def status_callback_url(message_id) -> str:
    # The message id in the URL finds the message even when the report arrives before the
    # worker has stored the provider's SID.
    return f"{settings.PUBLIC_BASE_URL}/webhooks/twilio/status?message={message_id}"


@shared_task(bind=True, name="actions.send_message", max_retries=None)
def send_message(self, message_id: str) -> str:
    """Send one queued message through its channel's provider, exactly once.

    Claiming the message (queued -> sending) is one conditional UPDATE committed before
    the provider is called: a redelivered or duplicated task finds it claimed and does
    nothing, so no message is sent twice.
    """
    message, why_not = claim(message_id)
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
        result = provider_for(message.channel).send(sms)
    except TransientProviderError as exc:
        decision = retry.after_failure(attempt, exc.message)
        if isinstance(decision, retry.GiveUp):
            return _fail(message, decision.detail, exc)
        due = timezone.now() + timedelta(seconds=decision.delay)
        move(message.id, [MessageStatus.SENDING], MessageStatus.QUEUED, decision.detail, due_at=due)
        raise self.retry(countdown=decision.delay) from None
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
# one still queued this long after it was due lost its task (or never published it).
STALE_QUEUED = timedelta(seconds=10)
STALE_SENDING = timedelta(minutes=10)
RECONCILE_BATCH = 500


@shared_task(name="actions.reconcile_messages")
def reconcile_messages() -> dict:
    """Leave no message stranded (run every 5 seconds by Celery beat).

    - queued and due for over 10 seconds (its task was lost: the broker was down when it was
      published, or wiped, or a worker died holding it prefetched): queue it again, and mark it
      due now, so the next run waits another 10 seconds before queueing it once more; the
      claim in send_message makes a duplicate task harmless.
    - sending for over 10 minutes (a worker died during the provider call): whether the
      provider accepted it cannot be known, so it is failed, never sent a second time.
    """
    now = timezone.now()
    queued = Message.objects.filter(status=MessageStatus.QUEUED)
    stale = list(
        queued.filter(due_at__lt=now - STALE_QUEUED).values_list("pk", flat=True)[:RECONCILE_BATCH]
    )
    queued.filter(pk__in=stale).update(due_at=now)
    requeued = 0
    for message_id in stale:
        requeued += broker.publish(send_message, str(message_id))
    interrupted = 0
    stuck = Message.objects.filter(
        status=MessageStatus.SENDING, updated_at__lt=now - STALE_SENDING
    ).values_list("pk", flat=True)[:RECONCILE_BATCH]
    for message_id in stuck:
        interrupted += advance(
            message_id,
            MessageStatus.FAILED,
            "Interrupted while sending: the worker stopped during the provider call. Not "
            "retried, so that it cannot be sent twice.",
            error_code="interrupted",
            error_message="The worker stopped while sending; check the provider's log.",
        )
    return {"requeued": requeued, "interrupted": interrupted}


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
