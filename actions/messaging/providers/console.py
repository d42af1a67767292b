"""The development provider: writes the message to the worker log and marks it delivered.

The text goes to the log only with DEBUG on (`make run`): a deployment's logs never hold a
message's text; the send log shows it to those who may read it.
"""

import logging
import uuid

from django.conf import settings

from actions.messaging.providers.base import OutgoingSms, SendResult

logger = logging.getLogger("switchboard.console_sms")


class ConsoleProvider:
    name = "console"

    def send(self, sms: OutgoingSms) -> SendResult:
        """Log the message (recipient masked) and report it delivered at once."""
        sid = f"CON{uuid.uuid4().hex}"
        text = f":\n{sms.body}" if settings.DEBUG else "; its text is in the send log"
        logger.info("SMS %s (%d characters)%s", sid, len(sms.body), text)
        return SendResult(sid=sid, status="delivered")
