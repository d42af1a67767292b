"""The send-text action form and its parameter rows."""

from django import forms

from actions.common.forms import NamedMixin, name_choices
from actions.messaging import parameter_table, schemas, sms
from actions.models import SendTextAction


def _attrs(label, **extra):
    return {"aria-label": label, **extra}


class ParameterRowForm(forms.Form):
    name = forms.CharField(
        required=False,
        max_length=64,
        widget=forms.TextInput(_attrs("Parameter name", placeholder="booking_reference")),
    )
    type = forms.ChoiceField(
        choices=list(parameter_table.TYPES.items()),
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
        choices=list(parameter_table.FORMATS.items()),
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

    def row(self) -> parameter_table.ParameterRow:
        data = self.cleaned_data
        return parameter_table.ParameterRow(
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


class SendTextActionForm(NamedMixin, forms.ModelForm):
    """The action builder: parameters edited as a table or as JSON Schema, kept in sync."""

    identifier_help = (
        "The tool name the agent's LLM calls, e.g. send_booking_confirmation: letters, digits "
        "and underscores."
    )

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
            "display_name",
            "name",
            "description",
            "channel",
            "recipient_mode",
            "recipient_template",
            "message_template",
            "max_segments",
            "ask_for_number",
            "require_consent",
            "consent_prompt",
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
            "max_segments": "Longest message (SMS segments)",
        }
        help_texts = {
            "fallback_handoff": "Optional. When the text cannot be sent (the caller has no "
            "number, opted out or did not consent), the error the agent receives offers this "
            "handoff, so the caller is transferred instead of being left without help.",
        }

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.fields["channel"].empty_label = "Choose a channel…"
        name_choices(self, "channel", "fallback_handoff")
        self.fields["fallback_handoff"].empty_label = "No fallback"
        # Blank keeps the default (10 segments): a form or file that leaves it out.
        self.fields["max_segments"].required = False
        self.fields["max_segments"].widget.attrs.update({"min": 1, "max": 10})
        schema = self.instance.parameters_schema or schemas.EMPTY_SCHEMA
        rows, why = parameter_table.rows_from_schema(schema)
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

    def clean_max_segments(self):
        value = self.cleaned_data.get("max_segments")
        return sms.MAX_SEGMENTS if value is None else value

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
            problems = parameter_table.check_rows(rows)
            for index, columns in problems.items():
                for column, message in columns.items():
                    filled[index].add_error(column, message)
            if problems:
                self.add_error("parameters_schema", "Correct the parameters marked below.")
                return cleaned
            schema = parameter_table.schema_from_rows(rows)
        self.instance.parameters_schema = schema
        cleaned["parameters_schema"] = schema
        return cleaned
