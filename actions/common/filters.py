"""What the log pages' filter forms share: a select of objects by name, and a date range; and
the search of the builder's lists (channels, actions, handoffs, agents)."""

from django import forms
from django.db.models import Q

from actions.common.times import start_of_day


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
            start = start_of_day(data["date_from"])
            if start:
                rows = rows.filter(created_at__gte=start)
        if data.get("date_to"):
            end = start_of_day(data["date_to"], days=1)
            if end:
                rows = rows.filter(created_at__lt=end)
        return rows


class NameSearchForm(forms.Form):
    """A list's search box: ?q= finds the objects whose display name, identifier or other
    `fields` (a description, a sender) contain the words, in any case."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def __init__(self, data, *, placeholder: str):
        super().__init__(data)
        self.fields["q"].widget.attrs["placeholder"] = placeholder

    @property
    def text(self) -> str:
        return self.cleaned_data.get("q", "").strip() if self.is_valid() else ""

    def filter(self, rows, *fields):
        for word in self.text.split()[:10]:
            match = Q()
            for name in ("name", "display_name", *fields):
                match |= Q(**{f"{name}__icontains": word})
            rows = rows.filter(match)
        return rows
