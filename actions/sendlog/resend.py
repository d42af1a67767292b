"""Resending a failed or undelivered message."""

from django.db import transaction
from django.utils.timezone import localdate

from actions.messaging import outbox
from actions.models import Message, OptOut
from actions.sendlog.detail import RESENDABLE


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
        if not outbox.create(copy, detail):
            raise ResendRefused("The recipient has opted out of text messages from this sender.")
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
