from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from actions.common.validation import validate_identifier
from actions.handoffs import hours, sip, warm
from actions.models.naming import Named


class SipMethod(models.TextChoices):
    INVITE = "invite", "invite — call out through an endpoint and bridge"
    REFER = "refer", "refer — transfer the call to a number"
    BYE = "bye", "bye — end the call"


class Encryption(models.TextChoices):
    TLS_SRTP = "TLS/SRTP", "TLS/SRTP (encrypted)"
    UDP_RTP = "UDP/RTP", "UDP/RTP (unencrypted)"


# The transfer outcomes that move a live call on to the next fallback, unless a handoff says.
FALLBACK_ON = ("busy", "no-answer", "failed", "declined")
MAX_FALLBACKS = 5


def default_fallback_on():
    return list(FALLBACK_ON)


class Handoff(Named):
    """Where and how a live call goes when the agent cannot finish it (PolyAI's handoffs)."""

    name = models.CharField(
        max_length=64,
        unique=True,
        validators=[validate_identifier],
        help_text="The destination name the agent uses, e.g. agent_queue.",
    )
    description = models.TextField(
        help_text="What this handoff is for. The agent's LLM reads this to choose it."
    )
    is_default = models.BooleanField(
        default=False,
        help_text="Used when a transfer names no destination. Only one handoff is the default.",
    )
    utterance = models.CharField(
        max_length=500,
        blank=True,
        help_text="What the agent says before transferring, e.g. “Let me connect you now.”",
    )
    method = models.CharField(max_length=8, choices=SipMethod.choices, default=SipMethod.REFER)
    phone_number = models.CharField(max_length=20, blank=True)
    outbound_endpoint = models.CharField(
        max_length=255, blank=True, help_text="A host or host:port, e.g. sip.example.com:5061."
    )
    outbound_encryption = models.CharField(max_length=8, choices=Encryption.choices, blank=True)
    sip_headers = models.JSONField(default=list, blank=True)
    # The handoffs tried in turn, by name, when a live transfer ends in one of fallback_on.
    fallbacks = models.JSONField(default=list, blank=True)
    fallback_on = models.JSONField(default=default_fallback_on, blank=True)
    # Cold (the default) or warm; the warm transfer's settings (handoffs/warm.py).
    transfer = models.JSONField(default=dict, blank=True)
    # Opening hours (handoffs/hours.py): {} is always open.
    hours = models.JSONField(default=dict, blank=True)
    after_hours = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="after_hours_for",
        help_text="Outside the opening hours, the agent is offered this handoff instead.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="handoff_at_most_one_default",
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Making this one the default un-defaults the other in the same transaction; the
        # partial unique constraint stops two concurrent saves from both succeeding.
        with transaction.atomic():
            if self.is_default:
                # One by one, not with update(), so that each keeps a record in its history.
                for other in Handoff.objects.filter(is_default=True).exclude(pk=self.pk):
                    other.is_default = False
                    other._change_reason = f"“{self.name}” became the default"
                    if hasattr(self, "_history_user"):
                        other._history_user = self._history_user
                    other.save(update_fields=["is_default", "updated_at"])
            super().save(*args, **kwargs)

    def validate_constraints(self, exclude=None):
        # At most one default is kept by save(), which un-defaults the other: not an error.
        super().validate_constraints(exclude={*(exclude or ()), "is_default"})

    def clean(self):
        errors: dict[str, list[str]] = {}
        self.description = (self.description or "").strip()
        if not self.description:
            errors["description"] = ["Describe what this handoff is for; the agent reads this."]
        self.utterance = (self.utterance or "").strip()
        if any(ch in self.utterance for ch in "\r\n\0"):
            errors["utterance"] = ["Keep the utterance on one line."]
        field_errors, values = sip.field_errors(
            self.method, self.phone_number, self.outbound_endpoint, self.outbound_encryption
        )
        errors.update(field_errors)
        if not field_errors:
            self.phone_number = values["phone_number"]
            self.outbound_endpoint = values["outbound_endpoint"]
            self.outbound_encryption = values["outbound_encryption"]
        try:
            self.sip_headers = sip.clean_headers(self.sip_headers)
        except ValidationError as exc:
            errors["sip_headers"] = exc.messages
        self.hours = self.hours or {}
        problems = hours.problems(self.hours)
        if problems:
            errors["hours"] = [f"{key}: {why}" if key else why for key, why in problems.items()]
        if self.after_hours_id and self.pk and self.after_hours_id == self.pk:
            errors["after_hours"] = ["A handoff cannot be its own after-hours alternative."]
        errors.update(self._fallback_problems())
        self.transfer = self.transfer or {}
        problems = warm.problems(self.transfer)
        if problems:
            errors["transfer"] = [f"{key}: {why}" for key, why in problems.items()]
        if errors:
            raise ValidationError(errors)

    def _fallback_problems(self) -> dict[str, list[str]]:
        problems = {}
        names = self.fallbacks if isinstance(self.fallbacks, list) else None
        if names is None or not all(isinstance(n, str) for n in names):
            return {"fallbacks": ["Fallbacks are a list of handoff names."]}
        self.fallbacks = names = [n.strip() for n in names if n.strip()]
        if len(names) > MAX_FALLBACKS:
            problems["fallbacks"] = [f"At most {MAX_FALLBACKS} fallbacks."]
        elif self.name in names:
            problems["fallbacks"] = ["A handoff cannot be its own fallback."]
        elif len(set(names)) != len(names):
            problems["fallbacks"] = ["Each fallback once."]
        else:
            known = set(Handoff.objects.filter(name__in=names).values_list("name", flat=True))
            missing = [n for n in names if n not in known]
            if missing:
                problems["fallbacks"] = [f"There is no handoff named {', '.join(missing)}."]
        outcomes = self.fallback_on if isinstance(self.fallback_on, list) else None
        allowed = [o for o in TransferOutcome.values if o not in ("answered", "completed")]
        if outcomes is None or any(o not in allowed for o in outcomes):
            problems["fallback_on"] = [
                f"Move on after any of: {', '.join(allowed)} (answered calls never move on)."
            ]
        return problems

    def fallback_handoffs(self) -> list["Handoff"]:
        """The fallbacks, in order (a name no longer saved is skipped)."""
        by_name = {h.name: h for h in Handoff.objects.filter(name__in=self.fallbacks or [])}
        return [by_name[n] for n in self.fallbacks or [] if n in by_name]

    # --- what it becomes at call time ---------------------------------------------------
    def instruction(self) -> dict:
        return sip.instruction(self)

    def twiml(self, sip_leg: bool = True) -> str:
        return sip.twiml(self, sip_leg)

    def used_by(self) -> list[str]:
        """What stops this handoff from being deleted, for the page to say."""
        uses = [f"agent {name}" for name in self.agents.values_list("name", flat=True)]
        uses += [
            f"action {name} (fallback)" for name in self.fallback_for.values_list("name", flat=True)
        ]
        uses += [
            f"handoff {name} (after hours)"
            for name in self.after_hours_for.values_list("name", flat=True)
        ]
        return uses

    def opening(self, now=None) -> "hours.Status":
        """Open or closed now, and until when (always open without hours)."""
        return hours.status(self.hours, now or hours.current_time())

    def opening_text(self, now=None) -> str:
        """ "open now, until 17:30" / "closed until Monday 09:00"; "" without hours."""
        if not hours.is_set(self.hours):
            return ""
        now = now or hours.current_time()
        return self.opening(now).describe(now, hours.zone_of(self.hours))


