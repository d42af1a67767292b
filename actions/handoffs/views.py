"""Handoff pages: list, the form with its method-specific fields and live preview, duplicate,
delete; and the handoff log."""

import json

from django.contrib import messages
from django.db.models import ProtectedError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_POST

from actions import audit
from actions.common.filters import NameSearchForm
from actions.common.forms import Problem, error_summary
from actions.common.htmx import HtmxHttpRequest
from actions.common.pages import confirm, paginate, restore_version, unique_copy_name
from actions.handoffs import simulate, sip
from actions.handoffs.forms import HEADER_KEY, HEADER_VALUE, HandoffForm, HandoffLogFilterForm
from actions.models import Environment, Handoff, HandoffLog

# The fields each SIP method uses; the form shows only these (see method_fields()).
SIP_FIELDS = ("phone_number", "outbound_endpoint", "outbound_encryption")
METHOD_FIELDS = {
    "invite": SIP_FIELDS,
    "refer": ("phone_number",),
    "bye": (),
}


def handoff_list(request):
    search = NameSearchForm(request.GET, placeholder="Name, identifier, description or number")
    handoffs = search.filter(
        Handoff.objects.prefetch_related("agents", "fallback_for"), "description", "phone_number"
    )
    page = paginate(request, handoffs)
    context = {"page": page, "handoffs": page.object_list, "search": search}
    return render(request, "handoffs/list.html", context)


def handoff_form(request: HtmxHttpRequest, pk=None):
    """Create or edit a handoff; the method select and the header buttons re-render unsaved."""
    handoff = get_object_or_404(Handoff, pk=pk) if pk else Handoff()
    saved_name, saved_label = handoff.name, handoff.label
    op = request.POST.get("op", "")
    if request.method == "POST" and op:
        form = HandoffForm(apply_op(request.POST, op), instance=handoff)
        context = page_context(request, form, handoff, saved_name, quiet=True)
        context["saved_label"] = saved_label
        if request.htmx:
            context["oob_preview"] = True
            part = "method-fields" if op == "method" else "headers"
            return render(request, f"handoffs/form.html#{part}-response", context)
        context["history"] = audit.history_of(handoff) if pk else None
        return render(request, "handoffs/form.html", context)

    form = HandoffForm(request.POST or None, instance=handoff)
    if request.method == "POST" and form.is_valid():
        previous = Handoff.objects.filter(is_default=True).exclude(pk=handoff.pk).first()
        handoff = form.save()
        note = ""
        if handoff.is_default and previous:
            note = f" It is now the default handoff, instead of “{previous.name}”."
        messages.success(request, f"Handoff “{handoff.name}” saved.{note}")
        return redirect("handoff_edit", pk=handoff.pk)
    context = page_context(request, form, handoff, saved_name)
    context["saved_label"] = saved_label
    context["history"] = audit.history_of(handoff) if pk else None
    return render(request, "handoffs/form.html", context)


@require_POST
def handoff_simulate(request, pk):
    """Try the saved handoff without a real call: the chosen transfer outcome's steps."""
    handoff = get_object_or_404(Handoff, pk=pk)
    outcome = request.POST.get("outcome", "busy")
    if outcome not in dict(simulate.OUTCOMES):
        outcome = "busy"
    context = {"handoff": handoff, "simulation": simulate.simulate(handoff, outcome)}
    return render(request, "handoffs/simulation.html", context)


def handoff_preview(request, pk=None):
    """The preview of the form as typed, with every field's errors (htmx, on each edit)."""
    if request.method != "POST":
        return redirect("handoff_edit", pk=pk) if pk else redirect("handoff_create")
    handoff = get_object_or_404(Handoff, pk=pk) if pk else Handoff()
    form = HandoffForm(request.POST, instance=handoff)
    context = page_context(request, form, handoff, handoff.name)
    # Only the error slots that are on the page: a method's fields are there when posted.
    context["oob_fields"] = [
        form[name]
        for name in form.fields
        if name != "sip_headers" and (name not in SIP_FIELDS or name in request.POST)
    ]
    return render(request, "handoffs/form.html#preview-response", context)


# Fields read from inputs of their own: the summary links to the first of them.
SUMMARY_TARGETS = {
    "transfer": "transfer_mode",
    "hours": "hours_time_zone",
    "sip_headers": "sip-headers",
}


def page_context(request, form, handoff, saved_name, *, quiet=False) -> dict:
    form.quiet = quiet
    header_rows, header_errors = form.header_rows()
    header_problems = [Problem(message, "SIP headers", "sip-headers") for message in header_errors]
    header_problems += [
        Problem(message, "", f"header-key-{number - 1}")  # the message names its header
        for number, row in enumerate(header_rows, start=1)
        for message in row["errors"]
    ]
    return {
        "form": form,
        "handoff": handoff,
        "saved_name": saved_name,
        "quiet": quiet,
        "problems": error_summary(
            form, header_problems, targets=SUMMARY_TARGETS, skip=("sip_headers",)
        ),
        "form_url": (
            reverse("handoff_edit", args=[handoff.pk]) if handoff.pk else reverse("handoff_create")
        ),
        "shown": method_fields(form, quiet),
        "method": form["method"].value(),
        "header_rows": header_rows,
        "header_errors": header_errors,
        "header_warnings": form.header_warnings(),
        "max_headers": sip.MAX_HEADERS,
        "preview": build_preview(form),
        "simulate_outcomes": simulate.OUTCOMES,
    }


