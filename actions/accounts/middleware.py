"""First run: while no user exists, every page leads to the form that creates the first admin."""

from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.urls import reverse

# Machine-facing paths never redirect: they answer with their own status codes.
# A channel's public opt-in policy is for anyone (a carrier's reviewer): it never redirects.
EXEMPT_PREFIXES = ("/static/", "/healthz", "/api/", "/mcp", "/webhooks/", "/opt-in/")


class FirstRunMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            not request.user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
            and request.path != reverse("first_run")
            and not get_user_model().objects.exists()
        ):
            return redirect("first_run")
        return self.get_response(request)
