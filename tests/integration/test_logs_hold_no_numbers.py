"""Asking Twilio whether it has a message logs neither the number nor the text."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from actions.messaging.providers.base import OutgoingSms
from actions.messaging.providers.twilio import TwilioProvider

pytestmark = pytest.mark.integration


def test_a_provider_lookup_and_a_send_log_no_number_and_no_text(twilio, caplog):
    provider = TwilioProvider(twilio.account_sid, twilio.auth_token)
    sms = OutgoingSms(to="+15551234567", sender="+15005550006", body="Your secret code is 4821")

    with caplog.at_level(logging.DEBUG, logger="actions"):
        result = provider.send(sms)
        found = provider.find(sms, timezone.now() - timedelta(minutes=1))

    assert [m.sid for m in found] == [result.sid]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert any(r.path.endswith("/Messages.json") and r.query for r in twilio.requests)
    assert "5551234567" not in logged and "5005550006" not in logged
    assert "4821" not in logged
