"""Small helpers that create valid objects for tests."""

from actions.models import Handoff, MessagingChannel, SendTextAction

BOOKING_SCHEMA = {
    "type": "object",
    "properties": {
        "booking_reference": {"type": "string", "description": "The booking reference number"}
    },
    "required": ["booking_reference"],
}
BOOKING_MESSAGE = (
    "Hi, your booking is confirmed! Reference: {{ .parameters.booking_reference }}. "
    "Reply to this message if you need to make changes."
)


def make_channel(name="customer_notifications", provider="console", **fields) -> MessagingChannel:
    channel = MessagingChannel(name=name, provider=provider, sender="+15005550006", **fields)
    channel.full_clean()
    channel.save()
    return channel


def make_twilio_channel(emulator, name="customer_notifications", **fields) -> MessagingChannel:
    """A Twilio channel whose credentials the emulator accepts."""
    fields.setdefault("sender", "+15005550006")
    channel = MessagingChannel(
        name=name,
        provider="twilio",
        account_sid=emulator.account_sid,
        **fields,
    )
    channel.set_auth_token(emulator.auth_token)
    channel.full_clean()
    channel.save()
    return channel


def make_action(channel=None, name="send_booking_confirmation", **fields) -> SendTextAction:
    values = {
        "description": "Sends a booking confirmation SMS to the caller. Use after the caller "
        "has confirmed their booking details.",
        "parameters_schema": BOOKING_SCHEMA,
        "message_template": BOOKING_MESSAGE,
    }
    values.update(fields)
    action = SendTextAction(name=name, channel=channel or make_channel(), **values)
    action.full_clean()
    action.save()
    return action


# The handoffs of the PolyAI handoffs reference and its "SMS link with transfer fallback" recipe.
DOCUMENTED_HANDOFFS = {
    "agent_queue": {
        "description": "Transfer to live agent queue",
        "is_default": True,
        "method": "refer",
        "phone_number": "+441234567890",
    },
    "escalation_handoff": {
        "description": "Transfer to a live agent for complex issues",
        "method": "refer",
        "phone_number": "+15551234567",
        "sip_headers": [{"key": "X-Reason", "value": "escalation"}],
    },
    "end_call": {"description": "End the call gracefully", "method": "bye"},
}


def make_handoff(name="agent_queue", **fields) -> Handoff:
    values = dict(DOCUMENTED_HANDOFFS.get(name, DOCUMENTED_HANDOFFS["agent_queue"]))
    if name not in DOCUMENTED_HANDOFFS:
        values["is_default"] = False
    values.update(fields)
    handoff = Handoff(name=name, **values)
    handoff.full_clean()
    handoff.save()
    return handoff
