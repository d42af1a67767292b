import re
from datetime import datetime, time, timedelta
from itertools import zip_longest

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from actions import roles, schemas, sendlog, sip
from actions.models import (
    Agent,
    Encryption,
    Environment,
    Handoff,
    Message,
    MessageStatus,
    MessagingChannel,
    SendTextAction,
)
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
            "fallback_handoff",
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
            "fallback_handoff": "Fallback handoff",
        }
        help_texts = {
            "fallback_handoff": "Optional. When the text cannot be sent (the caller has no "
            "number, opted out or did not consent), the error the agent receives offers this "
            "handoff, so the caller is transferred instead of being left without help.",
        }

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.fields["channel"].empty_label = "Choose a channel…"
        self.fields["fallback_handoff"].empty_label = "No fallback"
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
        fields = ["name", "description", "actions", "handoffs"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "actions": forms.CheckboxSelectMultiple,
            "handoffs": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "name": "Lowercase letters, digits and underscores, e.g. booking_bot.",
            "actions": "The send-text actions this agent is offered and may invoke.",
            "handoffs": "The destinations this agent may transfer calls to: its transfer_call "
            "tool offers them by name.",
        }


class ApiKeyForm(forms.Form):
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.SANDBOX)
    label = forms.CharField(
        max_length=100, required=False, help_text="Optional: what the key is for."
    )


# --- Handoffs --------------------------------------------------------------------------------

HEADER_KEY, HEADER_VALUE = "header_key", "header_value"
# clean_headers numbers its messages by header: "Header 3: …".
HEADER_MESSAGE_RE = re.compile(r"^Header (\d+): ")


def posted_header_rows(data) -> list[dict]:
    """The SIP header rows as posted, as parallel lists: blank rows included, as typed."""
    keys, values = _getlist(data, HEADER_KEY), _getlist(data, HEADER_VALUE)
    return [{"key": k, "value": v} for k, v in zip_longest(keys, values, fillvalue="")]


def _getlist(data, key) -> list[str]:
    if hasattr(data, "getlist"):
        return data.getlist(key)
    value = data.get(key, [])  # a plain dict, as tests and scripts pass
    return list(value) if isinstance(value, list | tuple) else [value]


def is_blank_row(row: dict) -> bool:
    return not (row["key"].strip() or row["value"].strip())


class SipHeadersWidget(forms.Widget):
    """Reads the header table; the template draws it (with its add and remove buttons)."""

    def value_from_datadict(self, data, files, name):
        return posted_header_rows(data)

    def value_omitted_from_data(self, data, files, name):
        return False  # no rows posted means no headers, not "keep the saved ones"


class SipHeadersField(forms.Field):
    """A list of {"key", "value"}, passed on as typed: the model's clean() applies the rules."""

    widget = SipHeadersWidget

    def to_python(self, value):
        # A row left entirely blank is no header (the admin added a row and left it empty).
        return [row for row in value or [] if not is_blank_row(row)]


class HandoffForm(forms.ModelForm):
    """A handoff destination. Every rule is the model's clean(), through full_clean()."""

    sip_headers = SipHeadersField(label="SIP headers", required=False)

    class Meta:
        model = Handoff
        fields = [
            "name",
            "description",
            "is_default",
            "utterance",
            "method",
            "phone_number",
            "outbound_endpoint",
            "outbound_encryption",
            "sip_headers",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "phone_number": forms.TextInput(
                attrs={"placeholder": "+441234567890", "inputmode": "tel"}
            ),
            "outbound_endpoint": forms.TextInput(attrs={"placeholder": "sip.example.com:5061"}),
        }
        labels = {
            "is_default": "Default handoff",
            "method": "SIP method",
            "phone_number": "Phone number",
            "outbound_endpoint": "Outbound endpoint",
            "outbound_encryption": "Outbound encryption",
        }
        help_texts = {
            "name": "Lowercase letters, digits and underscores, e.g. agent_queue.",
            "phone_number": "International format with the country code, e.g. +441234567890; "
            "saved as E.164.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Blank means TLS/SRTP to the model; the select offers the two real choices.
        self.fields["outbound_encryption"].choices = Encryption.choices
        # The model's clean() says what an empty description should say, once.
        self.fields["description"].required = False

    def header_rows(self) -> tuple[list[dict], list[str]]:
        """The rows to show, each with its own messages, and the messages of no one row."""
        if self.is_bound:
            rows = posted_header_rows(self.data)
        else:
            rows = [{"key": h["key"], "value": h["value"]} for h in self.instance.sip_headers]
        for row in rows:
            row["errors"] = []
        filled = [row for row in rows if not is_blank_row(row)]
        general = []
        for message in self.errors.get("sip_headers", []) if self.is_bound else []:
            match = HEADER_MESSAGE_RE.match(message)
            if match and 1 <= int(match[1]) <= len(filled):
                filled[int(match[1]) - 1]["errors"].append(message)
            else:
                general.append(message)
        return rows, general

    def header_warnings(self) -> list[str]:
        """Advice that does not stop the save (e.g. a header without the X- prefix)."""
        rows, _ = self.header_rows()
        return sip.header_warnings([r for r in rows if not (is_blank_row(r) or r["errors"])])


def choice_by_name(queryset, noun: str) -> forms.ModelChoiceField:
    """A list filter's select of objects by name, so the URL reads ?action=send_booking_…."""
    return forms.ModelChoiceField(
        queryset=queryset,
        to_field_name="name",
        required=False,
        empty_label=f"All {noun}s",
        error_messages={"invalid_choice": f"There is no {noun} of that name."},
    )


class DateRangeForm(forms.Form):
    """From/to dates in a list's query string, as whole days in the site's time zone."""

    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the start date as YYYY-MM-DD, e.g. 2025-01-31."},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter the end date as YYYY-MM-DD, e.g. 2025-01-31."},
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filter_dates(self, rows):
        """Bounds on the indexed timestamp; call after is_valid()."""
        data = self.cleaned_data
        if data.get("date_from"):
            start = _start_of(data["date_from"])
            if start:
                rows = rows.filter(created_at__gte=start)
        if data.get("date_to"):
            end = _start_of(data["date_to"], days=1)
            if end:
                rows = rows.filter(created_at__lt=end)
        return rows


