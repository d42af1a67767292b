"""Messaging channel forms."""

from django import forms

from actions.channels import senders
from actions.channels.senders import describe_rate
from actions.common.forms import NamedMixin, SecretMixin
from actions.common.validation import normalise_e164
from actions.models import (
    Environment,
    MessagingChannel,
)


class ChannelForm(NamedMixin, SecretMixin, forms.ModelForm):
    """A channel; the auth token is write-only: never rendered back, kept when left blank (and
    kept when the save fails on another field: SecretMixin)."""

    write_only = "auth_token"

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
            "display_name",
            "name",
            "provider",
            "sender",
            "sender_sandbox",
            "sender_pre_release",
            "sender_live",
            "messages_per_second",
            "messages_per_second_sandbox",
            "messages_per_second_pre_release",
            "messages_per_second_live",
            "default_country",
            "help_text",
            "stop_confirmation",
            "opt_in_policy",
            "account_sid",
        ]
        help_texts = {
            "sender_sandbox": "Optional: the sender used by sandbox API keys.",
            "sender_pre_release": "Optional: the sender used by pre-release API keys.",
            "sender_live": "Optional: the sender used by live API keys.",
        }
        widgets = {"opt_in_policy": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in MessagingChannel.RATE_FIELDS:
            self.fields[name].widget.attrs.update(
                {"step": "any", "min": senders.MIN_RATE, "max": senders.MAX_RATE}
            )
        if self.instance.sender:
            kind = senders.kind_of(self.instance.sender)
            now = describe_rate(self.instance.rate_for(""))
            advice = " — set its own rate" if kind in senders.CONFIGURABLE else ""
            self.fields[
                "messages_per_second"
            ].help_text += (
                f" This channel's sender is {senders.KIND_LABELS[kind]}: it sends {now}{advice}."
            )
        if self.instance.has_auth_token and not self.kept_secret:
            self.fields["auth_token"].help_text = "Set — leave blank to keep it."


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