def method_fields(form, quiet: bool) -> list[str]:
    """The chosen method's fields, and any other that has an error to show (posted without JS)."""
    shown = METHOD_FIELDS.get(form["method"].value(), ())
    with_errors = form.is_bound and not quiet and set(form.errors)
    return [name for name in SIP_FIELDS if name in shown or (with_errors and name in with_errors)]


def apply_op(posted: QueryDict, op: str) -> QueryDict:
    """Switch the method's fields, or add or remove a header row: nothing is saved."""
    data = posted.copy()
    if op == "method":
        # The other methods' fields leave the page, so their values leave the form too.
        kept = METHOD_FIELDS.get(data.get("method"), ())
        for name in SIP_FIELDS:
            if name not in kept and name in data:
                del data[name]
        return data
    keys, values = data.getlist(HEADER_KEY), data.getlist(HEADER_VALUE)
    values += [""] * (len(keys) - len(values))
    keys += [""] * (len(values) - len(keys))
    if op == "add_header":
        keys.append("")
        values.append("")
    elif op.startswith("remove_header:"):
        index = op.partition(":")[2]
        if index.isdigit() and int(index) < len(keys):
            del keys[int(index)], values[int(index)]
    data.setlist(HEADER_KEY, keys)
    data.setlist(HEADER_VALUE, values)
    return data


def build_preview(form) -> dict | None:
    """The instruction and TwiML of the handoff as typed, or why there are none yet."""
    if not form.is_bound and not form.instance.pk:
        return None
    if form.is_bound and not form.is_valid():
        errors = []
        for name, field_errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            errors += [f"{label}: {e}" if label else e for e in field_errors]
        return {"errors": errors}
    handoff = form.instance
    preview = {
        "instruction": json.dumps(handoff.instruction(), indent=2, ensure_ascii=False),
        "twiml": handoff.twiml(),
        "say": sip.say(handoff),
    }
    if handoff.method == "refer":
        preview["twiml_phone"] = handoff.twiml(sip_leg=False)
    return preview


@require_POST
def handoff_duplicate(request, pk):
    original = get_object_or_404(Handoff, pk=pk)
    copy = Handoff.objects.get(pk=pk)
    copy.pk = None
    copy._state.adding = True
    copy.name = unique_copy_name(Handoff, original.name)
    copy.is_default = False  # at most one default: the copy never takes it over
    copy._change_reason = f"Duplicated from {original.name}"
    copy.save()
    messages.success(request, f"Duplicated “{original.name}” as “{copy.name}” (not the default).")
    return redirect("handoff_edit", pk=copy.pk)


def handoff_delete(request, pk):
    handoff = get_object_or_404(Handoff, pk=pk)
    used_by = handoff.used_by()
    if request.method == "POST" and not used_by:
        try:
            handoff.delete()
        except ProtectedError:  # an action took it as its fallback since the page was shown
            return redirect("handoff_delete", pk=pk)
        messages.success(request, f"Handoff “{handoff.name}” deleted.")
        return redirect("handoff_list")
    explanation = "Agents can no longer transfer calls to it. Its entries in the handoff log stay."
    if handoff.is_default:
        explanation += (
            " It is the default handoff: transfers that name no destination will have none "
            "until you make another handoff the default."
        )
    count = len(used_by)
    return confirm(
        request,
        heading=f"Delete handoff “{handoff.name}”?",
        explanation=explanation,
        confirm_label="Delete handoff",
        cancel_url=reverse("handoff_edit", args=[handoff.pk]),
        blocked=used_by,
        blocked_reason=f"This handoff cannot be deleted: {count} agent{pluralize(count)} or "
        f"action{pluralize(count)} use{'s' if count == 1 else ''} it. Remove it from "
        f"{'it' if count == 1 else 'them'} first.",
    )


def handoff_log(request):
    """Every handoff invocation, newest first; the filters live in the query string."""
    form = HandoffLogFilterForm(request.GET)
    logs = form.filter(HandoffLog.objects.all())
    page = paginate(request, logs)
    environments = dict(Environment.choices)
    for log in page.object_list:
        log.instruction_json = json.dumps(log.instruction, indent=2, ensure_ascii=False)
        log.variables_json = json.dumps(log.variables, indent=2, ensure_ascii=False)
        log.environment_label = environments.get(log.environment, log.environment)
    filtered = any(request.GET.get(name) for name in form.fields)
    context = {"form": form, "page": page, "logs": page.object_list, "filtered": filtered}
    return render(request, "handoffs/log.html", context)


def handoff_restore(request, pk, version):
    """Restore the handoff to an earlier version from its History, after a confirmation."""
    handoff = get_object_or_404(Handoff, pk=pk)
    return restore_version(request, handoff, version, reverse("handoff_edit", args=[pk]))
