from django.shortcuts import render


def section(template: str):
    """A page of the builder's navigation."""

    def view(request):
        return render(request, template)

    return view


def confirm(request, **context):
    """The confirmation page of a destructive action (its POST does the deed)."""
    return render(request, "confirm.html", context)


def unique_copy_name(model, name: str) -> str:
    """A free name for a duplicate: NAME_copy, then NAME_copy2, … (64 characters at most)."""
    base = f"{name[:57]}_copy"
    candidate, n = base, 2
    while model.objects.filter(name=candidate).exists():
        candidate, n = f"{base}{n}", n + 1
    return candidate
