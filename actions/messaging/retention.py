"""Retention: removing the content of old messages, keeping the record that they were sent.

After MESSAGE_RETENTION_DAYS a message's body, parameters and variables (what the caller
said and was sent: personal data) are blanked and `redacted_at` is set. What stays is the
record a reviewer or an audit needs: recipient, sender, action, agent, environment,
conversation id, status, provider SID and status, error code and text, attempts, times, and
the MessageEvent timeline.

The timeline is kept as it is: its `detail` is written only by the send path (invoked by
whom, attempt numbers, retry delays, the provider's error text) and `data` is always empty.
Neither ever holds the body, parameters or variables. A provider's error text can repeat the
recipient's number, but that number is kept on the message itself as metadata, so blanking it
in the timeline would remove nothing.

`updated_at` is left alone (QuerySet.update() does not touch auto_now fields): the send log
reads a delivered message's `updated_at` as its delivery time.
"""

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from actions.models import Message, MessageStatus

# Messages still on their way (queued, sending) keep their body: the worker reads it when it
# claims a queued message, so blanking it would send an empty text. They do not stay there:
# reconcile_messages, run by the same beat as this, sends a queued message again or fails a
# stuck send within minutes, and the next run removes the body once the message has ended.
# "sent" is redacted: the provider already has the text, and a late delivery report only
# touches the status fields.
REDACTABLE = [
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.UNDELIVERED,
    MessageStatus.FAILED,
]


def cutoff_for(now: datetime, days: int) -> datetime | None:
    """Messages created before this are due; None when nothing can be that old."""
    try:
        return now - timedelta(days=days)
    except OverflowError:
        return None


def due(cutoff: datetime):
    """Messages created before the cutoff whose content is still there, newest first.

    The order is that of the `message_log_order` index (created_at, id descending): the
    database walks the index back from the cutoff and stops once it has a batch.
    """
    return Message.objects.filter(
        created_at__lt=cutoff, redacted_at__isnull=True, status__in=REDACTABLE
    ).order_by("-created_at", "-id")


def count_due(now: datetime | None = None, days: int | None = None) -> int:
    """How many messages a run would redact now (for a dry run)."""
    days = settings.MESSAGE_RETENTION_DAYS if days is None else days
    cutoff = cutoff_for(now or timezone.now(), days) if days > 0 else None
    return due(cutoff).count() if cutoff else 0


def redact_old_messages(
    now: datetime | None = None,
    batch_size: int | None = None,
    days: int | None = None,
    max_seconds: float | None = None,
) -> int:
    """Blank the body, parameters and variables of messages older than the retention period.

    `days` defaults to MESSAGE_RETENTION_DAYS (0: keep forever, nothing is done) and
    `batch_size` to MESSAGE_RETENTION_BATCH. Each batch is a SELECT of up to `batch_size` ids
    and one UPDATE of those ids, each its own statement (autocommit), so no row stays locked
    longer than one UPDATE of one batch and the send path waits at most that long. The
    UPDATE checks again that a message is not redacted and not on its way, so runs that
    overlap each other or a status change never redact twice nor touch a message in flight.
    With `max_seconds`, no new batch starts after that long; the next run carries on.
    Returns how many messages were redacted.
    """
    now = now or timezone.now()
    days = settings.MESSAGE_RETENTION_DAYS if days is None else days
    batch_size = batch_size or settings.MESSAGE_RETENTION_BATCH
    cutoff = cutoff_for(now, days) if days > 0 else None
    if cutoff is None:
        return 0
    started = time.monotonic()
    redacted = 0
    rows = due(cutoff)
    while True:
        batch = list(rows.values_list("created_at", "pk")[:batch_size])
        if not batch:
            break
        ids = [pk for _, pk in batch]
        redacted += Message.objects.filter(
            pk__in=ids, redacted_at__isnull=True, status__in=REDACTABLE
        ).update(body="", parameters={}, variables={}, redacted_at=now)
        if len(batch) < batch_size:
            break
        # The next batch starts where this one ended, not at the cutoff again: the walk
        # would otherwise pass over every message this run has redacted so far, batch
        # after batch. Only messages sharing the last one's created_at are looked at twice.
        rows = due(cutoff).filter(created_at__lte=batch[-1][0])
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            break
    return redacted
