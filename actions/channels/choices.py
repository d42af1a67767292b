"""The choices of a messaging channel's fields: its provider, and the environments it sends for.

Kept apart from the model so that the credentials rules, which the model's clean() uses, can
name them without importing the models.
"""

from django.db import models


class Provider(models.TextChoices):
    TWILIO = "twilio", "Twilio"
    CONSOLE = "console", "Console (writes to the log, for development)"


class Environment(models.TextChoices):
    SANDBOX = "sandbox", "Sandbox"
    PRE_RELEASE = "pre_release", "Pre-release"
    LIVE = "live", "Live"
