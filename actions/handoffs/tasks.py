"""The live-call redirect, done by the worker, and the reconciliation that leaves no
redirect pending for ever."""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from actions.channels import credentials
from actions.common import retry
from actions.handoffs import redirect
from actions.messaging.providers import twilio
from actions.messaging.providers.base import PermanentProviderError, TransientProviderError
from actions.models import HandoffLog, HandoffOutcome

logger = logging.getLogger(__name__)

# A pending redirect is touched by every attempt (a retry records its wait); one untouched for
# longer than the longest backoff and a Twilio request together lost its task.
STALE_PENDING = timedelta(seconds=retry.BACKOFF_MAX_SECONDS * 2)
RECONCILE_BATCH = 500
LOST = (
    "The live call was not redirected: the task that redirects it was lost (the broker or a "
    "worker stopped). Not retried now: the caller has most likely left the call."
)


@shared_task(bind=True, name="actions.redirect_call", max_retries=None)
def redirect_call(self, log_id: int) -> str:
    """Redirect the live call of a pending handoff with the handoff's TwiML, through Twilio.

    The call is fetched first: a refer becomes <Refer> on a SIP leg and <Dial><Number> on a
    phone leg. Transient failures are retried as sends are (common/retry.py); Twilio's
    refusals (20404 unknown call, 21220 call not in progress…) fail the log with Twilio's code
    and message. The outcome only ever moves on from "pending", so a task delivered again
    after the outcome is recorded changes nothing.
    """
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
    account = credentials.for_agent(log.agent)
    if account is None:
        return _finish(log_id, HandoffOutcome.FAILED, redirect.NO_CREDENTIALS)
    attempt = self.request.retries + 1
    try:
        result = twilio.redirect_call(
            *account,
            log.call_sid,
            lambda call_from, call_to: redirect.redirect_twiml(handoff, call_from, call_to),
        )
    except TransientProviderError as exc:
        decision = retry.after_failure(attempt, exc.message)
        if isinstance(decision, retry.GiveUp):
            return _finish(log_id, HandoffOutcome.FAILED, decision.detail)
        HandoffLog.objects.filter(pk=log_id, outcome=HandoffOutcome.PENDING).update(
            outcome_detail=f"Attempt {attempt} failed. {decision.detail}",
            updated_at=timezone.now(),
        )
        raise self.retry(countdown=decision.delay) from None
    except PermanentProviderError as exc:
        detail = f"Twilio error {exc.code}: {exc.message}" if exc.code else exc.message
        return _finish(log_id, HandoffOutcome.FAILED, detail)
    detail = redirect.redirected_detail(handoff, result.call_from, result.call_to)
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


@shared_task(name="actions.reconcile_redirects")
def reconcile_redirects() -> int:
    """Fail, with a reason, each redirect left pending by a lost task (run every minute by
    Celery beat), as reconcile_messages does for sends; returns how many.

    Failed rather than queued again: a live call waits seconds, not minutes, so a transfer
    attempted this late would most likely reach a caller who has hung up.
    """
    cutoff = timezone.now() - STALE_PENDING
    stale = HandoffLog.objects.filter(outcome=HandoffOutcome.PENDING, updated_at__lt=cutoff)
    ids = list(stale.values_list("pk", flat=True)[:RECONCILE_BATCH])
    # The same conditions again in the UPDATE: a redirect that finished meanwhile keeps its
    # outcome.
    return stale.filter(pk__in=ids).update(
        outcome=HandoffOutcome.FAILED, outcome_detail=LOST, updated_at=timezone.now()
    )