class HandoffOutcome(models.TextChoices):
    RETURNED = "returned", "Instruction returned"
    CLOSED = "closed", "Closed: outside its opening hours"
    PENDING = "pending", "Waiting to redirect the call"
    REDIRECTING = "redirecting", "Redirecting the call"
    REDIRECTED = "redirected", "Call redirected"
    FAILED = "failed", "Redirect failed"


class TransferOutcome(models.TextChoices):
    """What Twilio reported of a live transfer (<Dial>/<Refer> action callback)."""

    ANSWERED = "answered", "Answered"
    COMPLETED = "completed", "Answered and ended"
    BUSY = "busy", "Busy"
    NO_ANSWER = "no-answer", "No answer"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"
    DECLINED = "declined", "Declined"


class HandoffLog(models.Model):
    """One handoff invocation: what was asked, what was answered, what happened to the call."""

    handoff = models.ForeignKey(
        Handoff, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )
    handoff_name = models.CharField(max_length=64)
    agent = models.ForeignKey(
        "actions.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent_name = models.CharField(max_length=64, blank=True)
    environment = models.CharField(max_length=16, blank=True)
    source = models.CharField(max_length=32, default="invoke")
    conversation_id = models.CharField(max_length=200, blank=True)
    call_sid = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    variables = models.JSONField(default=dict, blank=True)
    instruction = models.JSONField(default=dict)
    twiml = models.TextField(blank=True)
    outcome = models.CharField(
        max_length=16, choices=HandoffOutcome.choices, default=HandoffOutcome.RETURNED
    )
    outcome_detail = models.TextField(blank=True)
    # The transfer's own outcome, from Twilio's signed action callback after the redirect.
    transfer_outcome = models.CharField(
        max_length=16, choices=TransferOutcome.choices, blank=True, db_index=True
    )
    ring_seconds = models.PositiveIntegerField(null=True, blank=True)
    bridged_seconds = models.PositiveIntegerField(null=True, blank=True)
    transfer_reported_at = models.DateTimeField(null=True, blank=True)
    # A fallback's entry: the chain's first entry (the agent's request), and which step it is.
    chain_start = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="chain_steps"
    )
    chain_step = models.PositiveSmallIntegerField(default=0)
    # A warm transfer's whisper: the person answering pressed something else than 1.
    whisper_declined = models.BooleanField(default=False)
    # When a pending redirect's next attempt is due (see Message.due_at).
    due_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The reconciliation's search for redirects whose task was lost: unfinished entries
            # only, so it stays small however long the log grows.
            models.Index(
                fields=["due_at"],
                condition=models.Q(outcome__in=["pending", "redirecting"]),
                name="handofflog_unfinished",
            ),
        ]

    def __str__(self):
        return f"{self.handoff_name} at {self.created_at:%Y-%m-%d %H:%M}"
