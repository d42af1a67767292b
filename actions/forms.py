from django import forms
from django.contrib.auth.forms import UserCreationForm

from actions import schemas
from actions.models import Agent, Environment, MessagingChannel, SendTextAction
from actions.validation import normalise_e164


class FirstAdminForm(UserCreationForm):
    """Username and password twice, checked by Django's password validators."""

    def save(self, commit=True):
        user = super().save(commit=False)
        user.is_staff = True
        user.is_superuser = True
        if commit:
            user.save()
        return user


# --- Messaging channels ------------------------------------------------------------------------


class ChannelForm(forms.ModelForm):
    """A channel; the auth token is write-only: never rendered back, kept when left blank."""

    auth_token = forms.CharField(
        label="Twilio auth token",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted. Leave blank to use TWILIO_AUTH_TOKEN from the environment.",
    )
    clear_auth_token = forms.BooleanField(label="Remove the stored auth token", required=False)

    class Meta:
        model = MessagingChannel
        fields = [
            "name",
            "provider",
            "sender",
            "sender_sandbox",
            "sender_pre_release",
            "sender_live",
            "account_sid",
        ]
        help_texts = {
            "name": "Lowercase letters, digits and underscores, e.g. customer_notifications.",
            "sender_sandbox": "Optional: the sender used by sandbox API keys.",
            "sender_pre_release": "Optional: the sender used by pre-release API keys.",
            "sender_live": "Optional: the sender used by live API keys.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.has_auth_token:
            self.fields["auth_token"].help_text = "Set — leave blank to keep it."

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("auth_token"):
            self.instance.set_auth_token(cleaned["auth_token"])
        elif cleaned.get("clear_auth_token"):
            self.instance.set_auth_token("")
        return cleaned


class TestMessageForm(forms.Form):
    to = forms.CharField(
        label="Send a test message to",
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "+15551234567", "inputmode": "tel"}),
    )
    environment = forms.ChoiceField(
        label="Send from",
        choices=[("", "Default sender"), *Environment.choices],
        required=False,
    )

    def clean_to(self):
        return normalise_e164(self.cleaned_data["to"])


# --- Send-text-message actions -----------------------------------------------------------------


def _attrs(label, **extra):
    return {"aria-label": label, **extra}


class ParameterRowForm(forms.Form):
    name = forms.CharField(
        required=False,
        max_length=64,
        widget=forms.TextInput(_attrs("Parameter name", placeholder="booking_reference")),
    )
    type = forms.ChoiceField(
        choices=list(schemas.TYPES.items()),
        initial="text",
        widget=forms.Select(attrs=_attrs("Type")),
    )
    description = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.TextInput(_attrs("Description", placeholder="What the agent should collect")),
    )
    required = forms.BooleanField(
        required=False, initial=True, widget=forms.CheckboxInput(attrs=_attrs("Required"))
    )
    format = forms.ChoiceField(
        choices=list(schemas.FORMATS.items()),
        required=False,
        widget=forms.Select(attrs=_attrs("Format")),
    )
    pattern = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.TextInput(_attrs("Pattern", placeholder="pattern (optional)")),
    )
    choices = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.TextInput(_attrs("Allowed values", placeholder="small, medium, large")),
    )

    def row(self) -> schemas.ParameterRow:
        data = self.cleaned_data
        return schemas.ParameterRow(
            name=data.get("name", "").strip(),
            type=data.get("type") or "text",
            description=data.get("description", "").strip(),
            required=bool(data.get("required")),
            format=data.get("format") or "",
            pattern=data.get("pattern", "").strip(),
            choices=data.get("choices", ""),
        )

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(k) for k in ("name", "description", "pattern", "choices"))


ParameterRowFormSet = forms.formset_factory(ParameterRowForm, extra=0, max_num=100)


class SendTextActionForm(forms.ModelForm):
    """The action builder: parameters edited as a table or as JSON Schema, kept in sync."""

    schema_mode = forms.ChoiceField(
        choices=[("table", "Table"), ("json", "JSON Schema")], widget=forms.HiddenInput
    )
    parameters_schema = forms.CharField(
        label="Parameters (JSON Schema)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "code"}),
    )

    class Meta:
        model = SendTextAction
        fields = [
            "name",
            "description",
            "channel",
            "recipient_mode",
            "recipient_template",
            "message_template",
            "require_consent",
            "enabled",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "recipient_mode": forms.RadioSelect,
            "message_template": forms.Textarea(attrs={"rows": 4, "spellcheck": "true"}),
        }
        labels = {
            "recipient_mode": "Recipient",
            "recipient_template": "Custom recipient",
            "message_template": "Message",
            "channel": "Messaging channel",
        }

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.fields["channel"].empty_label = "Choose a channel…"
        schema = self.instance.parameters_schema or schemas.EMPTY_SCHEMA
        rows, why = schemas.rows_from_schema(schema)
        self.table_note = ""
        if data is None:
            self.initial["schema_mode"] = "table" if rows is not None else "json"
            self.initial["parameters_schema"] = schemas.dumps(schema)
            if rows is None:
                self.table_note = f"This schema opens as JSON because {why}."
            initial_rows = [r.as_dict() for r in rows or []]
            self.rows = ParameterRowFormSet(prefix="params", initial=initial_rows)
        else:
            self.rows = ParameterRowFormSet(data, prefix="params")

    @property
    def mode(self) -> str:
        if self.is_bound:
            return self.data.get("schema_mode") or "table"
        return self.initial.get("schema_mode", "table")

    def clean(self):
        cleaned = super().clean()
        if self.mode == "json":
            try:
                schema = schemas.parse_schema_text(cleaned.get("parameters_schema") or "")
            except forms.ValidationError as exc:
                self.add_error("parameters_schema", exc)
                return cleaned
        else:
            if not self.rows.is_valid():
                self.add_error("parameters_schema", "Correct the parameters marked below.")
                return cleaned
            filled = [f for f in self.rows.forms if not f.is_blank()]
            rows = [f.row() for f in filled]
            problems = schemas.check_rows(rows)
            for index, columns in problems.items():
                for column, message in columns.items():
                    filled[index].add_error(column, message)
            if problems:
                self.add_error("parameters_schema", "Correct the parameters marked below.")
                return cleaned
            schema = schemas.schema_from_rows(rows)
        self.instance.parameters_schema = schema
        cleaned["parameters_schema"] = schema
        return cleaned


# --- Agents and API keys -----------------------------------------------------------------------


class AgentForm(forms.ModelForm):
    class Meta:
        model = Agent
        fields = ["name", "description", "actions"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "actions": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "name": "Lowercase letters, digits and underscores, e.g. booking_bot.",
            "actions": "The send-text actions this agent is offered and may invoke.",
        }


class ApiKeyForm(forms.Form):
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.SANDBOX)
    label = forms.CharField(
        max_length=100, required=False, help_text="Optional: what the key is for."
    )
