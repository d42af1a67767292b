import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from actions.common import crypto
from actions.common.validation import validate_identifier
from actions.models.channel import Environment
from actions.models.naming import Named

KEY_PREFIX = "sb"
# The reasons a key's history gives for its two changes.
ISSUED_REASON = "API key created"
REVOKED_REASON = "API key revoked"
# The most requests a minute an agent may be given: the limit keeps one timestamp per request.
MAX_REQUESTS_PER_MINUTE = 10_000
# The most texts to one number or in one conversation an agent may be given: the limits keep
# one timestamp per text for 24 hours.
MAX_TEXTS_PER_DAY = 10_000
# How stale last_used_at may get: one write a minute per key, not one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class Agent(Named):
    """A voice agent that calls the API: its keys, and the actions it may use."""

    name = models.CharField(max_length=64, unique=True, validators=[validate_identifier])
    description = models.TextField(blank=True)
    actions = models.ManyToManyField("actions.SendTextAction", blank=True, related_name="agents")
    handoffs = models.ManyToManyField("actions.Handoff", blank=True, related_name="agents")
    requests_per_minute = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REQUESTS_PER_MINUTE)],
        help_text="API requests each of its keys may make in any 60 seconds; blank for the "
        "default (API_REQUESTS_PER_MINUTE).",
    )
    # default=None, not only null: a form that leaves these out (the configuration import:
    # the file does not carry them) keeps the agent's own, as Django's ModelForm does for a
    # field with a default that is absent from the data.
    texts_per_recipient_per_day = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=None,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TEXTS_PER_DAY)],
        help_text="Text messages it may send to one number in any 24 hours; blank for the "
        "default (TEXTS_PER_RECIPIENT_PER_DAY).",
    )
    texts_per_conversation = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=None,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TEXTS_PER_DAY)],
        help_text="Text messages it may send within one conversation in any 24 hours; blank "
        "for the default (TEXTS_PER_CONVERSATION).",
    )
    # Where a live call goes back to when every transfer of a handoff chain failed: TwiML that
    # reconnects the caller to the voice agent (a ConversationRelay or media-stream endpoint).
    return_url = models.URLField(
        max_length=500,
        blank=True,
        help_text="When a transfer and its fallbacks all fail, the call is redirected here "
        "(POST, with reason=transfer_failed:busy and the like) so the agent takes it back. "
        "Blank: the unavailable message is said and the call ends.",
    )
    unavailable_message = models.CharField(
        max_length=300,
        blank=True,
        help_text="Said to the caller when every transfer failed and there is no return URL. "
        "Blank: “Sorry, nobody could take your call right now. Please try again later. "
        "Goodbye.”",
    )
    # The Retell API key that signs Retell's requests (X-Retell-Signature), encrypted; read
    # only by channels/credentials.py. Written, never shown.
    retell_api_key_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(
        m2m_fields=["actions", "handoffs"], excluded_fields=["retell_api_key_encrypted"]
    )

    class Meta:
        ordering = ["name"]
        # The configuration file covers channels, actions, handoffs and agents: a whole setup.
        permissions = [("manage_config", "Can export and import the whole configuration")]

    def __str__(self):
        return self.name

    @property
    def has_retell_api_key(self) -> bool:
        return bool(self.retell_api_key_encrypted)

    def set_retell_api_key(self, key: str) -> None:
        self.retell_api_key_encrypted = crypto.encrypt(key) if key else ""

    @property
    def request_limit(self) -> int:
        """API requests per key in any 60 seconds: its own limit, else the deployment's."""
        return self.requests_per_minute or settings.API_REQUESTS_PER_MINUTE

    @property
    def recipient_text_limit(self) -> int:
        """Texts to one number in any 24 hours: its own limit, else the deployment's."""
        return self.texts_per_recipient_per_day or settings.TEXTS_PER_RECIPIENT_PER_DAY

    @property
    def conversation_text_limit(self) -> int:
        """Texts within one conversation in any 24 hours: its own limit, else the deployment's."""
        return self.texts_per_conversation or settings.TEXTS_PER_CONVERSATION


def hash_key(key: str) -> str:
    # Keys are 256-bit random strings, so a plain SHA-256 cannot be brute-forced; a slow
    # password hash would only slow every API call down.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """An agent's key for one environment. Only a hash and a short prefix are stored."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="api_keys")
    environment = models.CharField(max_length=16, choices=Environment.choices)
    label = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=32, help_text="The start of the key, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()
    # The hash stays out of the history; so does last use, which is not a change to the key.
    history = HistoricalRecords(excluded_fields=["key_hash", "last_used_at"])

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.prefix}… ({self.agent.name}, {self.environment})"

    @classmethod
    def issue(cls, agent: Agent, environment: str, label: str = "") -> tuple["ApiKey", str]:
        """Create a key; the plaintext is returned once and never stored."""
        plaintext = f"{KEY_PREFIX}_{environment}_{secrets.token_urlsafe(32)}"
        key = cls(
            agent=agent,
            environment=environment,
            label=label,
            prefix=plaintext[: len(KEY_PREFIX) + len(environment) + 8],
            key_hash=hash_key(plaintext),
        )
        key._change_reason = ISSUED_REASON
        key.save(force_insert=True)
        return key, plaintext

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self._change_reason = REVOKED_REASON
            self.save(update_fields=["revoked_at"])

    def touch(self) -> None:
        """Record use, at most once per LAST_USED_RESOLUTION, with one conditional UPDATE."""
        now = timezone.now()
        if self.last_used_at and now - self.last_used_at < LAST_USED_RESOLUTION:
            return
        ApiKey.objects.filter(pk=self.pk).filter(
            models.Q(last_used_at__isnull=True)
            | models.Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        self.last_used_at = now
