from django.shortcuts import render


def home(request):
    return render(request, "home.html")


def section(template: str):
    """A page of the builder's navigation."""

    def view(request):
        return render(request, template)

    return view
