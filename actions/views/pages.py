from django.shortcuts import render


def home(request):
    return render(request, "home.html")


def section(template: str):
    """A page of the builder's navigation."""

    def view(request):
        return render(request, template)

    return view


def confirm(request, **context):
    """The confirmation page of a destructive action (its POST does the deed)."""
    return render(request, "confirm.html", context)
