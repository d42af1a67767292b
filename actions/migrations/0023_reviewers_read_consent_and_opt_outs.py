"""Reviewers read the consent ledger and the opt-outs (numbers masked), as they read the logs."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REVIEWER_GAINS = ["view_consentrecord", "view_optout"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations have run; the group needs them now.
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    reviewer = Group.objects.filter(name="Reviewer").first()
    if reviewer is not None:
        reviewer.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="actions", codename__in=REVIEWER_GAINS
            )
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    reviewer = Group.objects.filter(name="Reviewer").first()
    if reviewer is not None:
        reviewer.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="actions", codename__in=REVIEWER_GAINS
            )
        )


class Migration(migrations.Migration):
    dependencies = [("actions", "0022_consent_and_opt_outs")]

    operations = [migrations.RunPython(grant, revoke)]
