"""Send-text action pages: list, the form with its parameter table and live preview, duplicate,
enable/disable, delete, Try it; and the status of a message the builder sent, polled."""

import json
import uuid

from django.contrib import messages
from django.db import transaction
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from actions import audit
from actions.api.errors import ApiError
from actions.api.invoke import send_action
from actions.common.filters import NameSearchForm
from actions.common.forms import Problem, error_summary
from actions.common.pages import confirm, paginate, restore_version, unique_copy_name
from actions.messaging import parameter_table, preview, schemas
from actions.messaging.forms import SendTextActionForm
from actions.models import Environment, Message, SendTextAction
from actions.sendlog import detail

ROW_FIELDS = ("name", "type", "description", "required", "format", "pattern", "choices")


def action_list(request):
    search = NameSearchForm(request.GET, placeholder="Name, identifier or description")
    actions = search.filter(SendTextAction.objects.select_related("channel"), "description")
    page = paginate(request, actions)
    context = {"page": page, "actions": page.object_list, "search": search}
    return render(request, "actions/list.html", context)


def action_form(request, pk=None):
    """Create or edit an action; the table and JSON-mode buttons re-render without saving."""
    action = get_object_or_404(SendTextAction, pk=pk) if pk else SendTextAction()
    op = request.POST.get("op", "")
    note = ""
    if request.method == "POST" and op == "try" and pk:  # the Try it button, without htmx
        return action_try(request, pk)
    if request.method == "POST" and op:
        data, note = apply_op(request.POST, op)
        form = SendTextActionForm(data, instance=action)
        context = page_context(request, form, action, quiet=True, note=note)
        if request.htmx:
            return render(request, "actions/form.html#params", context)
        context["history"] = audit.history_of(action) if pk else None
        return render(request, "actions/form.html", context)

    form = SendTextActionForm(request.POST or None, instance=action)
    if request.method == "POST" and form.is_valid():
        action = form.save()
        messages.success(request, f"Action “{action.name}” saved.")
        return redirect("action_edit", pk=action.pk)
    context = page_context(request, form, action)
    context["history"] = audit.history_of(action) if pk else None
    return render(request, "actions/form.html", context)


def action_preview(request, pk=None):
    """Validate the form as typed and answer the preview, with every field's errors (htmx)."""
    action = get_object_or_404(SendTextAction, pk=pk) if pk else SendTextAction()
    form = SendTextActionForm(request.POST or None, instance=action)
    if form.is_bound:
        form.is_valid()
    context = page_context(request, form, form.instance, posted=request.POST)
    context["oob"] = True
    return render(request, "actions/form.html#preview-response", context)


def page_context(request, form, action, *, quiet=False, note="", posted=None) -> dict:
    form.quiet = quiet
    for row in form.rows:
        row.quiet = quiet
    schema_ok = form.is_bound and not quiet and "parameters_schema" not in form.errors
    if not form.is_bound:
        schema_ok = True
    if quiet:
        schema_ok = False
    effective = action.effective_schema() if schema_ok else schemas.EMPTY_SCHEMA
    samples = preview.sample_fields(effective, posted)
    contact = (posted or {}).get("sample_contact", preview.SAMPLE_CONTACT)
    variables_text = (posted or {}).get("sample_variables") or preview.sample_variables(action)
    try:
        variables = json.loads(variables_text or "{}")
        variables_error = "" if isinstance(variables, dict) else "Variables must be a JSON object."
    except json.JSONDecodeError as exc:
        variables, variables_error = {}, f"Not valid JSON: {exc.msg}."
    if not isinstance(variables, dict):
        variables = {}
    sig = preview.signature(effective)
    omit_optional = bool((posted or {}).get("sample_omit_optional"))
    result = None
    if not quiet:
        parameters = preview.sample_parameters(samples, omit_optional)
        result = preview.build(action, parameters, contact, variables, schema_ok)
    return {
        "form": form,
        "action": action,
        "quiet": quiet,
        "problems": error_summary(form, row_problems(form), targets=summary_targets(form)),
        "note": note or form.table_note,
        "samples": samples,
        "sample_contact": contact,
        "sample_variables": variables_text,
        "omit_optional": omit_optional,
        "variables_error": variables_error,
        "signature": sig,
        "samples_changed": posted is not None and posted.get("sample_signature") != sig,
        "preview": result,
        "types": parameter_table.TYPES,
        "formats": parameter_table.FORMATS,
        "row_fields": ROW_FIELDS,
        "environments": Environment.choices,
    }


def row_problems(form) -> list[Problem]:
    """The parameter table's errors, each linking to its cell."""
    if form.mode != "table" or not form.is_bound:
        return []
    return [
        Problem(str(message), f"Parameter {number} {field.label.lower()}", field.auto_id)
        for number, row in enumerate(form.rows, start=1)
        for field in row
        for message in field.errors
    ]


def summary_targets(form) -> dict:
    # In table mode the schema has no field of its own on the page: link to the table.
    return {"parameters_schema": "params"} if form.mode == "table" else {}


def read_rows(data: QueryDict) -> list[dict]:
    try:
        total = min(int(data.get("params-TOTAL_FORMS", 0)), 100)
    except ValueError:
        total = 0
    return [{f: data.get(f"params-{i}-{f}", "") for f in ROW_FIELDS} for i in range(total)]


def write_rows(data: QueryDict, rows: list[dict]) -> None:
    for key in [k for k in data if k.startswith("params-") and "FORMS" not in k]:
        del data[key]
    for i, row in enumerate(rows):
        for f in ROW_FIELDS:
            if f == "required" and not row.get(f):
                continue
            data[f"params-{i}-{f}"] = row.get(f, "")
    data["params-TOTAL_FORMS"] = str(len(rows))
    data["params-INITIAL_FORMS"] = "0"


