"""What a send-text action sends and to whom: shared by the preview and the action API."""

from django.core.exceptions import ValidationError

from actions.common.validation import normalise_e164
from actions.messaging import schemas, templating
from actions.models import RecipientMode, SendTextAction


class RecipientUnavailable(Exception):
    """No valid number to send to; the message says why.

    `given` is True when the unusable number is one the agent gave (the phone_number
    parameter), so the caller can be asked again; False when there is no number at all or
    the configured one is unusable.
    """

    def __init__(self, message: str, given: bool = False):
        super().__init__(message)
        self.given = given


def render_body(action: SendTextAction, data: dict) -> str:
    """The message text: the template rendered strictly, or the agent's own `message`.

    Raises gotemplate.TemplateError when the template reads something missing.
    """
    if (action.message_template or "").strip():
        return templating.render(action.message_template, data)
    return str(data["parameters"].get(schemas.MESSAGE_PARAMETER, ""))


def resolve_recipient(action: SendTextAction, data: dict) -> str:
    """The E.164 number to send to: the contact's (else, where the action may ask for one, the
    number the agent gave), or the custom recipient's. A national number is read with the
    channel's country."""
    given = False
    if action.recipient_mode == RecipientMode.CUSTOM and action.recipient_template:
        if templating.is_template(action.recipient_template):
            try:
                raw = templating.render(action.recipient_template, data).strip()
            except Exception as exc:  # gotemplate.TemplateError: missing variable or parameter
                detail = getattr(exc, "detail", str(exc))
                raise RecipientUnavailable(f"The recipient template failed: {detail}") from None
        else:
            raw = action.recipient_template
        source = "The custom recipient"
    else:
        raw = data["contact"]["phone_number"]
        source = "The contact's phone number"
        number = data["parameters"].get(schemas.NUMBER_PARAMETER)
        if not raw and action.asks_for_number and isinstance(number, str) and number.strip():
            raw, source, given = number, "The number the caller gave", True
    if not raw:
        raise RecipientUnavailable(f"{source} is empty.")
    try:
        country = action.channel.country if action.channel_id else None
        return normalise_e164(raw, country)
    except ValidationError as exc:
        raise RecipientUnavailable(f"{source} is not usable: {exc.messages[0]}", given) from None
