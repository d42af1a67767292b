"""What the live-call redirect sends Twilio, and what the log says of it."""

from django.conf import settings
from django.urls import reverse

from actions.handoffs import sip
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


def redirect_twiml(handoff: Handoff, call_from: str, call_to: str, log_id: int) -> str:
    """The TwiML for this call: a refer is a SIP REFER on a SIP leg, a <Dial> on a phone leg;
    Twilio reports how the transfer ended to the log entry's callback (handoffs/callbacks.py)."""
    return sip.twiml(
        handoff, sip_leg=is_sip_leg(call_from, call_to), action=transfer_callback_url(log_id)
    )


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
