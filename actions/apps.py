from django.apps import AppConfig


class ActionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "actions"
    verbose_name = "Switchboard"

    def ready(self):
        from actions import checks  # noqa: F401  (registers the system checks)
