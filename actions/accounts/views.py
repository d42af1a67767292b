"""The first run (the first Admin), and users and their roles (Admins only): create with an
invite link, change role, deactivate."""

from django.conf import settings
from django.contrib import messages as notices
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from actions.accounts import roles
from actions.accounts.forms import FirstAdminForm, UserCreateForm, UserEditForm
from actions.common.forms import error_summary
from actions.common.pages import paginate


def invite_link(request, user) -> str:
    """A one-time link where the user sets their password (Django's password-reset token:
    it stops working once used, after PASSWORD_RESET_TIMEOUT, or when they log in)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return request.build_absolute_uri(reverse("invite_accept", args=[uid, token]))


def _show_link(request, user):
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    context = {"invited": user, "link": invite_link(request, user), "timeout_days": days}
    return render(request, "users/invite.html", context)


def user_list(request):
    users = get_user_model().objects.prefetch_related("groups").order_by("username")
    page = paginate(request, users)
    rows = [(user, roles.role_of(user)) for user in page]
    return render(request, "users/list.html", {"page_obj": page, "rows": rows})


def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _show_link(request, form.save())
    context = {"form": form, "problems": error_summary(form), "roles": roles.ROLES}
    return render(request, "users/form.html", context)


def user_edit(request, pk):
    user = get_object_or_404(get_user_model(), pk=pk)
    if request.method == "POST" and request.POST.get("op") == "link":
        return _show_link(request, user)
    form = UserEditForm(request.POST or None, instance=user, editor=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        notices.success(request, f"Saved {user.get_username()}.")
        return redirect("user_list")
    context = {"form": form, "edited": user, "role": roles.role_of(user), "roles": roles.ROLES}
    context["problems"] = error_summary(form)
    return render(request, "users/form.html", context)


@login_not_required
def first_run(request):
    """Create the first admin account; once any user exists, the page sends a visitor to the
    login (or, logged in, home) — a bookmark of it never ends on an error page."""
    if get_user_model().objects.exists():
        if request.method == "POST":
            raise Http404("Switchboard already has an admin account.")
        return redirect("home" if request.user.is_authenticated else "login")
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
