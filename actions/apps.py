from django.apps import AppConfig


class ActionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "actions"
    verbose_name = "Switchboard"

    def ready(self):
        from django.db.models.signals import post_migrate

        # Connect the history signal and register the system checks.
        from actions import audit  # noqa: F401
        from actions.accounts.roles import grant_admin_everything
        from actions.ops import checks  # noqa: F401

        post_migrate.connect(grant_admin_everything, sender=self)
