"""Agent and API key forms."""

from django import forms

from actions.models import (
    Agent,
    Environment,
)


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
