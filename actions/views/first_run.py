from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render

from actions import roles
from actions.forms import FirstAdminForm


@login_not_required
def first_run(request):
    """Create the first admin account; gone (404) as soon as any user exists."""
    if get_user_model().objects.exists():
        raise Http404("Switchboard already has an admin account.")
    form = FirstAdminForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if get_user_model().objects.select_for_update().exists():
                raise Http404("Switchboard already has an admin account.")
            user = form.save()
            roles.set_role(user, roles.ADMIN)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "first_run.html", {"form": form})
