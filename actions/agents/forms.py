"""Agent and API key forms."""

from django import forms
from django.conf import settings

from actions.models import (
    Agent,
    Environment,
)


class AgentForm(forms.ModelForm):
    class Meta:
        model = Agent
        fields = ["name", "description", "actions", "handoffs", "requests_per_minute"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "actions": forms.CheckboxSelectMultiple,
            "handoffs": forms.CheckboxSelectMultiple,
        }
        labels = {"requests_per_minute": "Requests per minute"}
        help_texts = {
            "name": "Lowercase letters, digits and underscores, e.g. booking_bot.",
            "actions": "The send-text actions this agent is offered and may invoke.",
            "handoffs": "The destinations this agent may transfer calls to: its transfer_call "
            "tool offers them by name.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = settings.API_REQUESTS_PER_MINUTE
        field = self.fields["requests_per_minute"]
        field.widget.attrs["placeholder"] = str(default)
        field.help_text = (
            "API requests each of its keys may make in any 60 seconds; past it the API answers "
            f"429. Blank: the default, {default}."
        )


class ApiKeyForm(forms.Form):
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.SANDBOX)
    label = forms.CharField(
        max_length=100, required=False, help_text="Optional: what the key is for."
    )
