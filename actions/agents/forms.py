"""Agent and API key forms."""

from django import forms
from django.conf import settings

from actions.common.forms import NamedMixin, SecretMixin, name_choices
from actions.models import (
    Agent,
    Environment,
)


class AgentForm(NamedMixin, SecretMixin, forms.ModelForm):
    """An agent; the Retell API key is write-only: never rendered back, kept when left blank (and
    kept when the save fails on another field: SecretMixin)."""

    write_only = "retell_api_key"

    retell_api_key = forms.CharField(
        label="Retell API key",
        required=False,
        strip=True,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Only for Retell: the Retell API key with the webhook badge, which signs "
        "Retell's requests (X-Retell-Signature). Stored encrypted.",
    )
    # A URL typed without its scheme is https (Django 6's default, chosen now).
    return_url = forms.URLField(
        label="Return-to-agent URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=Agent._meta.get_field("return_url").help_text,
    )
    clear_retell_api_key = forms.BooleanField(
        label="Remove the stored Retell API key", required=False
    )

    class Meta:
        model = Agent
        fields = [
            "display_name",
            "name",
            "description",
            "actions",
            "handoffs",
            "requests_per_minute",
            "texts_per_recipient_per_day",
            "texts_per_conversation",
            "return_url",
            "unavailable_message",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "actions": forms.CheckboxSelectMultiple,
            "handoffs": forms.CheckboxSelectMultiple,
        }
        labels = {
            "requests_per_minute": "Requests per minute",
            "texts_per_recipient_per_day": "Texts to one number per day",
            "texts_per_conversation": "Texts per conversation",
            "return_url": "Return-to-agent URL",
            "unavailable_message": "Unavailable message",
        }
        help_texts = {
            "name": "Lowercase letters, digits and underscores, e.g. booking_bot.",
            "actions": "The send-text actions this agent is offered and may invoke.",
            "handoffs": "The destinations this agent may transfer calls to: its transfer_call "
            "tool offers them by name.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_choices(self, "actions", "handoffs")
        help_texts = {
            "requests_per_minute": (
                settings.API_REQUESTS_PER_MINUTE,
                "API requests each of its keys may make in any 60 seconds; past it the API "
                "answers 429.",
            ),
            "texts_per_recipient_per_day": (
                settings.TEXTS_PER_RECIPIENT_PER_DAY,
                "Text messages it may send to one number in any 24 hours, with all its keys; "
                "past it invoke answers 422 recipient_limit_reached.",
            ),
            "texts_per_conversation": (
                settings.TEXTS_PER_CONVERSATION,
                "Text messages it may send within one conversation (the conversation_id of "
                "the invoke); past it invoke answers 422 conversation_limit_reached.",
            ),
        }
        for name, (default, text) in help_texts.items():
            field = self.fields[name]
            field.widget.attrs["placeholder"] = str(default)
            field.help_text = f"{text} Blank: the default, {default}."
        if self.instance.has_retell_api_key and not self.kept_secret:
            self.fields["retell_api_key"].help_text = "Set — leave blank to keep it."


class ApiKeyForm(forms.Form):
    environment = forms.ChoiceField(choices=Environment.choices, initial=Environment.SANDBOX)
    label = forms.CharField(
        max_length=100, required=False, help_text="Optional: what the key is for."
    )
