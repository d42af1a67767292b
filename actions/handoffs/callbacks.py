"""POST /webhooks/twilio/transfer/<log id>: how a live transfer ended, from Twilio.

The redirect's <Dial> (or <Refer>) names this URL as its `action`: when the dial ends, Twilio
posts DialCallStatus (ReferCallStatus for a REFER) and DialCallDuration, signed with the auth
token of the account that redirected the call (channels/credentials.py `for_agent`). The
outcome, how long the transfer rang and how long the bridged call lasted go on the log entry;
a missing or wrong signature is 403 and changes nothing. The TwiML answered continues the
caller's leg: after a bridged call, hang up; after a transfer that failed with an outcome the
chain's first handoff moves on from (`fallback_on`), its next open fallback — one new log entry
per step, linked to the first — and when none is left, never silence: back to the agent's
return URL with the reason, or its unavailable message and hang up.
"""

import logging
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.voice_response import Gather, Hangup, Say, VoiceResponse

from actions.channels import credentials
from actions.handoffs import redirect, sip, warm
from actions.messaging.webhooks import signed
from actions.models import HandoffLog, HandoffOutcome, SipMethod, TransferOutcome

logger = logging.getLogger(__name__)

# Twilio's DialCallStatus / ReferCallStatus -> the transfer's outcome.
STATUSES = {value: value for value in TransferOutcome.values}
ANSWERED = {TransferOutcome.ANSWERED, TransferOutcome.COMPLETED}
WHISPER_SECONDS = 8  # how long the whisper waits for the key press
NOBODY = "Sorry, nobody could take your call right now. Please try again later. Goodbye."


def _seconds(text) -> int | None:
    try:
        value = int(text)
    except (TypeError, ValueError):
        return None
    return value if 0 <= value < 10**7 else None


def _signed_entry(request, log_id: int) -> HandoffLog | None:
    """The log entry a Twilio callback is about, if its signature is the redirecting
    account's; None (answer 403) otherwise."""
    log = HandoffLog.objects.select_related("agent", "handoff").filter(pk=log_id).first()
    account = credentials.for_agent(log.agent) if log is not None else None
    if log is None or account is None or not signed(request, account[1]):
        logger.warning("Twilio call callback refused: unknown entry or bad signature")
        return None
    return log


def _twiml(response: VoiceResponse) -> HttpResponse:
    return HttpResponse(str(response), content_type="text/xml")


@csrf_exempt
@login_not_required
@require_POST
def twilio_whisper(request, log_id: int):
    """A warm transfer's whisper, on the answering person's leg before the caller is put
    through: the agent's summary, then "press 1 to accept"; no key or another key declines."""
    log = _signed_entry(request, log_id)
    if log is None:
        return HttpResponseForbidden("Invalid Twilio signature.")
    answer_url = redirect.whisper_url(log.pk) + "/answer"
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=answer_url, timeout=WHISPER_SECONDS)
    gather.say(
        f"A call transferred by the voice agent. {warm.summary_of(log.summary, log.reason)} "
        "Press 1 to accept the call, or any other key to decline it."
    )
    response.append(gather)
    response.redirect(answer_url)  # no key pressed: declined
    return _twiml(response)


@csrf_exempt
@login_not_required
@require_POST
def twilio_whisper_answer(request, log_id: int):
    log = _signed_entry(request, log_id)
    if log is None:
        return HttpResponseForbidden("Invalid Twilio signature.")
    response = VoiceResponse()
    if request.POST.get("Digits") == "1":
        return _twiml(response)  # accepted: the TwiML ends and Twilio bridges the caller
    HandoffLog.objects.filter(pk=log.pk).update(whisper_declined=True)
    response.append(Hangup())  # declined: the dial ends, reported as declined
    return _twiml(response)


