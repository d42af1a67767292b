"""The opt-outs: who may not be texted, from which sender — listed, searched, added and
removed by hand with a reason, imported and exported as CSV. Every change is in the audit
trail (OptOut's history: who, when, why).

What a STOP, a START or the provider adds and removes is in messaging/webhooks.py and
messaging/tasks.py; the check before every send is OptOut.BLOCKS_SQL (messaging/outbox.py).
"""

import csv
import io

from django import forms
from django.contrib import messages as notices
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from actions.common.pages import paginate
from actions.common.validation import normalise_e164, normalise_sender
from actions.models import MessagingChannel, OptOut, OptOutSource
from actions.sendlog import query
from actions.sendlog.export import Echo, defuse, filename, timestamp
from actions.sendlog.masking import mask_number

# An import is read whole before anything is written: at most this much of it.
MAX_IMPORT_BYTES = 1_000_000
MAX_IMPORT_ROWS = 10_000
EVERY_SENDER = ""
EXPORT_COLUMNS = ["number", "sender", "source", "reason", "created_at"]


def sender_choices() -> list[tuple[str, str]]:
    """Every sender the channels send from, and "every sender"."""
    choices = [(EVERY_SENDER, "Every sender")]
    seen = set()
    for channel in MessagingChannel.objects.order_by("name"):
        for field in MessagingChannel.SENDER_FIELDS:
            sender = getattr(channel, field)
            if sender and sender not in seen:
                seen.add(sender)
                choices.append((sender, f"{sender} ({channel.name})"))
    return choices


class OptOutForm(forms.Form):
    number = forms.CharField(
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "+15551234567", "inputmode": "tel"}),
    )
    sender = forms.ChoiceField(label="From", required=False)
    reason = forms.CharField(
        max_length=200,
        help_text="Why, for the audit trail: “asked by phone on 3 Dec”, “complaint”…",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sender"].choices = sender_choices()

    def clean_number(self):
        return normalise_e164(self.cleaned_data["number"])


class RemoveForm(forms.Form):
    reason = forms.CharField(
        max_length=200, help_text="Why it may be texted again, for the audit trail."
    )


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Number",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "In international format"}),
    )

    def clean_q(self):
        text = self.cleaned_data["q"].strip()
        return normalise_e164(text) if text else ""


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns number, sender (blank: every sender) and reason, with that header "
        f"line; at most {MAX_IMPORT_ROWS:,} rows. Nothing is added unless every row is right.",
    )


def optout_list(request):
    search = SearchForm(request.GET)
    rows = OptOut.objects.order_by("-created_at", "-id")
    if search.is_valid() and search.cleaned_data["q"]:
        rows = rows.filter(number=search.cleaned_data["q"])
    elif not search.is_valid():
        rows = rows.none()
    context = {
        "search": search,
        "page": paginate(request, rows),
        "form": OptOutForm(),
        "unmasked": query.can_see_numbers(request.user),
        "changes": OptOut.history.select_related("history_user").order_by("-history_date")[:20],
    }
    return render(request, "compliance/optouts.html", context)


def optout_add(request):
    form = OptOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        existing = OptOut.objects.filter(number=data["number"], sender=data["sender"]).first()
        if existing:
            notices.info(request, f"{mask_number(data['number'])} was already opted out.")
        else:
            optout = OptOut(
                number=data["number"],
                sender=data["sender"],
                source=OptOutSource.MANUAL,
                reason=data["reason"],
            )
            optout._change_reason = f"Added by hand: {data['reason']}"[:100]
            optout.save()
            notices.success(
                request, f"{mask_number(data['number'])} will not be texted from "
                f"{data['sender'] or 'any sender'}."
            )  # fmt: skip
        return redirect("optout_list")
    return render(
        request, "compliance/optouts.html",
        {"form": form, "search": SearchForm(), "page": paginate(request, OptOut.objects.none()),
         "unmasked": query.can_see_numbers(request.user), "changes": []},
    )  # fmt: skip


