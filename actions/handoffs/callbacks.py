"""POST /webhooks/twilio/transfer/<log id>: how a live transfer ended, from Twilio.

The redirect's <Dial> (or <Refer>) names this URL as its `action`: when the dial ends, Twilio
posts DialCallStatus (ReferCallStatus for a REFER) and DialCallDuration, signed with the auth
token of the account that redirected the call (channels/credentials.py `for_agent`). The
outcome, how long the transfer rang and how long the bridged call lasted go on the log entry;
a missing or wrong signature is 403 and changes nothing. The TwiML answered continues the
caller's leg: after a bridged call, hang up; after a transfer that failed, never silence — a
sentence, then hang up.
"""

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.voice_response import Hangup, Say, VoiceResponse

from actions.channels import credentials
from actions.messaging.webhooks import signed
from actions.models import HandoffLog, TransferOutcome

logger = logging.getLogger(__name__)

# Twilio's DialCallStatus / ReferCallStatus -> the transfer's outcome.
STATUSES = {value: value for value in TransferOutcome.values}
ANSWERED = {TransferOutcome.ANSWERED, TransferOutcome.COMPLETED}
NOBODY = "Sorry, nobody could take your call right now. Please try again later. Goodbye."


def _seconds(text) -> int | None:
    try:
        value = int(text)
    except (TypeError, ValueError):
        return None
    return value if 0 <= value < 10**7 else None


@csrf_exempt
@login_not_required
@require_POST
def twilio_transfer(request, log_id: int):
    log = HandoffLog.objects.select_related("agent").filter(pk=log_id).first()
    account = credentials.for_agent(log.agent) if log is not None else None
    if log is None or account is None or not signed(request, account[1]):
        logger.warning("Transfer callback refused: unknown entry or bad signature")
        return HttpResponseForbidden("Invalid Twilio signature.")
    raw = request.POST.get("DialCallStatus") or request.POST.get("ReferCallStatus") or ""
    outcome = STATUSES.get(raw.strip().lower())
    if outcome is None:
        return HttpResponse(status=400, content=f"Unknown call status {raw[:40]!r}.")
    now = timezone.now()
    bridged = _seconds(request.POST.get("DialCallDuration")) if outcome in ANSWERED else 0
    since = int((now - log.updated_at).total_seconds())  # the redirect's end
    # Claimed once: Twilio retrying the callback records nothing twice.
    HandoffLog.objects.filter(pk=log.pk, transfer_outcome="").update(
        transfer_outcome=outcome,
        bridged_seconds=bridged,
        ring_seconds=max(0, since - (bridged or 0)),
        transfer_reported_at=now,
        updated_at=now,
    )
    response = VoiceResponse()
    if outcome not in ANSWERED:
        response.append(Say(NOBODY))
    response.append(Hangup())
    return HttpResponse(str(response), content_type="text/xml")
