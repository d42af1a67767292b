"""The handoff form (its SIP header rows) and the handoff log's filters."""

import re
from itertools import zip_longest

from django import forms

from actions.common.filters import DateRangeForm, choice_by_name
from actions.common.forms import NamedMixin, name_choices
from actions.handoffs import hours, sip, warm
from actions.models import (
    Encryption,
    Handoff,
    TransferOutcome,
)

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


HOURS_PREFIX = "hours_"
HOURS_INPUTS = ("time_zone", *hours.DAYS, "closed", "holidays")


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,;]+", text or "") if w]


class HoursWidget(forms.Widget):
    """Reads the opening-hours inputs (time zone, a line of ranges per day, closed dates, a
    holidays country); the template draws them."""

    def value_from_datadict(self, data, files, name):
        posted = {key: (data.get(HOURS_PREFIX + key) or "").strip() for key in HOURS_INPUTS}
        weekly = {day: _words(posted[day]) for day in hours.DAYS if posted[day]}
        if not (weekly or posted["closed"] or posted["holidays"]):
            return {}  # no hours: always open (a time zone alone means nothing)
        value = {"time_zone": posted["time_zone"], "weekly": weekly}
        if posted["closed"]:
            value["closed"] = _words(posted["closed"])
        if posted["holidays"]:
            value["holidays"] = posted["holidays"].upper()
        return value

    def value_omitted_from_data(self, data, files, name):
        # A form posted without the inputs (an older client) keeps the saved hours.
        return not any(HOURS_PREFIX + key in data for key in HOURS_INPUTS)


class HoursField(forms.Field):
    """The hours as handoffs/hours.py reads them; the model's clean() applies the rules."""

    widget = HoursWidget


def hours_inputs(value) -> dict:
    """The inputs' texts for saved (or posted) hours."""
    value = value if isinstance(value, dict) else {}
    weekly = value.get("weekly") if isinstance(value.get("weekly"), dict) else {}
    texts = {day: ", ".join(map(str, weekly.get(day) or [])) for day in hours.DAYS}
    return {
        "time_zone": value.get("time_zone") or "",
        **texts,
        "days": [(day, hours.DAY_NAMES[n], texts[day]) for n, day in enumerate(hours.DAYS)],
        "closed": ", ".join(map(str, value.get("closed") or [])),
        "holidays": value.get("holidays") or "",
    }


TRANSFER_PREFIX = "transfer_"
TRANSFER_INPUTS = ("mode", "summary_header", "whisper", "caller_id", "send_digits")


class TransferWidget(forms.Widget):
    """Reads the transfer inputs (mode, summary header, whisper, caller ID, digits)."""

    def value_from_datadict(self, data, files, name):
        posted = {k: (data.get(TRANSFER_PREFIX + k) or "").strip() for k in TRANSFER_INPUTS}
        value = {}
        if posted["mode"] == "warm":
            value["mode"] = "warm"
            value["summary_header"] = posted["summary_header"] or warm.DEFAULT_HEADER
            value["whisper"] = posted["whisper"] in ("on", "true", "1")
        elif posted["mode"] not in ("", "cold"):
            value["mode"] = posted["mode"]  # the model's check names it
        if posted["caller_id"]:
            value["caller_id"] = posted["caller_id"]
        if posted["send_digits"]:
            value["send_digits"] = posted["send_digits"]
        return value

    def value_omitted_from_data(self, data, files, name):
        return not any(TRANSFER_PREFIX + key in data for key in TRANSFER_INPUTS)


class TransferField(forms.Field):
    widget = TransferWidget


def transfer_inputs(value) -> dict:
    value = value if isinstance(value, dict) else {}
    return {
        "mode": value.get("mode") or "cold",
        "summary_header": value.get("summary_header") or warm.DEFAULT_HEADER,
        "whisper": bool(value.get("whisper")),
        "caller_id": value.get("caller_id") or "",
        "send_digits": value.get("send_digits") or "",
    }


class NamesField(forms.CharField):
    """Handoff names typed in order, separated by commas or spaces -> a list."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return _words(super().to_python(value))


FALLBACK_OUTCOMES = [
    (o.value, o.label) for o in TransferOutcome if o.value not in ("answered", "completed")
]


class HandoffForm(NamedMixin, forms.ModelForm):
    """A handoff destination. Every rule is the model's clean(), through full_clean()."""

    identifier_help = (
        "The destination name the agent uses, e.g. agent_queue: lowercase letters, digits and "
        "underscores."
    )

    sip_headers = SipHeadersField(label="SIP headers", required=False)
    hours = HoursField(label="Opening hours", required=False)
    fallbacks = NamesField(
        label="Fallbacks, in order",
        required=False,
        help_text="Other handoffs tried one after the other when a live transfer to this one "
        "does not connect, e.g. agent_queue, voicemail.",
    )
    transfer = TransferField(label="Transfer", required=False)
    fallback_on = forms.MultipleChoiceField(
        label="Move on to the next fallback when the transfer is",
        required=False,
        choices=FALLBACK_OUTCOMES,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Handoff
        fields = [
            "display_name",
            "name",
            "description",
            "is_default",
            "utterance",
            "method",
            "phone_number",
            "outbound_endpoint",
            "outbound_encryption",
            "sip_headers",
            "fallbacks",
            "fallback_on",
            "transfer",
            "hours",
            "after_hours",
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
            "after_hours": "After hours, offer",
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
        others = Handoff.objects.exclude(pk=self.instance.pk) if self.instance.pk else None
        if others is not None:
            self.fields["after_hours"].queryset = others
        self.fields["after_hours"].empty_label = "Nothing: say it is closed"
        name_choices(self, "after_hours")

    def transfer_inputs(self) -> dict:
        widget = self.fields["transfer"].widget
        if self.is_bound and not widget.value_omitted_from_data(self.data, None, "transfer"):
            return transfer_inputs(widget.value_from_datadict(self.data, None, "transfer"))
        return transfer_inputs(self.instance.transfer)

    def hours_inputs(self) -> dict:
        value = self.fields["hours"].widget.value_from_datadict(self.data, None, "hours")
        if not self.is_bound or self.fields["hours"].widget.value_omitted_from_data(
            self.data, None, "hours"
        ):
            value = self.instance.hours
        return hours_inputs(value)

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


class HandoffLogFilterForm(DateRangeForm):
    """The handoff log's filters, read from the query string."""

    handoff = choice_by_name(Handoff.objects.all(), "handoff")
    transfer = forms.ChoiceField(
        label="Transfer outcome",
        required=False,
        choices=[("", "Any transfer outcome"), *TransferOutcome.choices],
    )
    field_order = ["handoff", "transfer", "date_from", "date_to"]

    def filter(self, logs):
        """The entries matching the filters that are valid; an invalid one filters nothing."""
        self.is_valid()  # cleaned_data then holds the fields that are valid
        if self.cleaned_data.get("handoff"):
            logs = logs.filter(handoff=self.cleaned_data["handoff"])
        if self.cleaned_data.get("transfer"):
            logs = logs.filter(transfer_outcome=self.cleaned_data["transfer"])
        return self.filter_dates(logs)
