"""SMS providers: one `send()` each, transient and permanent failures told apart by type
(see base.py); `provider_for` picks a channel's."""

from actions.channels import credentials
from actions.messaging.providers import console, twilio


def provider_for(channel):
    """The provider that sends for a channel (a MessagingChannel or the send path's ChannelRef)."""
    if channel.provider == "console":
        return console.ConsoleProvider()
    account_sid, auth_token = credentials.for_channel(channel)
    return twilio.TwilioProvider(account_sid, auth_token)
