"""System checks: a deployment without its secrets fails `manage.py check --deploy`.

Deploy-only, so that commands which need no secret (makemigrations) run in any checkout;
the web and worker processes refuse to start without them anyway (builder/startup.py).
"""

from django.core.checks import Error, register

from builder.startup import missing_secrets


@register(deploy=True)
def secrets_configured(app_configs, **kwargs):
    return [
        Error(message, hint="See README.md, Configuration.", id="switchboard.E001")
        for message in missing_secrets()
    ]
