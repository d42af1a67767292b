"""Configuration as code in the browser: export, and import with a dry-run diff first."""

from datetime import UTC, datetime

from django import forms
from django.contrib import messages
from django.core import signing
from django.db import DatabaseError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat, pluralize
from django.views.decorators.http import require_http_methods, require_safe

from actions import configfile
from actions.configfile import preview as configpreview

# The summary of the last import, shown once on the configuration page.
DONE_KEY = "config_import_done"


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Configuration file",
        widget=forms.FileInput(attrs={"accept": ".yaml,.yml,application/yaml,text/yaml"}),
        error_messages={"required": "Choose a YAML file to import."},
    )
    prune = forms.BooleanField(
        label="Remove what the file does not mention",
        required=False,
        help_text="Channels, actions, handoffs and agents that are not in the file are deleted. "
        "Unticked, they stay as they are.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = f"YAML, at most {filesizeformat(configfile.MAX_BYTES)}."

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Refused by its size alone: a file too big is never read.
        if upload.size > configfile.MAX_BYTES:
            raise forms.ValidationError(
                f"“{upload.name}” is {filesizeformat(upload.size)}: a configuration file may be "
                f"at most {filesizeformat(configfile.MAX_BYTES)}."
            )
        try:
            return configpreview.read_text(upload.read(), upload.name)
        except configpreview.NotATextFile as error:
            raise forms.ValidationError(str(error)) from None


@require_safe
def config_page(request):
    """What configuration as code is, the Export button, the Import form; the last import."""
    done = request.session.pop(DONE_KEY, None)
    context = {"form": UploadForm(), "done": configpreview.done_items(done) if done else None}
    return render(request, "config/page.html", context)


@require_safe
def config_export(request):
    """The whole configuration as a YAML download."""
    now = datetime.now(UTC)
    response = HttpResponse(
        configfile.export_config(), content_type="application/yaml; charset=utf-8"
    )
    filename = f"switchboard-config-{now:%Y%m%dT%H%M%SZ}.yaml"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "POST"])
def config_import(request):
    """GET: the upload form. POST a file: the dry run. POST op=apply: apply what was shown."""
    if request.method == "GET":
        return render(request, "config/import.html", {"form": UploadForm()})
    if request.POST.get("op") == "apply":
        return apply(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "config/import.html", {"form": form})
    upload, prune = request.FILES["file"], form.cleaned_data["prune"]
    text = form.cleaned_data["file"]
    try:
        data = configfile.load(text)
        plan = configfile.plan(data, prune=prune)
    except configfile.ConfigError as error:
        return problems(request, form, error, filename=upload.name)
    return preview(request, text, data, plan, prune=prune, filename=upload.name)


def apply(request):
    try:
        sealed = configpreview.unseal(request.POST.get("payload", ""))
    except signing.BadSignature:
        context = {
            "form": UploadForm(),
            "error": "This import cannot be applied: its preview has expired or was altered. "
            "Upload the file again.",
        }
        return render(request, "config/import.html", context, status=400)
    text, prune, filename = sealed["text"], sealed["prune"], sealed["filename"]
    form = UploadForm(initial={"prune": prune})
    try:
        data = configfile.load(text)
        done = configpreview.apply_as_shown(
            data, prune=prune, shown=sealed["plan"], user=request.user
        )
    except configfile.ConfigError as error:
        return problems(request, form, error, filename=filename)
    except DatabaseError as error:
        context = {
            "form": form,
            "filename": filename,
            "error": f"Nothing was imported: the database refused a change ({error}).",
        }
        return render(request, "config/import.html", context)
    except configpreview.PlanChanged as changed:
        return preview(
            request, text, data, changed.plan, prune=prune, filename=filename, again=True
        )
    count = len(done.changes)
    messages.success(
        request,
        f"Imported “{filename}”: {count} change{pluralize(count)} applied."
        if count
        else f"Nothing to change: the deployment already matches “{filename}”.",
    )
    request.session[DONE_KEY] = configpreview.summary(done)
    return redirect("config")


def preview(request, text, data, plan, *, prune, filename, again=False):
    grouped = configpreview.items(plan)
    kept = [] if prune else kept_objects(data)
    context = {
        "form": UploadForm(initial={"prune": prune}),
        "filename": filename,
        "prune": prune,
        "plan": plan,
        "creates": grouped["create"],
        "updates": grouped["update"],
        "deletes": grouped["delete"],
        "summary": configpreview.sentence(grouped),
        "kept": kept,
        "again": again,
        "payload": ""
        if plan.is_empty
        else configpreview.seal(text, prune=prune, plan=plan, filename=filename),
    }
    return render(request, "config/import.html", context)


def kept_objects(data) -> list:
    """What the file does not mention and stays (what pruning would delete)."""
    try:
        pruned = configfile.plan(data, prune=True)
    except configfile.ConfigError:
        return []
    return configpreview.items(pruned)["delete"]


def problems(request, form, error, *, filename):
    """Every problem of the file, each with its place (and its line, when known)."""
    line_of = getattr(error, "line_of", lambda problem: None)
    listed = [(problem, line_of(problem)) for problem in error.problems]
    context = {"form": form, "filename": filename, "problems": listed}
    return render(request, "config/import.html", context)
