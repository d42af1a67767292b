from django.apps import AppConfig


class ActionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "actions"
    verbose_name = "Switchboard"

    def ready(self):
        from django.db.models.signals import post_migrate

        from actions import audit, checks  # noqa: F401  (connect the history signal, register the checks)
        from actions.roles import grant_admin_everything

        post_migrate.connect(grant_admin_everything, sender=self)
