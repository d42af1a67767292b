"""Celery tasks."""

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from actions import retention
from actions.models import (
    HandoffLog,
    HandoffOutcome,
    Message,
    MessageStatus,
    OptOut,
    OptOutSource,
)
from actions.providers import (
    OutgoingSms,
    PermanentProviderError,
    TransientProviderError,
    provider_for,
    twilio,
)
from actions.status import advance, claim, move

logger = logging.getLogger(__name__)

BACKOFF_MAX_SECONDS = 300
# Twilio: "Attempt to send to unsubscribed recipient" (the number replied STOP to the sender).
UNSUBSCRIBED = "21610"


@shared_task(name="actions.echo", ignore_result=False)
def echo(value):
    """Return the value it was given: proves the queue, a worker and results work end to end."""
    return value


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: 0..min(max, base * 2**attempt) seconds."""
    ceiling = min(BACKOFF_MAX_SECONDS, settings.SEND_RETRY_BASE_SECONDS * 2**attempt)
    return random.uniform(0, ceiling)  # noqa: S311


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
        status_callback=status_callback_url(message.id) if message.provider == "twilio" else "",
    )
    sending = [MessageStatus.SENDING]
    try:
        if message.channel is None:
            raise PermanentProviderError("The message's channel was deleted before sending.")
        result = provider_for(message.channel).send(sms)
    except TransientProviderError as exc:
        if attempt >= settings.SEND_MAX_ATTEMPTS:
            move(
                message.id,
                sending,
                MessageStatus.FAILED,
                f"Gave up after {attempt} attempts: {exc.message}",
                error_code=exc.code,
                error_message=exc.message,
            )
            return "failed"
        delay = backoff(attempt)
        detail = f"Retrying in {delay:.1f}s: {exc.message}"
        move(message.id, sending, MessageStatus.QUEUED, detail)
        raise self.retry(countdown=delay) from None
    except PermanentProviderError as exc:
        move(
            message.id,
            sending,
            MessageStatus.FAILED,
            exc.message,
            error_code=exc.code,
            error_message=exc.message,
        )
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


def enqueue_send(message: Message) -> None:
    """Queue the send once the transaction that wrote the message has committed."""
    message_id = str(message.pk)
    transaction.on_commit(lambda: send_message.delay(message_id))


@shared_task(bind=True, name="actions.redirect_call", max_retries=None)
def redirect_call(self, log_id: int) -> str:
    """Redirect the live call of a pending handoff with the handoff's TwiML, through Twilio.

    The call is fetched first: a refer becomes <Refer> on a SIP leg and <Dial><Number> on a
    phone leg. Transient failures are retried with backoff up to SEND_MAX_ATTEMPTS, as sends
    are; Twilio's refusals (20404 unknown call, 21220 call not in progress…) fail the log with
    Twilio's code and message. The outcome only ever moves on from "pending", so a task
    delivered again after the outcome is recorded changes nothing.
    """
    from actions import handoffs  # it imports this module

    log = HandoffLog.objects.select_related("handoff", "agent").filter(pk=log_id).first()
    if log is None:
        logger.warning("redirect_call: handoff log %s does not exist", log_id)
        return "missing"
    if log.outcome != HandoffOutcome.PENDING:
        return f"already {log.outcome}"
    handoff = log.handoff
    if handoff is None:
        return _finish(
            log_id, HandoffOutcome.FAILED, "The handoff was deleted before the call was redirected."
        )
    credentials = handoffs.twilio_credentials(log.agent)
    if credentials is None:
        return _finish(log_id, HandoffOutcome.FAILED, handoffs.NO_CREDENTIALS)
    attempt = self.request.retries + 1
    try:
        result = twilio.redirect_call(
            *credentials,
            log.call_sid,
            lambda call_from, call_to: handoffs.redirect_twiml(handoff, call_from, call_to),
        )
    except TransientProviderError as exc:
        if attempt >= settings.SEND_MAX_ATTEMPTS:
            detail = f"Gave up after {attempt} attempts: {exc.message}"
            return _finish(log_id, HandoffOutcome.FAILED, detail)
        delay = backoff(attempt)
        HandoffLog.objects.filter(pk=log_id, outcome=HandoffOutcome.PENDING).update(
            outcome_detail=f"Attempt {attempt} failed, retrying in {delay:.1f}s: {exc.message}",
            updated_at=timezone.now(),
        )
        raise self.retry(countdown=delay) from None
    except PermanentProviderError as exc:
        detail = f"Twilio error {exc.code}: {exc.message}" if exc.code else exc.message
        return _finish(log_id, HandoffOutcome.FAILED, detail)
    detail = handoffs.redirected_detail(handoff, result.call_from, result.call_to)
    return _finish(log_id, HandoffOutcome.REDIRECTED, detail)


def _finish(log_id: int, outcome: str, detail: str) -> str:
    """Record a redirect's outcome, if it is still pending; the outcome as the task's result."""
    HandoffLog.objects.filter(pk=log_id, outcome=HandoffOutcome.PENDING).update(
        outcome=outcome, outcome_detail=detail, updated_at=timezone.now()
    )
    return str(outcome)


def enqueue_redirect(log: HandoffLog) -> None:
    """Queue the live-call redirect once the transaction that wrote the log has committed."""
    log_id = log.pk
    transaction.on_commit(lambda: redirect_call.delay(log_id))


STALE_QUEUED = timedelta(minutes=5)
STALE_SENDING = timedelta(minutes=10)
RECONCILE_BATCH = 500


@shared_task(name="actions.reconcile_messages")
def reconcile_messages() -> dict:
    """Leave no message stranded (run every minute by Celery beat).

    - queued for over 5 minutes (its task was lost, e.g. the broker was wiped): queue it again;
      the row lock in send_message makes a duplicate task harmless.
    - sending for over 10 minutes (a worker died during the provider call): whether the
      provider accepted it cannot be known, so it is failed, never sent a second time.
    """
    now = timezone.now()
    requeued = 0
    stale = Message.objects.filter(
        status=MessageStatus.QUEUED, updated_at__lt=now - STALE_QUEUED
    ).values_list("pk", flat=True)[:RECONCILE_BATCH]
    for message_id in stale:
        send_message.delay(str(message_id))
        requeued += 1
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
