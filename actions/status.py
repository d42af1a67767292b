"""Moving a message's status: forward only, one timeline event per change."""

from django.db import transaction

from actions.models import Message, MessageEvent
from actions.models.message import STATUS_RANK


def advance(message_id, status: str, detail: str = "", **fields) -> bool:
    """Move the message to `status` if that is forward; return whether it moved.

    Runs under a row lock, so a late or duplicated report never moves a status back (a
    late `sent` never overwrites `delivered`), and concurrent reports apply one at a time.
    `fields` (provider SID, error code…) are saved only when the status moves.
    """
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        if STATUS_RANK[status] <= STATUS_RANK[message.status]:
            return False
        message.status = status
        for name, value in fields.items():
            setattr(message, name, value)
        message.save(update_fields=["status", "updated_at", *fields])
        MessageEvent.objects.create(message=message, status=status, detail=detail)
    return True
