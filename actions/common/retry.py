"""The one retry policy of the worker's tasks: the SMS send and the live-call redirect.

After a transient failure a task asks `after_failure` what to do: try again after a backoff
with full jitter, or give up once SEND_MAX_ATTEMPTS attempts have failed. The words it
records ("Retrying in 1.2s: …", "Gave up after 5 attempts: …") are the ones the send log's
timeline reads back.
"""

import random
from dataclasses import dataclass

from django.conf import settings

BACKOFF_MAX_SECONDS = 300


@dataclass(frozen=True)
class Retry:
    """Try again after `delay` seconds; `detail` says so, and why."""

    delay: float
    detail: str


@dataclass(frozen=True)
class GiveUp:
    """Stop trying; `detail` says after how many attempts, and why."""

    detail: str


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: 0..min(max, base * 2**attempt) seconds."""
    ceiling = min(BACKOFF_MAX_SECONDS, settings.SEND_RETRY_BASE_SECONDS * 2**attempt)
    return random.uniform(0, ceiling)  # noqa: S311


def after_failure(attempt: int, reason: str) -> Retry | GiveUp:
    """What to do after attempt number `attempt` (counted from 1) failed for `reason`."""
    if attempt >= settings.SEND_MAX_ATTEMPTS:
        return GiveUp(f"Gave up after {attempt} attempts: {reason}")
    delay = backoff(attempt)
    return Retry(delay, f"Retrying in {delay:.1f}s: {reason}")
