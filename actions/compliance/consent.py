"""The consent ledger: each consented send's evidence, listed and exported as CSV.

Records are written with their message (messaging/outbox.py); this module only reads them.
Numbers are masked for users without the permission to see them, on the page and in the file.
"""

import csv

from django import forms
from django.db.models import Q
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from actions.common.filters import DateRangeForm
from actions.common.pages import paginate
from actions.common.validation import looks_like_phone_number, normalise_e164
from actions.models import ConsentRecord
from actions.sendlog import query
from actions.sendlog.export import Echo, defuse, filename, timestamp
from actions.sendlog.masking import mask_number

COLUMNS = [
    "created_at", "conversation_id", "action", "agent", "channel", "sender", "number",
    "environment", "test", "consent_reported", "consent_prompt", "message_id",
]  # fmt: skip
BATCH_SIZE = 2000


class ConsentFilterForm(DateRangeForm):
    q = forms.CharField(
        label="Number or conversation",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "A number or a conversation id"}
        ),
    )

    def clean_q(self):
        """A number is read as everywhere else (`normalise_e164`); other text is a
        conversation id."""
        text = self.cleaned_data["q"].strip()
        return normalise_e164(text) if looks_like_phone_number(text) else text

    def filter(self, rows):
        if not self.is_valid():
            return rows.none()
        rows = self.filter_dates(rows)
        if text := self.cleaned_data["q"]:
            rows = rows.filter(Q(number=text) | Q(conversation_id=text))
        return rows


def consent_list(request):
    form = ConsentFilterForm(request.GET)
    page = paginate(request, form.filter(ConsentRecord.objects.all()))
    context = {
        "form": form,
        "page": page,
        "unmasked": query.can_see_numbers(request.user),
        "filtered": any(request.GET.get(name) for name in form.fields),
    }
    return render(request, "compliance/consent.html", context)


def consent_export(request):
    """The filtered ledger as CSV, newest first, numbers masked unless the user may see them."""
    form = ConsentFilterForm(request.GET)
    if not form.is_valid():
        lines = ["The consent ledger was not exported: correct these filters, then export again."]
        lines += [f"{form[n].label} ({n}): {' '.join(e)}" for n, e in form.errors.items()]
        return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain")
    rows = form.filter(ConsentRecord.objects.all()).order_by("-created_at", "-id")
    unmasked = query.can_see_numbers(request.user)
    response = StreamingHttpResponse(_chunks(rows, unmasked), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename(stem="consent")}"'
    return response


def _chunks(rows, unmasked: bool):
    writer = csv.writer(Echo())
    yield writer.writerow(COLUMNS)
    for record in rows.iterator(chunk_size=BATCH_SIZE):
        yield writer.writerow(cells(record, unmasked))


def cells(record: ConsentRecord, unmasked: bool) -> list[str]:
    values = [
        timestamp(record.created_at),
        record.conversation_id,
        record.action_name,
        record.agent_name,
        record.channel_name,
        record.sender,
        record.number if unmasked else mask_number(record.number),
        record.environment,
        "true" if record.is_test else "false",
        _reported(record.reported),
        record.prompt,
        str(record.message_id or ""),
    ]
    # A number stays a number (defuse knows the send log's number columns by their names).
    kinds = {"number": "to", "sender": "from"}
    return [defuse(v, kinds.get(c, c)) for v, c in zip(values, COLUMNS, strict=True)]


def _reported(value) -> str:
    """The consent parameter as the agent sent it: true, false, or what else it was."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
