"""The live-call redirect, done by the worker, and the reconciliation that leaves no
redirect waiting for ever.

A redirect moves pending -> redirecting (its claim: one conditional UPDATE, committed before
Twilio is called, so two tasks for one handoff never both redirect the call) -> redirected or
failed; a transient failure moves it back to pending until its next attempt is due.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from actions.channels import credentials
from actions.common import broker, retry
from actions.handoffs import redirect
from actions.messaging.providers import twilio
from actions.messaging.providers.base import (
    PermanentProviderError,
    TransientProviderError,
    UncertainProviderError,
)
from actions.models import HandoffLog, HandoffOutcome

logger = logging.getLogger(__name__)

PENDING, REDIRECTING = HandoffOutcome.PENDING, HandoffOutcome.REDIRECTING
# Pending and due for this long: its task was lost (or never reached the broker): queue it again.
STALE_PENDING = timedelta(seconds=10)
# Older than this, a redirect still waiting is given up: the caller has most likely left.
GIVE_UP_AFTER = timedelta(minutes=3)
# Redirecting for this long: the worker died during the Twilio request.
STALE_REDIRECTING = timedelta(minutes=2)
RECONCILE_BATCH = 500
LOST = (
    "The live call was not redirected: its task could not be run in time (the broker or the "
    "workers were down). Not retried now: the caller has most likely left the call."
)
UNCERTAIN = (
    "Twilio did not answer the redirect, which may have reached it: whether the call was "
    "redirected is not known; check the call in Twilio's console. Not retried, so that the "
    "call cannot be redirected twice"
)
INTERRUPTED = (
    "Interrupted while redirecting: the worker stopped during the request to Twilio, so "
    "whether the call was redirected is not known; check the call in Twilio's console. Not "
    "retried, so that the call cannot be redirected twice."
)


@shared_task(bind=True, name="actions.redirect_call", max_retries=None)
def redirect_call(self, log_id: int) -> str:
    """Redirect the live call of a pending handoff with the handoff's TwiML, through Twilio.

    The call is fetched first: a refer becomes <Refer> on a SIP leg and <Dial><Number> on a
    phone leg. Transient failures are retried as sends are (common/retry.py); Twilio's
    refusals (20404 unknown call, 21220 call not in progress…) fail the log with Twilio's code
    and message. Only the task that claims the entry acts, so a task delivered twice changes
    nothing.
    """
    claimed = HandoffLog.objects.filter(pk=log_id, outcome=PENDING).update(
        outcome=REDIRECTING, updated_at=timezone.now()
    )
    log = HandoffLog.objects.select_related("handoff", "agent").filter(pk=log_id).first()
    if log is None:
        logger.warning("redirect_call: handoff log %s does not exist", log_id)
        return "missing"
    if not claimed:
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
            lambda call_from, call_to: redirect.redirect_twiml(handoff, call_from, call_to, log),
        )
    except UncertainProviderError as exc:
        # The update may have reached Twilio: a second one would transfer the caller twice.
        return _finish(log_id, HandoffOutcome.FAILED, f"{UNCERTAIN} ({exc.message})")
    except TransientProviderError as exc:
        decision = retry.after_failure(attempt, exc.message)
        if isinstance(decision, retry.GiveUp):
            return _finish(log_id, HandoffOutcome.FAILED, decision.detail)
        now = timezone.now()
        HandoffLog.objects.filter(pk=log_id, outcome=REDIRECTING).update(
            outcome=PENDING,
            outcome_detail=f"Attempt {attempt} failed. {decision.detail}",
            due_at=now + timedelta(seconds=decision.delay),
            updated_at=now,
        )
        raise self.retry(countdown=decision.delay) from None
    except PermanentProviderError as exc:
        detail = f"Twilio error {exc.code}: {exc.message}" if exc.code else exc.message
        return _finish(log_id, HandoffOutcome.FAILED, detail)
    detail = redirect.redirected_detail(handoff, result.call_from, result.call_to)
    return _finish(log_id, HandoffOutcome.REDIRECTED, detail)


def _finish(log_id: int, outcome: str, detail: str) -> str:
    """Record the outcome of the redirect this task claimed; the outcome as the task's result."""
    HandoffLog.objects.filter(pk=log_id, outcome=REDIRECTING).update(
        outcome=outcome, outcome_detail=detail, updated_at=timezone.now()
    )
    return str(outcome)


def enqueue_redirect(log: HandoffLog) -> None:
    """Queue the live-call redirect once the transaction that wrote the log has committed.

    A broker that cannot take it leaves the log pending; the reconciliation queues it again."""
    log_id = log.pk
    transaction.on_commit(lambda: broker.publish(redirect_call, log_id))


@shared_task(name="actions.reconcile_redirects")
def reconcile_redirects() -> dict:
    """Leave no redirect waiting for ever (run every 5 seconds by Celery beat), as
    reconcile_messages does for sends:

    - pending and due for over 10 seconds (its task was lost): queued again, and marked due
      now so the next run waits before queueing it once more; the claim makes a duplicate
      harmless;
    - still pending 3 minutes after the handoff: failed with a reason — a redirect that late
      would most likely reach a caller who has hung up;
    - redirecting for over 2 minutes (a worker died during the Twilio request): failed, never
      attempted twice.
    """
    now = timezone.now()
    pending = HandoffLog.objects.filter(outcome=PENDING)
    lost = pending.filter(created_at__lt=now - GIVE_UP_AFTER).update(
        outcome=HandoffOutcome.FAILED, outcome_detail=LOST, updated_at=now
    )
    interrupted = HandoffLog.objects.filter(
        outcome=REDIRECTING, updated_at__lt=now - STALE_REDIRECTING
    ).update(outcome=HandoffOutcome.FAILED, outcome_detail=INTERRUPTED, updated_at=now)
    stale = list(
        pending.filter(due_at__lt=now - STALE_PENDING).values_list("pk", flat=True)[
            :RECONCILE_BATCH
        ]
    )
    pending.filter(pk__in=stale).update(due_at=now)
    requeued = sum(broker.publish(redirect_call, log_id) for log_id in stale)
    return {"requeued": requeued, "lost": lost, "interrupted": interrupted}
