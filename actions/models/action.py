from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from actions.common.validation import normalise_e164, validate_tool_name
from actions.messaging import schemas, templating


class RecipientMode(models.TextChoices):
    CONTACT = "contact", "Contact's phone number"
    CUSTOM = "custom", "Custom"


def default_schema():
    return {"type": "object", "properties": {}, "required": []}


class SendTextAction(models.Model):
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
    require_consent = models.BooleanField(
        default=False,
        help_text="The agent must confirm the caller agreed to receive the text; "
        "without it nothing is sent.",
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
            self.parameters_schema, self.message_template, self.require_consent
        )

    def tool_definition(self) -> dict:
        return schemas.tool_definition(self.name, self.description, self.effective_schema())

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
            reserved = schemas.reserved_parameters(self.message_template, self.require_consent)
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
