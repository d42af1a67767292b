"""What the log pages' filter forms share: a select of objects by name, and a date range."""

from django import forms

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
