"""Twilio webhooks: delivery status callbacks and inbound replies (STOP / START).

Every request must carry a valid X-Twilio-Signature for the auth token of the channel it
concerns, computed over PUBLIC_BASE_URL + the request path; anything else is 403 and
changes nothing.
"""

import logging
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import Q
from django.http import HttpResponse, HttpResponseForbidden
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from actions.channels import credentials
from actions.common.validation import country_of
from actions.messaging import keywords, status, throttle
from actions.messaging.tasks import THROTTLED, TOO_FAST
from actions.models import Message, MessageStatus, MessagingChannel, OptOut, OptOutSource

logger = logging.getLogger(__name__)

# Twilio's MessageStatus -> ours; the others (queued, accepted, sending…) change nothing.
TWILIO_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
}
STOP_CONFIRMATION = (
    "You have been unsubscribed and will receive no more messages from this number. Reply "
    "START to subscribe again."
)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def signed(request, auth_token: str) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not (signature and auth_token):
        return False
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    return RequestValidator(auth_token).validate(url, request.POST.dict(), signature)


def find_message(request) -> Message | None:
    message_id = request.GET.get("message", "")
    try:
        uuid.UUID(message_id)
    except ValueError:
        sid = request.POST.get("MessageSid", "")
        return (
            Message.objects.select_related("channel").filter(provider_sid=sid).first()
            if sid
            else None
        )
    return Message.objects.select_related("channel").filter(pk=message_id).first()


@csrf_exempt
@login_not_required
@require_POST
def twilio_status(request):
    message = find_message(request)
    channel = message.channel if message else None
    if not signed(request, credentials.webhook_token(channel)):
        return HttpResponseForbidden("Invalid or missing X-Twilio-Signature.")
    if message is None:
        return HttpResponse(status=204)  # not ours (or deleted): acknowledged, nothing to do
    twilio_status = request.POST.get("MessageStatus", "")
    ours = TWILIO_STATUSES.get(twilio_status)
    if ours is None:
        return HttpResponse(status=204)
    fields = {"provider_status": twilio_status}
    sid = request.POST.get("MessageSid", "")
    if sid and not message.provider_sid:
        fields["provider_sid"] = sid
    code = request.POST.get("ErrorCode", "")
    detail = f"Twilio reported {twilio_status}"
    if code:
        fields["error_code"] = code
        fields["error_message"] = request.POST.get("ErrorMessage", "") or f"Twilio error {code}"
        detail += f" (error {code})"
        if code in TOO_FAST and channel is not None and channel.provider in THROTTLED:
            # The carrier filtered the message for the sender's rate: slow the sender down.
            throttle.slow_down(message.sender, channel.rate_for(message.environment))
    status.advance(message.pk, ours, detail, **fields)
    return HttpResponse(status=204)


@csrf_exempt
@login_not_required
@require_POST
def twilio_inbound(request):
    """STOP-family keywords opt the sender out of this sender; START-family opt back in."""
    ours = request.POST.get("To", "")
    # A reply to a Messaging Service's number names the service: its sends go out as "MG…",
    # so the opt-out is the service's too, and its channel's token signs the request.
    service = request.POST.get("MessagingServiceSid", "").strip()
    addresses = [a for a in (ours, service) if a]
    channel = (
        MessagingChannel.objects.filter(
            Q(sender__in=addresses)
            | Q(sender_sandbox__in=addresses)
            | Q(sender_pre_release__in=addresses)
            | Q(sender_live__in=addresses)
        ).first()
        if addresses
        else None
    )
    if not signed(request, credentials.webhook_token(channel)):
        return HttpResponseForbidden("Invalid or missing X-Twilio-Signature.")
    number = request.POST.get("From", "")
    countries = sorted({country_of(s) for s in _senders(channel)} - {None}) if channel else []
    kind = keywords.read(request.POST.get("Body", ""), countries)
    reply = ""
    if number and kind == keywords.STOP:
        for sender in addresses:
            OptOut.objects.get_or_create(
                number=number, sender=sender, defaults={"source": OptOutSource.INBOUND}
            )
        if channel is not None and channel.stop_confirmation:
            reply = STOP_CONFIRMATION
    elif number and kind == keywords.START:
        # Only the opt-out a STOP made: an admin's opt-out (manual, or for every sender)
        # is not the caller's to lift.
        OptOut.objects.filter(
            number=number, sender__in=addresses, source=OptOutSource.INBOUND
        ).delete()
    elif number and kind == keywords.HELP and channel is not None:
        reply = channel.help_reply()
    if not reply:
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")
    response = MessagingResponse()
    response.message(reply)  # the reply goes back from the number the text came to
    return HttpResponse(str(response), content_type="text/xml")


def _senders(channel) -> list[str]:
    return [getattr(channel, f) for f in MessagingChannel.SENDER_FIELDS if getattr(channel, f)]


urlpatterns = [
    path("twilio/status", twilio_status, name="twilio_status"),
    path("twilio/inbound", twilio_inbound, name="twilio_inbound"),
]
