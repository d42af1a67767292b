from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from actions import gotemplate
from actions.common.validation import normalise_e164, validate_tool_name
from actions.messaging import schemas, sms, templating
from actions.models.naming import Named


class RecipientMode(models.TextChoices):
    CONTACT = "contact", "Contact's phone number"
    CUSTOM = "custom", "Custom"


def default_schema():
    return {"type": "object", "properties": {}, "required": []}


class SendTextAction(Named):
    """An action that sends an SMS: channel, recipient, parameters and message."""

    name = models.CharField(
        max_length=64,
        unique=True,
        validators=[validate_tool_name],
        help_text="The function name the agent calls, e.g. send_booking_confirmation.",
    )
    description = models.TextField(
        help_text="What the action does and when to use it. The agent's LLM reads this."
    )
    channel = models.ForeignKey(
        "actions.MessagingChannel", on_delete=models.PROTECT, related_name="actions"
    )
    recipient_mode = models.CharField(
        max_length=16, choices=RecipientMode.choices, default=RecipientMode.CONTACT
    )
    recipient_template = models.CharField(
        max_length=500,
        blank=True,
        help_text="A number such as +15551234567, or a template such as "
        "{{ .parameters.phone_number }} or {{ .variables.customer_phone }}.",
    )
    parameters_schema = models.JSONField(default=default_schema)
    message_template = models.TextField(
        blank=True,
        help_text="Leave empty to let the agent write the message: a required “message” "
        "parameter is added for it.",
    )
    ask_for_number = models.BooleanField(
        default=False,
        help_text="When the caller's number is unknown (a web call, a withheld number), the "
        "agent may ask for one: an optional phone_number parameter is added.",
    )
    max_segments = models.PositiveSmallIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="The longest message, in SMS segments (10 = 1,530 GSM-7 characters, Twilio's "
        "most). A longer one is refused and the agent told how much to shorten it.",
    )
    require_consent = models.BooleanField(
        default=False,
        help_text="The agent must confirm the caller agreed to receive the text; "
        "without it nothing is sent.",
    )
    consent_prompt = models.CharField(
        "Consent question",
        max_length=300,
        blank=True,
        help_text="The exact words the agent asks the caller before sending, when consent is "
        "required; they go into the tool's description and into each send's consent record. "
        "Blank: “" + schemas.DEFAULT_CONSENT_PROMPT + "”",
    )
    fallback_handoff = models.ForeignKey(
        "actions.Handoff",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fallback_for",
        help_text="When the text cannot be sent (no number, opted out, no consent, the channel "
        "cannot send), the agent is told to transfer the caller here instead.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "send-text-message action"
        permissions = [("try_action", "Can try an action from the builder")]

    def __str__(self):
        return self.name

    # --- the one source of parameters --------------------------------------------------
    def effective_schema(self) -> dict:
        return schemas.effective_schema(
            self.parameters_schema,
            self.message_template,
            self.require_consent,
            ask_for_number=self.asks_for_number,
            max_segments=self.max_segments,
        )

    @property
    def asks_for_number(self) -> bool:
        """Whether the agent may give a number: only for the contact's, when it is unknown."""
        return self.ask_for_number and self.recipient_mode == RecipientMode.CONTACT

    @property
    def consent_question(self) -> str:
        """The words the agent is told to ask with, when consent is required."""
        return self.consent_prompt.strip() or schemas.DEFAULT_CONSENT_PROMPT

    def tool_description(self) -> str:
        """What the agent reads of the tool: the description, and the consent question when
        consent is required."""
        if self.require_consent:
            return schemas.with_consent_question(self.description or "", self.consent_question)
        return self.description or ""

    def tool_definition(self) -> dict:
        return schemas.tool_definition(self.name, self.tool_description(), self.effective_schema())

    # --- validation: the builder, the admin and the import all come through here ---------
    def clean(self):
        errors: dict[str, list[str]] = {}
        self.description = (self.description or "").strip()
        if not self.description:
            errors["description"] = ["Describe what the action does; the agent reads this."]

        schema_ok = True
        try:
            schemas.check_parameters_schema(self.parameters_schema)
        except ValidationError as exc:
            errors["parameters_schema"] = exc.messages
            schema_ok = False
        if schema_ok:
            reserved = schemas.reserved_parameters(
                self.message_template, self.require_consent, self.asks_for_number
            )
            clashes = [
                f"The parameter “{name}” {why}."
                for name, why in reserved.items()
                if name in schemas.declared_parameters(self.parameters_schema)
            ]
            if clashes:
                errors["parameters_schema"] = clashes
                schema_ok = False
        declared = schemas.declared_parameters(self.effective_schema()) if schema_ok else None
        required = set(self.effective_schema().get("required", [])) if schema_ok else None

        if self.message_template.strip():
            problems = self._template_problems(self.message_template, declared, required)
            if not problems and schema_ok:
                problems = self._length_problems()
            if problems:
                errors["message_template"] = problems

        self.recipient_template = (self.recipient_template or "").strip()
        if self.recipient_mode == RecipientMode.CUSTOM:
            if not self.recipient_template:
                errors["recipient_template"] = [
                    "Enter a phone number or a template such as {{ .parameters.phone_number }}."
                ]
            elif templating.is_template(self.recipient_template):
                # A recipient that is missing is "no number", which the agent is told in plain
                # words (recipient_unavailable): only the message must not stop on one.
                problems = self._template_problems(self.recipient_template, declared, None)
                if problems:
                    errors["recipient_template"] = problems
            else:
                try:
                    self.recipient_template = normalise_e164(self.recipient_template)
                except ValidationError as exc:
                    errors["recipient_template"] = exc.messages
        if errors:
            raise ValidationError(errors)

    def _length_problems(self) -> list[str]:
        """The message with every parameter at its longest must fit max_segments."""
        if not isinstance(self.max_segments, int) or not 1 <= self.max_segments <= 10:
            return []  # the field's own error says so
        properties = self.effective_schema().get("properties", {})
        longest = {name: schemas.longest_value(name, p) for name, p in properties.items()}
        data = templating.template_data(longest, {}, "+15551234567", "c" * 64)
        try:
            text = templating.render(self.message_template, data)
        except gotemplate.TemplateError:  # a value of another shape: checked at send time
            return []
        analysis = sms.analyse(text)
        if analysis.segments <= self.max_segments and not analysis.too_long:
            return []
        bounded = [n for n, p in properties.items() if isinstance(p, dict) and "maxLength" in p]
        which = f" ({', '.join(bounded)})" if bounded else ""
        return [
            f"With its parameters at their longest{which}, the message is "
            f"{analysis.characters:,} characters: {analysis.segments} SMS "
            f"segments in {analysis.encoding}, and this action sends at most "
            f"{self.max_segments}. Shorten the text, lower the parameters' maxLength, or allow "
            "more segments."
        ]

    @staticmethod
    def _template_problems(
        source: str, declared: set[str] | None, required: set[str] | None
    ) -> list[str]:
        try:
            # Without a valid schema, only the syntax can be checked.
            templating.check_template(source, declared if declared is not None else _ANY, required)
        except ValidationError as exc:
            return exc.messages
        return []


class _AnyName(set):
    def __contains__(self, item):
        return True


_ANY = _AnyName()
