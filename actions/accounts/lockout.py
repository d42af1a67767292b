"""The login page's answer once django-axes locks a username out at an address."""

import math

from axes.helpers import get_client_username, get_cool_off
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render

from actions.common.times import duration


def locked_out(request, original_response=None, credentials=None):
    """The login page again, saying why and for how long: 429 with Retry-After."""
    cool_off = get_cool_off(request)
    username = get_client_username(request, credentials) or ""
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": request.POST.get("next", request.GET.get("next", "")),
        "lockout": "Too many failed logins for this username from your address: try again in "
        f"{duration(cool_off)}.",
    }
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    return response
