"""The three roles: Django groups holding permissions, created by a migration.

- Admin: everything, including users, agents and API keys, full numbers, export, resend.
- Builder: channels, actions (and trying them), handoffs.
- Reviewer: reads the send log, the handoff log, the consent ledger and the opt-outs,
  numbers masked; may export (masked).

Pages check permissions, never group names, so a deployment can tailor a group in the
Django admin. ROLES is the table the migration was written from; a test keeps the two equal.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

ADMIN, BUILDER, REVIEWER = "Admin", "Builder", "Reviewer"


def _crud(model: str) -> list[str]:
    return [f"actions.{verb}_{model}" for verb in ("view", "add", "change", "delete")]


BUILDER_PERMISSIONS = [
    *_crud("sendtextaction"),
    "actions.try_action",
    *_crud("messagingchannel"),
    *_crud("handoff"),
]
REVIEWER_PERMISSIONS = [
    "actions.view_message",
    "actions.view_messageevent",
    "actions.view_handofflog",
    "actions.export_messages",
    "actions.view_consentrecord",
    "actions.view_optout",
]
# The Admin group holds every permission of these apps.
ADMIN_APPS = ("actions", "auth")

ROLES = {
    ADMIN: "Everything: users, agents and API keys, full phone numbers, export and resend.",
    BUILDER: "Builds channels, actions and handoffs, and tries actions.",
    REVIEWER: "Reads the send log and the handoff log; phone numbers masked.",
}


def permissions_of(role: str, permission_model=Permission):
    """The permission rows a role's group should hold."""
    if role == ADMIN:
        return permission_model.objects.filter(content_type__app_label__in=ADMIN_APPS)
    names = BUILDER_PERMISSIONS if role == BUILDER else REVIEWER_PERMISSIONS
    wanted = [tuple(name.split(".", 1)) for name in names]
    found = list(
        permission_model.objects.filter(
            content_type__app_label__in={app for app, _ in wanted},
            codename__in={codename for _, codename in wanted},
        )
    )
    missing = set(names) - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise LookupError(f"permissions not found: {', '.join(sorted(missing))}")
    return found


def grant_admin_everything(using="default", **kwargs) -> None:
    """After each migrate: the Admin group gains any permission added since (Admin is
    everything). The other roles change only through a migration that says so."""
    group = Group.objects.using(using).filter(name=ADMIN).first()
    if group is not None:
        group.permissions.add(*permissions_of(ADMIN).using(using))


def role_of(user) -> str:
    """The user's role (the first role group they are in), or "" for none."""
    names = {group.name for group in user.groups.all()}
    for role in ROLES:
        if role in names:
            return role
    return ADMIN if user.is_superuser else ""


def is_admin(user) -> bool:
    return user.is_active and role_of(user) == ADMIN


def admin_count() -> int:
    """Active users holding the Admin role (superusers count)."""
    users = get_user_model().objects.filter(is_active=True)
    return (users.filter(groups__name=ADMIN) | users.filter(is_superuser=True)).distinct().count()


def group_of(role: str) -> Group:
    """The role's group; made again, with its permissions, if someone deleted it."""
    group, created = Group.objects.get_or_create(name=role)
    if created:
        group.permissions.set(permissions_of(role))
    return group


@transaction.atomic
def set_role(user, role: str) -> None:
    """Put the user in exactly one role group; Admins may also use the Django admin."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    user.groups.add(group_of(role))
    # A superuser holds every permission whatever their groups: only an Admin stays one.
    user.is_staff = role == ADMIN
    user.is_superuser = user.is_superuser and role == ADMIN
    user.save(update_fields=["is_staff", "is_superuser"])