class HandoffLogFilterForm(DateRangeForm):
    """The handoff log's filters, read from the query string."""

    handoff = choice_by_name(Handoff.objects.all(), "handoff")
    field_order = ["handoff", "date_from", "date_to"]

    def filter(self, logs):
        """The entries matching the filters that are valid; an invalid one filters nothing."""
        self.is_valid()  # cleaned_data then holds the fields that are valid
        if self.cleaned_data.get("handoff"):
            logs = logs.filter(handoff=self.cleaned_data["handoff"])
        return self.filter_dates(logs)


class SendLogFilterForm(DateRangeForm):
    """The send log's filters, read from the query string so a view can be shared."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": "Phone number, conversation id or message SID", "type": "search"}
        ),
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *MessageStatus.choices])
    action = choice_by_name(SendTextAction.objects.all(), "action")
    agent = choice_by_name(Agent.objects.all(), "agent")
    channel = choice_by_name(MessagingChannel.objects.all(), "channel")
    environment = forms.ChoiceField(
        required=False, choices=[("", "All environments"), *Environment.choices]
    )
    field_order = ["q", "status", "action", "agent", "channel", "environment"]

    def clean_q(self):
        text = self.cleaned_data["q"].strip()
        if text:
            try:
                sendlog.search(Message.objects.none(), text)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from None
        return text

    def filter(self, messages):
        """The messages matching the filters that are valid; an invalid one filters nothing."""
        self.is_valid()
        data = self.cleaned_data
        for name in ("status", "action", "agent", "channel", "environment"):
            if data.get(name):
                messages = messages.filter(**{name: data[name]})
        if data.get("q"):
            messages = sendlog.search(messages, data["q"])
        return self.filter_dates(messages)


def _start_of(day, days=0):
    """Midnight of `day` (+ days) in the current time zone; None at the calendar's ends.

    Years 1 and 9999 bound nothing, and would overflow once shifted to UTC.
    """
    if not 1 < day.year < 9999:
        return None
    return timezone.make_aware(datetime.combine(day + timedelta(days=days), time.min))


# --- Users and roles ----------------------------------------------------------------------------


def _role_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=[(name, f"{name} — {description}") for name, description in roles.ROLES.items()],
        widget=forms.RadioSelect,
        initial=roles.REVIEWER,
    )


class UserCreateForm(forms.ModelForm):
    """A new user and their role; they choose their own password through an invite link."""

    role = _role_field()

    class Meta:
        model = User
        fields = ["username", "email"]
        help_texts = {"username": "Letters, digits and @ . + - _ only; used to log in."}

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        user.save()
        roles.set_role(user, self.cleaned_data["role"])
        return user


class UserEditForm(forms.ModelForm):
    """A user's email, role and whether they may log in.

    Nobody changes their own role or locks themselves out, and the last active Admin stays one,
    so a deployment always has someone who can manage users.
    """

    role = _role_field()

    class Meta:
        model = User
        fields = ["email", "is_active"]
        labels = {"is_active": "Active (may log in)"}
        help_texts = {"is_active": "Untick instead of deleting: their history stays readable."}

    def __init__(self, *args, editor, **kwargs):
        super().__init__(*args, **kwargs)
        self.editor = editor
        self.fields["role"].initial = roles.role_of(self.instance) or roles.REVIEWER

    def clean(self):
        cleaned = super().clean()
        role, active = cleaned.get("role"), cleaned.get("is_active")
        stays_admin = role == roles.ADMIN and active
        if self.instance.pk == self.editor.pk:
            if role and role != roles.role_of(self.instance):
                self.add_error("role", "You cannot change your own role: ask another Admin.")
            if active is False:
                self.add_error("is_active", "You cannot deactivate yourself.")
        elif roles.is_admin(self.instance) and not stays_admin and roles.admin_count() <= 1:
            self.add_error("role", "This is the last active Admin: make someone else Admin first.")
        return cleaned

    def save(self, commit=True):
        user = super().save()
        if self.cleaned_data["role"] != roles.role_of(user):
            roles.set_role(user, self.cleaned_data["role"])
        return user