@csrf_exempt
@login_not_required
@require_POST
def twilio_transfer(request, log_id: int):
    log = _signed_entry(request, log_id)
    if log is None:
        return HttpResponseForbidden("Invalid Twilio signature.")
    raw = request.POST.get("DialCallStatus") or request.POST.get("ReferCallStatus") or ""
    outcome = STATUSES.get(raw.strip().lower())
    if outcome is None:
        return HttpResponse(status=400, content=f"Unknown call status {raw[:40]!r}.")
    if log.whisper_declined:
        outcome = TransferOutcome.DECLINED  # the person answering declined at the whisper
    now = timezone.now()
    bridged = _seconds(request.POST.get("DialCallDuration")) if outcome in ANSWERED else 0
    since = int((now - log.updated_at).total_seconds())  # the redirect's end
    with transaction.atomic():
        # Claimed once: Twilio retrying the callback records nothing twice, and gets the
        # same answer (the step already made, if any).
        claimed = HandoffLog.objects.filter(pk=log.pk, transfer_outcome="").update(
            transfer_outcome=outcome,
            bridged_seconds=bridged,
            ring_seconds=max(0, since - (bridged or 0)),
            transfer_reported_at=now,
            updated_at=now,
        )
        twiml = _continue(log, outcome, claimed, request.POST)
    return HttpResponse(twiml, content_type="text/xml")


def _continue(log: HandoffLog, outcome: str, claimed: bool, posted) -> str:
    """The TwiML that continues the caller's leg: hang up after a bridged call; else the next
    fallback of the chain; when none is left, back to the agent, or a sentence and hang up."""
    response = VoiceResponse()
    if outcome in ANSWERED:
        response.append(Hangup())
        return str(response)
    first = log.chain_start or log
    step = log.chain_step + 1
    made = HandoffLog.objects.filter(chain_start=first, chain_step=step).first()
    if made is None and claimed:
        made = _next_step(first, step, outcome, posted)
    if made is not None:
        return made.twiml
    return back_to_agent(log.agent, outcome)


def back_to_agent(agent, outcome: str) -> str:
    """When no transfer is left: the agent's return URL with the reason, else its unavailable
    message (or NOBODY) and hang up — never silence."""
    response = VoiceResponse()
    if agent is not None and agent.return_url:
        reason = urlencode({"reason": f"transfer_failed:{outcome}"})
        separator = "&" if "?" in agent.return_url else "?"
        response.redirect(f"{agent.return_url}{separator}{reason}", method="POST")
        return str(response)
    response.append(Say((agent.unavailable_message if agent else "") or NOBODY))
    response.append(Hangup())
    return str(response)


def _next_step(first: HandoffLog, step: int, outcome: str, posted) -> HandoffLog | None:
    """The chain's next fallback that is open, logged as its step; None when none is left
    or the outcome does not move the call on."""
    handoff = first.handoff
    if handoff is None or outcome not in (handoff.fallback_on or []):
        return None
    fallbacks = handoff.fallback_handoffs()
    taken = step - 1  # fallbacks already tried or skipped
    for index, fallback in enumerate(fallbacks[taken:], start=taken):
        if fallback.method == SipMethod.BYE or not fallback.opening().open:
            continue
        entry = HandoffLog.objects.create(
            handoff=fallback,
            handoff_name=fallback.name,
            agent=first.agent,
            agent_name=first.agent_name,
            environment=first.environment,
            source="fallback",
            conversation_id=first.conversation_id,
            call_sid=first.call_sid,
            reason=first.reason,
            summary=first.summary,
            variables=first.variables,
            instruction=sip.instruction(fallback),
            outcome=HandoffOutcome.REDIRECTED,
            outcome_detail=f"Fallback {index + 1} of {first.handoff_name}, after {outcome}.",
            chain_start=first,
            chain_step=index + 1,
        )
        entry.twiml = redirect.redirect_twiml(
            fallback, posted.get("From", ""), posted.get("To", ""), entry
        )
        entry.save(update_fields=["twiml", "updated_at"])
        return entry
    return None
