"""A name people read, beside the identifier agents, URLs and files use."""

from django.db import models

DISPLAY_NAME_MAX = 100


class Named(models.Model):
    """A channel's, action's, handoff's or agent's display name ("Customer notifications"),
    shown in the builder; its `name` stays the identifier (the tool name an LLM sees, the name
    in the configuration file). The identifier is suggested from the display name
    (`common.validation.identifier_from`)."""

    display_name = models.CharField(
        max_length=DISPLAY_NAME_MAX,
        blank=True,
        help_text="The name people read in the builder, e.g. Customer notifications. "
        "Blank: the identifier.",
    )

    class Meta:
        abstract = True

    @property
    def label(self) -> str:
        return self.display_name or self.name