def optout_remove(request, pk):
    """Confirm, with a reason, then remove: the number may be texted again from that sender."""
    optout = get_object_or_404(OptOut, pk=pk)
    form = RemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        optout._change_reason = f"Removed by hand: {form.cleaned_data['reason']}"[:100]
        optout.delete()
        notices.success(request, f"{mask_number(optout.number)} may be texted again.")
        return redirect("optout_list")
    context = {
        "optout": optout,
        "form": form,
        "unmasked": query.can_see_numbers(request.user),
    }
    return render(request, "compliance/optout_remove.html", context)


def optout_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        rows, problems = read_import(form.cleaned_data["file"])
        if not problems:
            added = add_all(rows)
            notices.success(
                request,
                f"Imported {len(rows)} row(s): {added} new opt-out(s), "
                f"{len(rows) - added} already there.",
            )
            return redirect("optout_list")
    # Problems are the page's answer (200), as every form of the builder gives its errors.
    return render(request, "compliance/optout_import.html", {"form": form, "problems": problems})


def read_import(upload) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(number, sender, reason) of each row, or the problems, each naming its line and column."""
    if upload.size > MAX_IMPORT_BYTES:
        return [], [f"The file is larger than {MAX_IMPORT_BYTES // 1000:,} kB: split it."]
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], ["The file is not UTF-8 text: save it as CSV (UTF-8)."]
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "number" not in header:
        return [], ["Line 1: the header line needs a “number” column (and may have “sender” "
                    "and “reason”)."]  # fmt: skip
    reader.fieldnames = header
    rows, problems = [], []
    for line, row in enumerate(reader, start=2):
        if len(rows) + len(problems) >= MAX_IMPORT_ROWS:
            problems.append(f"More than {MAX_IMPORT_ROWS:,} rows: split the file.")
            break
        number, sender = (row.get("number") or "").strip(), (row.get("sender") or "").strip()
        reason = (row.get("reason") or "").strip()[:200] or "Imported"
        try:
            number = normalise_e164(number)
        except ValidationError as exc:
            problems.append(f"Line {line}, number: {exc.messages[0]}")
            continue
        if sender:
            try:
                sender = normalise_sender(sender)
            except ValidationError as exc:
                problems.append(f"Line {line}, sender: {exc.messages[0]}")
                continue
        rows.append((number, sender, reason))
    if not rows and not problems:
        problems.append("The file has no rows below its header line.")
    return rows, problems


def add_all(rows: list[tuple[str, str, str]]) -> int:
    """Add the rows not there yet, each with its audit record; the count added."""
    added = 0
    with transaction.atomic():
        for number, sender, reason in dict.fromkeys(rows):
            if OptOut.objects.filter(number=number, sender=sender).exists():
                continue
            optout = OptOut(number=number, sender=sender, source=OptOutSource.MANUAL, reason=reason)
            optout._change_reason = f"Imported: {reason}"[:100]
            optout.save()
            added += 1
    return added


def optout_export(request):
    unmasked = query.can_see_numbers(request.user)
    rows = OptOut.objects.order_by("-created_at", "-id")
    response = StreamingHttpResponse(_chunks(rows, unmasked), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename(stem="opt-outs")}"'
    return response


def _chunks(rows, unmasked: bool):
    writer = csv.writer(Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for optout in rows.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                defuse(optout.number if unmasked else mask_number(optout.number), "to"),
                defuse(optout.sender, "from"),
                optout.source,
                defuse(optout.reason),
                timestamp(optout.created_at),
            ]
        )


def opt_in_policy(request, name):
    """A channel's public opt-in policy, for a carrier registration to link to."""
    channel = get_object_or_404(MessagingChannel, name=name)
    if not channel.opt_in_policy.strip():
        return render(request, "compliance/opt_in.html", {"channel": None}, status=404)
    return render(request, "compliance/opt_in.html", {"channel": channel})
