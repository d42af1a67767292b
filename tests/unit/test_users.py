"""The users page: Admins create users with an invite link, set roles, deactivate."""

import re

import pytest
from django.contrib.auth.models import User

from actions.accounts import roles
from actions.accounts.forms import UserEditForm

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough pass phrase 42"


def invite_path(response) -> str:
    link = re.search(r'id="invite-link"[^>]*value="([^"]+)"', response.content.decode())
    assert link, "the page shows the invite link"
    return link.group(1).removeprefix("http://testserver")


def test_an_admin_creates_a_user_with_a_role_and_gets_an_invite_link(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/users/new/", {"username": "rita", "email": "rita@example.com", "role": roles.REVIEWER}
    )
    assert response.status_code == 200
    rita = User.objects.get(username="rita")
    assert roles.role_of(rita) == roles.REVIEWER
    assert not rita.has_usable_password()
    assert invite_path(response).startswith("/invite/")


def test_the_invited_user_chooses_a_password_and_is_logged_in(client, admin_user):
    client.force_login(admin_user)
    link = invite_path(client.post("/users/new/", {"username": "bob", "role": roles.BUILDER}))
    client.logout()

    form = client.get(link, follow=True)
    assert "Choose your password" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/"
    assert response.context["user"].username == "bob"
    assert User.objects.get(username="bob").check_password(PASSWORD)


def test_an_invite_link_works_only_once(client, admin_user):
    client.force_login(admin_user)
    link = invite_path(client.post("/users/new/", {"username": "bob", "role": roles.BUILDER}))
    client.logout()
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    client.logout()

    again = client.get(link, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_a_taken_username_is_refused_by_name(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/users/new/", {"username": "admin", "role": roles.REVIEWER})
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert User.objects.filter(username="admin").count() == 1
    # Named at the top of the form too, linked to its field.
    summary = response.content.decode().split('data-testid="error-summary"')[1]
    assert 'href="#id_username"' in summary.split("</div>")[0]


def test_an_admin_changes_a_users_role(client, admin_user, reviewer_user):
    client.force_login(admin_user)
    response = client.post(
        f"/users/{reviewer_user.pk}/", {"email": "", "is_active": "on", "role": roles.BUILDER}
    )
    assert response.status_code == 302
    reviewer_user.refresh_from_db()
    assert roles.role_of(reviewer_user) == roles.BUILDER
    assert list(reviewer_user.groups.values_list("name", flat=True)) == [roles.BUILDER]


def test_a_deactivated_user_can_no_longer_log_in(client, admin_user, reviewer_user):
    client.force_login(admin_user)
    client.post(f"/users/{reviewer_user.pk}/", {"email": "", "role": roles.REVIEWER})
    reviewer_user.refresh_from_db()
    assert not reviewer_user.is_active
    client.logout()
    login = {"username": "reviewer", "password": "correct horse battery staple"}
    response = client.post("/login/", login)
    assert "correct username and password" in response.text
    assert "_auth_user_id" not in client.session


def test_nobody_changes_their_own_role_or_deactivates_themselves(client, admin_user):
    client.force_login(admin_user)
    response = client.post(f"/users/{admin_user.pk}/", {"email": "", "role": roles.REVIEWER})
    errors = response.context["form"].errors
    assert "cannot change your own role" in errors["role"][0]
    assert "cannot deactivate yourself" in errors["is_active"][0]
    admin_user.refresh_from_db()
    assert admin_user.is_active and roles.role_of(admin_user) == roles.ADMIN


def test_one_of_two_admins_may_demote_the_other(client, admin_user, user_in_role):
    other = user_in_role(roles.ADMIN, username="other_admin")
    client.force_login(other)
    response = client.post(
        f"/users/{admin_user.pk}/", {"email": "", "is_active": "on", "role": roles.BUILDER}
    )
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert roles.role_of(admin_user) == roles.BUILDER
    assert roles.admin_count() == 1


def test_the_last_active_admin_cannot_be_demoted_by_another_user(admin_user, user_in_role):
    # A second Admin that is deactivated does not count.
    second = user_in_role(roles.ADMIN, username="second")
    User.objects.filter(pk=second.pk).update(is_active=False)
    assert roles.admin_count() == 1
    form = UserEditForm(
        {"email": "", "is_active": "on", "role": roles.REVIEWER},
        instance=User.objects.get(pk=admin_user.pk),
        editor=second,
    )
    assert not form.is_valid()
    assert "last active Admin" in form.errors["role"][0]


def test_the_users_page_lists_roles_and_invites(client, admin_user):
    client.force_login(admin_user)
    client.post("/users/new/", {"username": "pending", "role": roles.REVIEWER})
    page = client.get("/users/").content.decode()
    assert "pending" in page and "Invited" in page and "Reviewer" in page
    assert "(you)" in page


def test_a_fresh_password_link_for_an_existing_user(client, admin_user, reviewer_user):
    client.force_login(admin_user)
    response = client.post(f"/users/{reviewer_user.pk}/", {"op": "link"})
    assert invite_path(response).startswith("/invite/")
    reviewer_user.refresh_from_db()
    assert reviewer_user.check_password("correct horse battery staple")


def test_the_first_admin_made_at_setup_holds_the_admin_role(client):
    response = client.post(
        "/setup/", {"username": "first", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert roles.role_of(User.objects.get(username="first")) == roles.ADMIN
