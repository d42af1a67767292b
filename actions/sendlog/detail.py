"""One message's page: its timeline and what a user may see of it."""

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from actions.common.times import duration
from actions.models import Message, MessageStatus
from actions.sendlog.query import can_see_numbers

RESENDABLE = {MessageStatus.FAILED, MessageStatus.UNDELIVERED}


_ATTEMPT = re.compile(r"Attempt (\d+)")


_RETRY = re.compile(r"Retrying in ([0-9.]+)s: (.*)", re.DOTALL)


@dataclass
class Step:
    """One event of a message's timeline, as the detail page shows it."""

    status: str
    at: datetime
    detail: str
    since_previous: str  # "" for the first step
    since_queued: str
    attempt: int | None = None  # the attempt this step started, or (a retry) that failed
    is_retry: bool = False
    retry_in: str = ""
    reason: str = ""


def timeline(message: Message, unmasked: bool) -> list[Step]:
    """The message's events in order, with the time since the one before and since queued.

    A `queued` event written after a failed attempt is a retry: it carries the attempt that
    failed, the reason and the wait before the next one. Numbers in the details (a provider's
    error often quotes the recipient) are masked unless `unmasked`.
    """
    events = list(message.events.all())
    start = events[0].at if events else message.created_at
    shown = (lambda text: text) if unmasked else message.masked
    steps, previous, attempt = [], None, None
    for event in events:
        step = Step(
            status=event.status,
            at=event.at,
            detail=shown(event.detail),
            since_previous=duration(event.at - previous, fine=True) if previous else "",
            since_queued=duration(event.at - start, fine=True),
        )
        sending = _ATTEMPT.fullmatch(event.detail)
        retry = _RETRY.fullmatch(event.detail)
        if event.status == MessageStatus.SENDING and sending:
            attempt = step.attempt = int(sending.group(1))
        elif event.status == MessageStatus.QUEUED and retry:
            step.is_retry = True
            step.attempt = attempt
            step.retry_in = duration(timedelta(seconds=float(retry.group(1))), fine=True)
            step.reason = shown(retry.group(2))
        steps.append(step)
        previous = event.at
    return steps


def failed_attempts(message: Message, unmasked: bool) -> list[Step]:
    """The attempts that failed and were retried, one step each (attempt, reason, wait): what a
    status panel shows as it happens, rather than "waiting"."""
    return [step for step in timeline(message, unmasked) if step.is_retry]


def status_context(message: Message | None, user) -> dict:
    """What templates/_message_status.html shows of a message: its status and its retries."""
    if message is None:
        return {"message": None, "attempts": []}
    return {"message": message, "attempts": failed_attempts(message, can_see_numbers(user))}


def pretty_json(value, message: Message, unmasked: bool) -> str:
    """Parameters or variables as received, indented; numbers in them masked unless `unmasked`."""
    return json.dumps(value if unmasked else message.masked(value), indent=2, ensure_ascii=False)
