import hashlib

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from actions.channels import credentials, senders
from actions.channels.choices import Environment, Provider
from actions.common import crypto
from actions.common.validation import (
    country_of,
    is_country,
    normalise_sender,
    validate_account_sid,
    validate_identifier,
)
from actions.models.naming import Named

__all__ = ["ChannelHistory", "Environment", "MessagingChannel", "Provider", "token_version"]


class ChannelHistory(models.Model):
    """What a channel's history keeps of its auth token: which one was stored, never what.

    A digest of the ciphertext: it tells a token being set, replaced or removed apart, and
    reveals nothing of the token (the ciphertext is encrypted afresh each time one is set).
    """

    auth_token_version = models.CharField(max_length=12, blank=True, default="")

    class Meta:
        abstract = True


def token_version(auth_token_encrypted: str) -> str:
    if not auth_token_encrypted:
        return ""
    return hashlib.sha256(auth_token_encrypted.encode()).hexdigest()[:12]


def _rate_field(label: str, help_text: str = "") -> models.FloatField:
    return models.FloatField(
        label,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(senders.MIN_RATE, f"Use at least {senders.MIN_RATE:g}."),
            MaxValueValidator(senders.MAX_RATE, f"Use at most {senders.MAX_RATE:g}."),
        ],
        help_text=help_text
        or "Optional: how fast this environment's sender may send. Blank: the channel's rate, "
        "else what its kind allows.",
    )


class MessagingChannel(Named):
    """A named, SMS-capable sender: a number (or Messaging Service) per environment."""

    name = models.CharField(max_length=64, unique=True, validators=[validate_identifier])
    provider = models.CharField(max_length=16, choices=Provider.choices, default=Provider.TWILIO)
    sender = models.CharField(
        max_length=40,
        help_text="An E.164 number such as +15005550006, a short code (5 or 6 digits), an "
        "alphanumeric sender ID (up to 11 characters, e.g. Acme Dental) or a Twilio Messaging "
        "Service SID (MG…).",
    )
    sender_sandbox = models.CharField("sandbox sender", max_length=40, blank=True)
    sender_pre_release = models.CharField("pre-release sender", max_length=40, blank=True)
    sender_live = models.CharField("live sender", max_length=40, blank=True)
    account_sid = models.CharField(
        "Twilio Account SID",
        max_length=34,
        blank=True,
        validators=[validate_account_sid],
        help_text="Leave blank to use TWILIO_ACCOUNT_SID from the environment.",
    )
    default_country = models.CharField(
        max_length=2,
        blank=True,
        help_text="Two letters (GB, US, DE…): how a number written without its country code, "
        "such as 07700 900123, is read. Blank: the sender number's country.",
    )
    help_text = models.CharField(
        "HELP reply",
        max_length=320,
        blank=True,
        help_text="Sent to a number that replies HELP or INFO. Blank: the channel's name, "
        "then “: automated messages from our voice assistant. Reply STOP to opt out.”",
    )
    stop_confirmation = models.BooleanField(
        "Confirm a STOP",
        default=True,
        help_text="Reply to a STOP with a confirmation. Turn off when the provider already "
        "sends one (Twilio's Advanced Opt-Out), so the number does not get two.",
    )
    messages_per_second = _rate_field(
        "Messages per second",
        "How fast this channel's sender may send (carriers cap each sender). Blank: what its "
        "kind allows — a long code 1, a toll-free number 3, a short code 100; a Messaging "
        "Service or an alphanumeric sender ID 1 until you set its own.",
    )
    messages_per_second_sandbox = _rate_field("Sandbox messages per second")
    messages_per_second_pre_release = _rate_field("Pre-release messages per second")
    messages_per_second_live = _rate_field("Live messages per second")
    opt_in_policy = models.TextField(
        "Public opt-in policy",
        blank=True,
        max_length=4000,
        help_text="Optional: how callers agree to this channel's texts, published at /opt-in/ "
        "and the channel's name, for a carrier registration (A2P 10DLC, toll-free "
        "verification) to link to. Blank: no public page.",
    )
    # Fernet token; the plaintext is never stored, rendered or logged.
    auth_token_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Never the token nor its ciphertext: ChannelHistory records which token, not what.
    history = HistoricalRecords(excluded_fields=["auth_token_encrypted"], bases=[ChannelHistory])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    SENDER_FIELDS = ("sender", *(f"sender_{e}" for e in Environment.values))

    def help_reply(self) -> str:
        """What a HELP or INFO reply gets: the channel's text, else one from its name."""
        name = self.name.replace("_", " ").capitalize()
        return self.help_text or (
            f"{name}: automated messages from our voice assistant. Reply STOP to opt out."
        )

    @property
    def country(self) -> str | None:
        """The region national numbers are read in: the channel's own, else its sender's."""
        return self.default_country or country_of(self.sender)

    def clean(self):
        errors = {}
        self.default_country = (self.default_country or "").strip().upper()
        if self.default_country and not is_country(self.default_country):
            errors["default_country"] = [
                f"“{self.default_country}” is not a country code phone numbers know: use two "
                "letters such as GB, US or DE."
            ]
        for field in self.SENDER_FIELDS:
            value = getattr(self, field)
            if value:
                try:
                    setattr(self, field, normalise_sender(value))
                except ValidationError as exc:
                    errors[field] = exc.messages
        if self.provider == Provider.TWILIO:
            lacking = credentials.missing(self.account_sid, self.has_auth_token)
            if "Account SID" in lacking:
                errors["account_sid"] = [
                    "A Twilio channel needs an Account SID "
                    "(or TWILIO_ACCOUNT_SID in the environment)."
                ]
            if "auth token" in lacking:
                errors["auth_token"] = [
                    "A Twilio channel needs an auth token "
                    "(or TWILIO_AUTH_TOKEN in the environment)."
                ]
        if errors:
            raise ValidationError(errors)

    def sender_for(self, environment: str) -> str:
        return getattr(self, f"sender_{environment}", "") or self.sender

    RATE_FIELDS = ("messages_per_second", *(f"messages_per_second_{e}" for e in Environment.values))

    @property
    def rate_label(self) -> str:
        """The default sender's rate as people read it: "1 message a second"."""
        return senders.describe_rate(self.rate_for(""))

    def rate_for(self, environment: str) -> float:
        """Messages a second the sender of `environment` may send: the environment's own
        rate, else the channel's, else what that sender's kind allows (channels/senders.py)."""
        own = getattr(self, f"messages_per_second_{environment}", None) if environment else None
        for rate in (own, self.messages_per_second):
            if rate is not None:
                return rate
        return senders.default_rate(self.sender_for(environment))

    # --- credentials ---------------------------------------------------------------------
    @property
    def has_auth_token(self) -> bool:
        return bool(self.auth_token_encrypted)

    def set_auth_token(self, token: str) -> None:
        self.auth_token_encrypted = crypto.encrypt(token) if token else ""
