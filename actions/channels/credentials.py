"""The one place that answers credential questions: which Twilio account a channel, a
webhook or an agent's live-call redirect uses, why a channel cannot send, and the Retell API
key that verifies an agent's Retell requests.

A channel's own Account SID and auth token come first; what it lacks comes from the
deployment's TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN, so a deployment can keep credentials out
of the database. Nothing else reads those settings or decrypts a stored token.
"""

from django.conf import settings

from actions.channels.choices import Provider
from actions.common import crypto


def resolve(account_sid: str, auth_token_encrypted: str) -> tuple[str, str]:
    """(account SID, auth token): each the channel's own, else the environment's.

    Raises ValueError when the stored token cannot be decrypted with FIELD_ENCRYPTION_KEY.
    """
    token = crypto.decrypt(auth_token_encrypted) if auth_token_encrypted else ""
    return (account_sid or settings.TWILIO_ACCOUNT_SID, token or settings.TWILIO_AUTH_TOKEN)


def for_channel(channel) -> tuple[str, str]:
    """The credentials a channel (a MessagingChannel, or the send path's ChannelRef) sends with."""
    return resolve(channel.account_sid, channel.auth_token_encrypted)


def retell_api_key(agent) -> str:
    """The Retell API key that verifies Retell's signatures for this agent, or ""."""
    encrypted = agent.retell_api_key_encrypted
    return crypto.decrypt(encrypted) if encrypted else ""


def missing(account_sid: str, has_token: bool) -> list[str]:
    """What a Twilio channel lacks even after the environment's fallback: "Account SID",
    "auth token", both or neither."""
    lacking = []
    if not (account_sid or settings.TWILIO_ACCOUNT_SID):
        lacking.append("Account SID")
    if not (has_token or settings.TWILIO_AUTH_TOKEN):
        lacking.append("auth token")
    return lacking


def problem(channel) -> str:
    """Why the channel cannot send at all, or "": a Twilio channel without credentials, even
    after falling back to TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN."""
    if channel.provider != Provider.TWILIO:
        return ""
    # The invoke's lookup reads only whether a token is stored; a channel loaded by the ORM
    # has the token itself.
    has_token = getattr(channel, "has_stored_token", None)
    if has_token is None:
        has_token = bool(channel.auth_token_encrypted)
    lacking = missing(channel.account_sid, has_token)
    if not lacking:
        return ""
    return (
        f"The channel {channel.name} has no Twilio {' or '.join(lacking)} (and none is set in "
        "the environment), so it cannot send."
    )


def webhook_token(channel) -> str:
    """The auth token a webhook about `channel` is signed with ("" if none is usable).

    With no channel (a report about no message of ours), the environment's token."""
    if channel is None:
        return settings.TWILIO_AUTH_TOKEN
    try:
        return for_channel(channel)[1]
    except ValueError:  # a token FIELD_ENCRYPTION_KEY cannot open: treat as no token
        return ""


def for_agent(agent) -> tuple[str, str] | None:
    """The Twilio account that redirects the agent's live calls, or None.

    The first Twilio channel, by name, among the agent's actions' channels that has
    credentials (its own, else the environment's); with no such channel, the environment's.
    """
    if agent is not None:
        actions = agent.actions.filter(channel__provider=Provider.TWILIO)
        channels = {a.channel.pk: a.channel for a in actions.select_related("channel")}
        for channel in sorted(channels.values(), key=lambda c: c.name):
            try:
                account_sid, auth_token = for_channel(channel)
            except ValueError:  # a token FIELD_ENCRYPTION_KEY cannot open: unusable
                continue
            if account_sid and auth_token:
                return account_sid, auth_token
    if settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN:
        return settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN
    return None
