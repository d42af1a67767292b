"""The send log's list: search, keyset (cursor) pagination, and who may see numbers.

Pages are cut with a cursor on (created_at, id), newest first, never with OFFSET: a page deep
into a million rows costs what the first does, and messages arriving while someone pages
neither repeat nor skip rows.
"""

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from actions.common import pages
from actions.common.validation import looks_like_phone_number, normalise_e164

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
    size = size or pages.PAGE_SIZE
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
    if looks_like_phone_number(text):
        # The one reading of a typed number, the channel form's: what it refuses, this refuses.
        return messages.filter(to=normalise_e164(text))
    return messages.filter(conversation_id=text)


# Test messages (Try it, the channel's test message) beside the agents' own.
TESTS_CHOICES = [
    ("", "Agents and tests"),
    ("exclude", "Agents' messages only"),
    ("only", "Tests only"),
]


def only_tests(messages, tests: str):
    """The messages of the origin chosen: "exclude" the tests, "only" the tests, or all."""
    if tests == "exclude":
        return messages.filter(is_test=False)
    if tests == "only":
        return messages.filter(is_test=True)
    return messages
