"""The send log's filters."""

from django import forms
from django.core.exceptions import ValidationError

from actions.common.filters import DateRangeForm, choice_by_name
from actions.models import (
    Agent,
    Environment,
    Message,
    MessageStatus,
    MessagingChannel,
    SendTextAction,
)
from actions.sendlog import query


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
    tests = forms.ChoiceField(label="Origin", required=False, choices=query.TESTS_CHOICES)
    field_order = ["q", "status", "action", "agent", "channel", "environment", "tests"]

    def clean_q(self):
        text = self.cleaned_data["q"].strip()
        if text:
            try:
                query.search(Message.objects.none(), text)
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
            messages = query.search(messages, data["q"])
        messages = query.only_tests(messages, data.get("tests", ""))
        return self.filter_dates(messages)
