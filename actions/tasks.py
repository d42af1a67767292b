"""The worker's tasks, found here by Celery's autodiscovery; each lives with its domain.

Their names (`actions.send_message`, `actions.redirect_call`, …) are explicit, so moving a
task between modules never strands one already queued.
"""

from actions.handoffs.tasks import reconcile_redirects, redirect_call
from actions.messaging.tasks import reconcile_messages, redact_old_messages, send_message
from actions.ops.tasks import echo

__all__ = [
    "echo",
    "reconcile_messages",
    "reconcile_redirects",
    "redact_old_messages",
    "redirect_call",
    "send_message",
]
