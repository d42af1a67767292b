"""What every form of the builder shares: a field is marked invalid exactly while it shows an
error, and a failed save lists its errors at the top.

The renderer (`FORM_RENDERER`) gives every form `BoundField`: a form re-rendered without
validation (`form.quiet`: the method select, a parameter row added or removed) shows no
errors, and so no field is `aria-invalid` in it — choosing `invite` must not turn Phone and
Endpoint red before anyone typed in them. Each field's error slot has the id Django's own
`aria-describedby` names, `<auto_id>_error` (templates/_error.html); `static/js/fields.js`
keeps `aria-invalid` in step with the slot after live (htmx) validation.
"""

from dataclasses import dataclass

from django import forms
from django.forms import boundfield
from django.forms.renderers import DjangoTemplates

from actions.common import validation


class BoundField(boundfield.BoundField):
    @property
    def errors(self):
        if getattr(self.form, "quiet", False):
            return self.form.error_class(renderer=self.form.renderer)
        return super().errors


class FormRenderer(DjangoTemplates):
    bound_field_class = BoundField


@dataclass(frozen=True)
class Problem:
    """One line of the error summary: `target` is the id of the control the link focuses
    (empty: a problem of the whole form, not linked)."""

    message: str
    label: str = ""
    target: str = ""


def error_summary(form, extra=(), targets: dict | None = None, skip=()) -> list[Problem]:
    """The form's errors in page order — the whole form's first, then each field's, then
    `extra` (rows of a table the form reads itself) — for templates/_error_summary.html.
    `targets` names another element to link to for a field whose control is not on the page
    (the schema's JSON field while the table is shown); `skip` leaves out fields whose errors
    `extra` already tells, row by row."""
    if not form.is_bound or getattr(form, "quiet", False):
        return []
    problems = [Problem(str(message)) for message in form.non_field_errors()]
    for field in form:
        if field.name in skip:
            continue
        target = (targets or {}).get(field.name) or (
            "" if field.is_hidden else field.id_for_label or field.auto_id
        )
        problems += [Problem(str(m), str(field.label), target) for m in field.errors]
    return problems + list(extra)


# --- A write-only secret that survives another field's error -----------------------------------

KEPT_NOTE = (
    "The {label} you typed is kept for this save (it is not shown again). Type another to "
    "replace it."
)


class SecretMixin:
    """A form with one write-only secret (`write_only`: the form field; the model has
    `set_<secret>()` and `<secret>_encrypted`) and a `clear_<secret>` box.

    The secret is never rendered back. When a save fails on another field, what was typed is
    kept — encrypted, in the server-side session (`keep_secret`), never in the page — and used
    when the form is posted again with the field blank, so nothing typed is silently lost.
    """

    write_only = ""

    def __init__(self, *args, kept_secret: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.kept_secret = kept_secret
        if kept_secret:
            self._say_kept()

    def _say_kept(self) -> None:
        field = self.fields[self.write_only]
        field.help_text = KEPT_NOTE.format(label=str(field.label)[:1].lower() + field.label[1:])
        self[self.write_only].help_text = field.help_text  # a bound field copies it once made

    def clean(self):
        cleaned = super().clean()
        if cleaned.get(self.write_only):
            getattr(self.instance, f"set_{self.write_only}")(cleaned[self.write_only])
            self.kept_secret = getattr(self.instance, f"{self.write_only}_encrypted")
        elif cleaned.get(f"clear_{self.write_only}"):
            getattr(self.instance, f"set_{self.write_only}")("")
            self.kept_secret = ""
        elif self.kept_secret:
            setattr(self.instance, f"{self.write_only}_encrypted", self.kept_secret)
        return cleaned


def kept_secret(request) -> str:
    """The secret a failed save of this page kept (encrypted), or ""; a fresh page forgets it."""
    key = f"kept-secret:{request.path}"
    if request.method != "POST":
        request.session.pop(key, None)
        return ""
    return request.session.get(key, "")


def keep_secret(request, form) -> None:
    """After a save: keep the form's typed secret if the save failed, else forget it."""
    key = f"kept-secret:{request.path}"
    if form.is_valid() or not form.kept_secret:
        request.session.pop(key, None)
        return
    request.session[key] = form.kept_secret
    form._say_kept()


# --- A display name, and the identifier suggested from it ---------------------------------------


def choice_label(obj) -> str:
    """A related object as a select or a checkbox names it: `Customer notifications
    (customer_notifications)`, or the identifier alone when it has no display name."""
    return f"{obj.display_name} ({obj.name})" if obj.display_name else obj.name


def name_choices(form, *names: str) -> None:
    """The form's choices of channels, actions or handoffs name them by `choice_label`."""
    for name in names:
        form.fields[name].label_from_instance = choice_label


class NamedMixin:
    """A form of a `Named` object: its display name comes first, and the identifier (`name`)
    is suggested from it — as you type (static/js/identifier.js, until the identifier is typed
    in itself), and on save when the identifier is left blank."""

    identifier_help = "Lowercase letters, digits and underscores, e.g. customer_notifications."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        display = self.fields["display_name"]
        display.widget.attrs.update({"data-identifier-source": "", "autocomplete": "off"})
        identifier = self.fields["name"]
        identifier.label = "Identifier"
        identifier.required = False
        identifier.widget.attrs.update({"data-identifier": "", "autocomplete": "off"})
        identifier.help_text = (
            f"{self.identifier_help} Suggested from the display name; it cannot hold spaces."
        )

    def clean_name(self):
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            name = validation.identifier_from(self.data.get(self.add_prefix("display_name"), ""))
        if not name:
            raise forms.ValidationError(
                "Give it an identifier, or a display name to suggest one from."
            )
        return name
