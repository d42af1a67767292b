"""Roles: which page each role may open (every URL × every role), and links that follow."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import resolve, reverse

from actions.accounts import access, roles
from actions.models import Agent, ApiKey, Message, OptOut
from actions.urls import urlpatterns
from tests.factories import make_action, make_channel, make_handoff

pytestmark = pytest.mark.django_db

A, B, R = roles.ADMIN, roles.BUILDER, roles.REVIEWER
EVERYONE = {A, B, R, ""}  # "" is a user with no role
BUILDERS = {A, B}
READERS = {A, R}

# Every page of the builder, the roles that may open it, and how to ask for it.
PAGES = {
    "home": EVERYONE,
    "api_docs": EVERYONE,
    "action_list": BUILDERS,
    "action_create": BUILDERS,
    "action_preview": BUILDERS,
    "action_edit": BUILDERS,
    "action_preview_edit": BUILDERS,
    "action_duplicate": BUILDERS,
    "action_toggle": BUILDERS,
    "action_delete": BUILDERS,
    "action_try": BUILDERS,
    "channel_list": BUILDERS,
    "channel_create": BUILDERS,
    "channel_edit": BUILDERS,
    "channel_delete": BUILDERS,
    "channel_test": BUILDERS,
    "channel_restore": BUILDERS,
    "action_restore": BUILDERS,
    "handoff_restore": BUILDERS,
    "agent_restore": {A},
    "message_status": {A, B, R},
    "agent_list": {A},
    "agent_create": {A},
    "agent_edit": {A},
    "agent_connect": {A},
    "agent_delete": {A},
    "agent_key_create": {A},
    "agent_key_revoke": {A},
    "handoff_list": BUILDERS,
    "handoff_create": BUILDERS,
    "handoff_preview": BUILDERS,
    "handoff_log": READERS,
    "handoff_edit": BUILDERS,
    "handoff_simulate": BUILDERS,
    "handoff_preview_edit": BUILDERS,
    "handoff_duplicate": BUILDERS,
    "handoff_delete": BUILDERS,
    "sendlog_list": READERS,
    "sendlog_export": READERS,
    "message_detail": READERS,
    "sendlog_row": READERS,
    "message_resend": {A},
    "user_list": {A},
    "user_create": {A},
    "user_edit": {A},
    "config": {A},
    "config_export": {A},
    "config_import": {A},
    "consent_list": READERS,
    "consent_export": READERS,
    "optout_list": READERS,
    "optout_export": READERS,
    "optout_add": {A},
    "optout_import": {A},
    "optout_remove": {A},
}
# Pages anyone may reach, logged in or not: not part of the role policy.
PUBLIC = {"first_run", "healthz", "opt_in_policy"}
# Pages that only take a POST (GET answers 405 to those allowed).
POST_ONLY = {
    "action_duplicate",
    "action_toggle",
    "action_try",
    "channel_test",
    "handoff_duplicate",
    "handoff_simulate",
}


@pytest.fixture
def objects(admin_user):
    channel = make_channel()
    action = make_action(channel)
    handoff = make_handoff()
    agent = Agent.objects.create(name="front_desk")
    key, _ = ApiKey.issue(agent, "sandbox")
    optout = OptOut.objects.create(number="+447700900123", source="manual", reason="asked")
    message = Message.objects.create(
        to="+447700900123", sender="+15005550006", body="Hi", provider="console", status="failed"
    )
    # A second version of each, so that the first can be restored.
    versions = {}
    for kind, obj in (
        ("action", action),
        ("channel", channel),
        ("handoff", handoff),
        ("agent", agent),
    ):
        versions[kind] = obj.history.earliest().history_id
        setattr(obj, "help_text" if kind == "channel" else "description", "Changed since")
        obj.save()
    return {
        "version": versions,
        "pk": {
            "action": action.pk,
            "channel": channel.pk,
            "agent": agent.pk,
            "handoff": handoff.pk,
            "user": admin_user.pk,
            "optout": optout.pk,
        },
        "key_id": key.pk,
        "message_id": message.pk,
    }


def url_for(name: str, objects) -> str:
    pattern = next(p for p in urlpatterns if p.name == name)
    kwargs = {}
    if "<int:pk>" in str(pattern.pattern):
        kind = name.split("_")[0]
        kwargs["pk"] = objects["pk"][kind]
    if "key_id" in str(pattern.pattern):
        kwargs["key_id"] = objects["key_id"]
    if "message_id" in str(pattern.pattern):
        kwargs["message_id"] = objects["message_id"]
    if "<int:version>" in str(pattern.pattern):
        kwargs["version"] = objects["version"][name.split("_")[0]]
    return reverse(name, kwargs=kwargs)


def user_with(role: str, user_in_role, django_user_model):
    if role:
        return user_in_role(role, username=f"{role.lower()}_user")
    return django_user_model.objects.create_user(username="nobody", password="x" * 20)


def test_every_page_is_in_the_role_table():
    named = {p.name for p in urlpatterns if p.name}
    assert named - PUBLIC == set(PAGES)


def test_every_page_but_the_open_ones_names_its_permission():
    for pattern in urlpatterns:
        if pattern.name in PAGES and pattern.name not in ("home", "api_docs"):
            assert getattr(pattern.callback, "permissions", ()), pattern.name


@pytest.mark.parametrize("role", [A, B, R, ""])
def test_each_role_opens_exactly_its_pages(role, objects, client, user_in_role, django_user_model):
    client.force_login(user_with(role, user_in_role, django_user_model))
    wrong = []
    for name, allowed in PAGES.items():
        response = client.get(url_for(name, objects))
        if role in allowed:
            expected = {405} if name in POST_ONLY else {200, 302}
        else:
            expected = {403}
        if response.status_code not in expected:
            wrong.append((name, response.status_code, sorted(expected)))
    assert wrong == []


@pytest.mark.parametrize("role", [A, B, R])
def test_each_role_sees_only_links_it_may_follow(
    role, objects, client, user_in_role, django_user_model
):
    user = user_with(role, user_in_role, django_user_model)
    client.force_login(user)
    dead_links = []
    for name, allowed in PAGES.items():
        if role not in allowed or name in POST_ONLY or name.endswith("_export"):
            continue
        response = client.get(url_for(name, objects))
        if response.status_code != 200:
            continue
        for href in re.findall(r'href="(/[^"#?]*)', response.content.decode()):
            if href.startswith(("/static/", "/login/", "/logout/", "/admin/", "/api/v1/")):
                continue
            target = resolve(href).url_name
            if target not in PUBLIC and not access.may(user, target):
                dead_links.append((name, href))
    assert dead_links == []


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        (A, ["Actions", "Agents", "Send log", "Users", "Configuration"], []),
        (
            B,
            ["Actions", "Handoffs", "Channels"],
            ["Agents", "Send log", "Users", "Handoff log", "Configuration"],
        ),
        (
            R,
            ["Send log", "Handoff log"],
            ["Actions", "Channels", "Agents", "Users", "Configuration"],
        ),
    ],
)
def test_the_navigation_shows_each_role_its_sections(role, visible, hidden, client, user_in_role):
    client.force_login(user_in_role(role))
    nav = client.get("/").content.decode().split("</nav>")[0]
    for label in visible:
        assert f">{label}</a>" in nav
    for label in hidden:
        assert f">{label}</a>" not in nav


def test_a_forbidden_page_says_so_in_plain_words(client, reviewer_user):
    client.force_login(reviewer_user)
    response = client.get("/agents/")
    assert response.status_code == 403
    assert "Not for your role" in response.content.decode()


def test_the_migration_made_the_groups_from_the_role_table():
    for role in roles.ROLES:
        group = Group.objects.get(name=role)
        held = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        expected = {f"{p.content_type.app_label}.{p.codename}" for p in roles.permissions_of(role)}
        assert held == expected


def test_admins_hold_every_permission_of_the_app(user_in_role):
    admin = user_in_role(A)
    assert admin.has_perm("actions.view_unmasked_numbers")
    assert admin.has_perm("actions.resend_message")
    assert admin.has_perm("auth.add_user")
    assert admin.is_staff and not admin.is_superuser


def test_reviewers_read_and_export_but_never_see_full_numbers(reviewer_user):
    assert reviewer_user.has_perm("actions.view_message")
    assert reviewer_user.has_perm("actions.export_messages")
    assert not reviewer_user.has_perm("actions.view_unmasked_numbers")
    assert not reviewer_user.has_perm("actions.change_sendtextaction")


def test_a_demoted_superuser_loses_the_superuser_flag(admin_user):
    roles.set_role(admin_user, R)
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser and not admin_user.is_staff
    assert roles.role_of(admin_user) == R


def test_a_deleted_group_is_made_again_with_its_permissions(user_in_role):
    Group.objects.filter(name=R).delete()
    user = user_in_role(R)
    assert user.has_perm("actions.view_message")
