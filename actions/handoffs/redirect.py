"""What the live-call redirect sends Twilio, and what the log says of it."""

from django.conf import settings
from django.urls import reverse

from actions.handoffs import sip, warm
from actions.models import (
    Handoff,
    SipMethod,
)

NO_CREDENTIALS = (
    "The live call was not redirected: no Twilio credentials are configured. Give one of the "
    "agent's Twilio channels an Account SID and auth token, or set TWILIO_ACCOUNT_SID and "
    "TWILIO_AUTH_TOKEN."
)


def is_sip_leg(call_from: str, call_to: str) -> bool:
    return any(a.lower().startswith(("sip:", "sips:")) for a in (call_from, call_to))


def redirect_twiml(handoff: Handoff, call_from: str, call_to: str, log) -> str:
    """The TwiML for this call: a refer is a SIP REFER on a SIP leg, a <Dial> on a phone leg;
    Twilio reports how the transfer ended to the log entry's callback (handoffs/callbacks.py).
    A warm transfer adds the agent's summary as a SIP header and, on a <Number>, the whisper
    the person answering hears first; its caller ID and digits apply to any dial."""
    settings_ = handoff.transfer or {}
    extra = warm_header(handoff, log)
    number_options = {}
    if extra and settings_.get("whisper"):
        number_options["url"] = whisper_url(log.pk)
    if settings_.get("send_digits"):
        number_options["send_digits"] = settings_["send_digits"]
    return sip.twiml(
        handoff,
        sip_leg=is_sip_leg(call_from, call_to),
        action=transfer_callback_url(log.pk),
        extra_headers=extra,
        log=log,
        caller_id=_caller_id(settings_, call_from, log),
        number_options=number_options,
    )


def warm_header(handoff: Handoff, log) -> list[dict]:
    """A warm transfer's summary header ([] for a cold one, or with nothing to say)."""
    settings_ = handoff.transfer or {}
    if not warm.is_warm(settings_):
        return []
    summary = warm.summary_of(log.summary, log.reason)
    if not summary:
        return []
    return [{"key": settings_.get("summary_header") or warm.DEFAULT_HEADER, "value": summary}]


def _caller_id(settings_: dict, call_from: str, log) -> str:
    """The number the person answering sees: the caller's, or the agent's sending number."""
    choice = settings_.get("caller_id", "")
    if choice == "caller" and call_from.startswith("+"):
        return call_from
    if choice == "channel" and log.agent is not None:
        for action in log.agent.actions.filter(channel__provider="twilio").select_related(
            "channel"
        ):
            sender = action.channel.sender_for(log.environment or "live")
            if sender.startswith("+"):
                return sender
    return ""


def whisper_url(log_id: int) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('twilio_whisper', args=[log_id])}"


def transfer_callback_url(log_id: int) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('twilio_transfer', args=[log_id])}"


def redirected_detail(handoff: Handoff, call_from: str, call_to: str) -> str:
    """Which TwiML form redirected the call, and why, for the log."""
    if handoff.method == SipMethod.BYE:
        return "Call ended with <Hangup/>."
    if handoff.method == SipMethod.INVITE:
        return f"Call redirected with <Dial><Sip> to {sip.sip_uri(handoff)}."
    if is_sip_leg(call_from, call_to):
        return f"Call redirected with <Refer><Sip> to {sip.sip_uri(handoff)} (a SIP leg)."
    return (
        f"Call redirected with <Dial><Number> to {handoff.phone_number}: the call is a phone "
        "leg, where Twilio cannot send a SIP REFER."
    )
