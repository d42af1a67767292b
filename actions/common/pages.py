"""What the builder's pages share: the page size, paging, the confirmation page (restoring an
earlier version is one), copy names."""

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from actions import audit

# Rows on one page of every list (the send log's keyset pages included).
PAGE_SIZE = 50


def paginate(request, rows) -> Page:
    """The page of `rows` that the request's ?page= asks for (the first when it is no page)."""
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def confirm(request, **context):
    """The confirmation page of a destructive action (its POST does the deed)."""
    return render(request, "confirm.html", context)


def restore_version(request, obj, version: int, edit_url: str):
    """Restore `obj` to an earlier version from its History: the confirmation shows what will
    change (now → then) and anything that stops it; its POST saves that version."""
    plan = audit.plan_restore(obj, version)
    if plan is None:
        raise Http404("No such version.")
    kind = obj._meta.verbose_name
    when = audit.when_text(plan.when)
    if request.method == "POST" and not plan.problems and plan.changes:
        audit.restore(plan)
        messages.success(request, f"Restored {kind} “{plan.obj.name}” to its version of {when}.")
        return redirect(edit_url)
    context = {
        "heading": f"Restore {kind} “{obj.name}” to its version of {when}?",
        "explanation": f"These go back to what they were on {when} (saved by {plan.who}):",
        "changes": plan.changes,
        "notes": plan.notes,
        "confirm_label": "Restore this version",
        "cancel_url": edit_url,
        "gentle": True,
    }
    if plan.problems:
        context["stopped"] = True
        context["blocked"] = plan.problems
        context["blocked_reason"] = "This version cannot be restored as it is:"
    elif not plan.changes:
        context["stopped"] = True
        context["blocked_reason"] = f"The {kind} is already as it was then: nothing to restore."
    return confirm(request, **context)


def unique_copy_name(model, name: str) -> str:
    """A free name for a duplicate: NAME_copy, then NAME_copy2, … (64 characters at most)."""
    base = f"{name[:57]}_copy"
    candidate, n = base, 2
    while model.objects.filter(name=candidate).exists():
        candidate, n = f"{base}{n}", n + 1
    return candidate
