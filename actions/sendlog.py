"""The send log's list: search, keyset (cursor) pagination and number masking; and one
message's page: its timeline, and resending it.

Pages are cut with a cursor on (created_at, id), newest first, never with OFFSET: a page deep
into a million rows costs what the first does, and messages arriving while someone pages
neither repeat nor skip rows.
"""

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.timezone import localdate

from actions.models import Message, MessageStatus, OptOut
from actions.status import create_queued
from actions.tasks import enqueue_send
from actions.validation import normalise_e164

PAGE_SIZE = 50
UNMASKED_PERMISSION = "actions.view_unmasked_numbers"


def can_see_numbers(user) -> bool:
    return user.has_perm(UNMASKED_PERMISSION)


class BadCursor(ValueError):
    pass


def encode_cursor(created_at: datetime, message_id) -> str:
    raw = f"{created_at.isoformat()}|{message_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, message_id = raw.partition("|")
        created_at = datetime.fromisoformat(at)
        if created_at.tzinfo is None:
            raise ValueError("naive")
        return created_at, uuid.UUID(message_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("This page link is damaged: showing the newest messages.") from None


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    first: bool


def older_than(messages: QuerySet, created_at: datetime, message_id) -> QuerySet:
    """The messages after (created_at, id) in the newest-first order: older, or as old with a
    smaller id.

    "created_at <= …" is the bound the index starts from; without it PostgreSQL reads the OR
    as a filter and walks every newer row first (bench/sendlog_bench.py).
    """
    return messages.filter(
        Q(created_at__lt=created_at) | Q(id__lt=message_id), created_at__lte=created_at
    )


def page(messages: QuerySet, cursor: str = "", size: int | None = None) -> Page:
    """One page, newest first, after the cursor; one row more is read to know if more follow."""
    size = size or PAGE_SIZE
    messages = messages.order_by("-created_at", "-id")
    if cursor:
        messages = older_than(messages, *decode_cursor(cursor))
    rows = list(messages[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
    return Page(rows=rows, next_cursor=next_cursor, first=not cursor)


def search(messages: QuerySet, text: str) -> QuerySet:
    """An exact phone number (any format with its country code), provider SID or conversation.

    Raises ValidationError when the text looks like a number but cannot be one.
    """
    text = text.strip()
    if text[:2] in ("SM", "MM") and len(text) == 34:
        return messages.filter(provider_sid=text)
    digits = sum(ch.isdigit() for ch in text)
    looks_like_number = digits >= 6 and all(ch.isdigit() or ch in " +-().·/" for ch in text)
    if looks_like_number:
        if not text.startswith("+") and not text.startswith("00"):
            raise ValidationError(
                "Type the number with its country code, e.g. +44 7700 900123, to search for it."
            )
        number = normalise_e164("+" + text[2:] if text.startswith("00") else text)
        return messages.filter(to=number)
    return messages.filter(conversation_id=text)


# --- One message: its timeline, what a user may see of it, and resending it ----------------

RESENDABLE = {MessageStatus.FAILED, MessageStatus.UNDELIVERED}
_ATTEMPT = re.compile(r"Attempt (\d+)")
_RETRY = re.compile(r"Retrying in ([0-9.]+)s: (.*)", re.DOTALL)


def duration(delta: timedelta) -> str:
    """A short, readable length of time: 120 ms, 4.2 s, 3 min 5 s, 2 h 5 min, 3 d 4 h."""
    seconds = max(delta.total_seconds(), 0)
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    if whole < 86400:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    return f"{whole // 86400} d {whole % 86400 // 3600} h"


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
            since_previous=duration(event.at - previous) if previous else "",
            since_queued=duration(event.at - start),
        )
        sending = _ATTEMPT.fullmatch(event.detail)
        retry = _RETRY.fullmatch(event.detail)
        if event.status == MessageStatus.SENDING and sending:
            attempt = step.attempt = int(sending.group(1))
        elif event.status == MessageStatus.QUEUED and retry:
            step.is_retry = True
            step.attempt = attempt
            step.retry_in = duration(timedelta(seconds=float(retry.group(1))))
            step.reason = shown(retry.group(2))
        steps.append(step)
        previous = event.at
    return steps


def pretty_json(value, message: Message, unmasked: bool) -> str:
    """Parameters or variables as received, indented; numbers in them masked unless `unmasked`."""
    return json.dumps(value if unmasked else message.masked(value), indent=2, ensure_ascii=False)


class ResendRefused(Exception):
    """The message cannot be resent; the text says why."""


def resend_refusal(message: Message) -> str:
    """Why the message cannot be resent, or "" when it can."""
    if message.status not in RESENDABLE:
        return f"Only failed or undelivered messages can be resent; this one is {message.status}."
    if message.redacted_at:
        return (
            "Its body and parameters were removed by the retention policy on "
            f"{localdate(message.redacted_at):%Y-%m-%d}, so there is nothing to resend."
        )
    if message.channel_id is None:
        return "Its channel was deleted, so there is nothing to send it through."
    if OptOut.blocks(message.to, message.sender):
        return "The recipient has opted out of text messages from this sender."
    pending = message.resends.exclude(status__in=RESENDABLE).order_by("created_at").first()
    if pending is not None:
        return f"It was already resent, and that message is {pending.status}."
    return ""


def resend(message: Message, by: str = "") -> Message:
    """Queue a new message repeating a failed or undelivered one; it points back at it.

    Raises ResendRefused, writing nothing, when the message cannot be resent (see
    resend_refusal); the original is locked meanwhile, so two resends at once make one.
    """
    with transaction.atomic():
        original = Message.objects.select_for_update().get(pk=message.pk)
        refusal = resend_refusal(original)
        if refusal:
            raise ResendRefused(refusal)
        copy = Message(
            resent_from=original,
            **{name: getattr(original, name) for name in RESENT_FIELDS},
        )
        detail = f"Resend of message {original.pk}" + (f" by {by}" if by else "")
        if not create_queued(copy, detail):
            raise ResendRefused("The recipient has opted out of text messages from this sender.")
        enqueue_send(copy)
    return copy


# What a resend repeats; its status, provider SID, errors and attempts start afresh.
RESENT_FIELDS = (
    "action_id",
    "channel_id",
    "agent_id",
    "action_name",
    "channel_name",
    "agent_name",
    "is_test",
    "environment",
    "conversation_id",
    "to",
    "sender",
    "body",
    "parameters",
    "variables",
    "provider",
)
