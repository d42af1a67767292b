"""The Admin, Builder and Reviewer groups and their permissions.

Existing users join a role: superusers and staff become Admins, everyone else Reviewers (the
role that can change nothing).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ADMIN_APPS = ("actions", "auth")
BUILDER = [
    *(
        f"{verb}_{model}"
        for model in ("sendtextaction", "messagingchannel", "handoff")
        for verb in ("view", "add", "change", "delete")
    ),
    "try_action",
]
REVIEWER = ["view_message", "view_messageevent", "view_handofflog", "export_messages"]


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations have run; the groups need them now.
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("auth", "User")
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))
    builder, _ = Group.objects.get_or_create(name="Builder")
    builder.permissions.set(
        Permission.objects.filter(content_type__app_label="actions", codename__in=BUILDER)
    )
    reviewer, _ = Group.objects.get_or_create(name="Reviewer")
    reviewer.permissions.set(
        Permission.objects.filter(content_type__app_label="actions", codename__in=REVIEWER)
    )
    for user in User.objects.filter(groups__isnull=True):
        if user.is_superuser or user.is_staff:
            user.groups.add(admin)
        else:
            user.groups.add(reviewer)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Admin", "Builder", "Reviewer"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0004_message_resend_retention"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
