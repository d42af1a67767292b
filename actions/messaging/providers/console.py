"""The development provider: writes the message to the worker log and marks it delivered."""

import logging
import uuid

from actions.messaging.providers.base import OutgoingSms, SendResult

logger = logging.getLogger("switchboard.console_sms")


class ConsoleProvider:
    name = "console"

    def send(self, sms: OutgoingSms) -> SendResult:
        """Log the message (recipient masked) and report it delivered at once."""
        sid = f"CON{uuid.uuid4().hex}"
        logger.info(
            "SMS %s from %s to %s…%s (%d characters):\n%s",
            sid,
            sms.sender,
            sms.to[:3],
            sms.to[-2:],
            len(sms.body),
            sms.body,
        )
        return SendResult(sid=sid, status="delivered")