def to_row(raw: dict) -> parameter_table.ParameterRow:
    return parameter_table.ParameterRow(
        name=raw["name"].strip(),
        type=raw["type"] or "text",
        description=raw["description"].strip(),
        required=bool(raw["required"]),
        format=raw["format"],
        pattern=raw["pattern"].strip(),
        choices=raw["choices"],
    )


def apply_op(posted: QueryDict, op: str) -> tuple[QueryDict, str]:
    """Add or remove a table row, or switch between the table and JSON: nothing is saved."""
    data = posted.copy()
    rows = read_rows(data)
    note = ""
    if op == "add_row":
        rows.append({"name": "", "type": "text", "required": "on"})
    elif op.startswith("remove_row:"):
        index = op.partition(":")[2]
        if index.isdigit() and int(index) < len(rows):
            del rows[int(index)]
    elif op == "to_json":
        filled = [to_row(r) for r in rows if r["name"] or r["description"]]
        problems = parameter_table.check_rows(filled)
        if problems:
            note = "Correct the parameters in the table before switching to JSON."
        else:
            data["parameters_schema"] = schemas.dumps(parameter_table.schema_from_rows(filled))
            data["schema_mode"] = "json"
    elif op == "to_table":
        try:
            schema = json.loads(data.get("parameters_schema") or "")
        except json.JSONDecodeError:
            schema, why = None, "it is not valid JSON"
        else:
            table, why = parameter_table.rows_from_schema(schema)
        if schema is None or table is None:
            note = f"The table cannot show this schema because {why}; it stays in JSON."
        else:
            rows = [r.as_dict() for r in table]
            for row in rows:
                row["required"] = "on" if row["required"] else ""
            data["schema_mode"] = "table"
    write_rows(data, rows)
    return data, note


@require_POST
def action_duplicate(request, pk):
    original = get_object_or_404(SendTextAction, pk=pk)
    copy = SendTextAction.objects.get(pk=pk)
    copy.pk = None
    copy.name = unique_copy_name(SendTextAction, original.name)
    copy.enabled = False
    copy._change_reason = f"Duplicated from {original.name}"
    with transaction.atomic():
        copy.save()
    messages.success(
        request, f"Duplicated “{original.name}” as “{copy.name}” (disabled until you enable it)."
    )
    return redirect("action_edit", pk=copy.pk)


@require_POST
def action_toggle(request, pk):
    action = get_object_or_404(SendTextAction, pk=pk)
    action.enabled = not action.enabled
    action._change_reason = "Enabled" if action.enabled else "Disabled"
    action.save(update_fields=["enabled", "updated_at"])
    state = "enabled" if action.enabled else "disabled"
    messages.success(request, f"Action “{action.name}” {state}.")
    if request.POST.get("next") == "edit":
        return redirect("action_edit", pk=action.pk)
    return redirect("action_list")


def action_delete(request, pk):
    action = get_object_or_404(SendTextAction, pk=pk)
    if request.method == "POST":
        action.delete()
        messages.success(request, f"Action “{action.name}” deleted.")
        return redirect("action_list")
    return confirm(
        request,
        heading=f"Delete action “{action.name}”?",
        explanation=f"Agents will no longer be offered {action.name}, and calls to it will be "
        "refused. Messages it already sent stay in the send log.",
        confirm_label="Delete action",
        cancel_url=reverse("action_edit", args=[action.pk]),
    )


@require_POST
def action_try(request, pk):
    """Invoke the saved action as an agent would, for real, with the preview's sample values."""
    action = get_object_or_404(SendTextAction.objects.select_related("channel"), pk=pk)
    environment = request.POST.get("try_environment", "sandbox")
    if environment not in Environment.values:
        environment = Environment.SANDBOX
    samples = preview.sample_fields(action.effective_schema(), request.POST)
    try:
        variables = json.loads(request.POST.get("sample_variables") or "{}")
    except json.JSONDecodeError:
        variables = "(not valid JSON)"
    body = {
        "conversation_id": f"try-{uuid.uuid4().hex[:12]}",
        "contact": {"phone_number": request.POST.get("sample_contact", "")},
        "variables": variables,
        "parameters": preview.sample_parameters(
            samples, bool(request.POST.get("sample_omit_optional"))
        ),
    }
    message = None
    try:
        answer = send_action(action, body, agent=None, environment=environment, is_test=True)
        status = 202
        message = Message.objects.get(pk=answer["id"])
    except ApiError as exc:
        answer, status = exc.payload(), exc.status
    context = {
        "action": action,
        "try_status": status,
        "try_request": json.dumps(body, indent=2, ensure_ascii=False),
        "try_answer": json.dumps(answer, indent=2, ensure_ascii=False),
        **detail.status_context(message, request.user),
    }
    template = "actions/try_result.html" if request.htmx else "actions/try_page.html"
    return render(request, template, context)


def message_status(request, message_id):
    """A message's status: the fragment the builder polls, or a small page without htmx."""
    message = get_object_or_404(Message, pk=message_id)
    template = "_message_status.html" if request.htmx else "message_status.html"
    return render(request, template, detail.status_context(message, request.user))


def action_restore(request, pk, version):
    """Restore the action to an earlier version from its History, after a confirmation."""
    action = get_object_or_404(SendTextAction, pk=pk)
    return restore_version(request, action, version, reverse("action_edit", args=[pk]))
