"""The file's `channels:` section: its keys, how a channel is read, checked and exported."""

from actions.channels.choices import Environment
from actions.channels.forms import ChannelForm
from actions.configfile.problems import Path
from actions.configfile.shape import Fields, Item, Shape
from actions.models import MessagingChannel

NOUN = "channel"
MODEL = MessagingChannel
# The environments a channel has a sender of its own for, in the order the file gives them.
ENVIRONMENTS = tuple(Environment.values)
KEYS = (
    "name",
    "display_name",
    "provider",
    "sender",
    "env_senders",
    "messages_per_second",
    "env_messages_per_second",
    "default_country",
    "help_text",
    "stop_confirmation",
    "opt_in_policy",
)
# Keys that are refused with their own explanation rather than as unknown.
NEVER_IN_FILE = {
    "account_sid": "the Twilio Account SID is a credential, and credentials are never part "
    "of the configuration file: set it on the channel's page or through TWILIO_ACCOUNT_SID",
    "auth_token": "the Twilio auth token is a credential, and credentials are never part "
    "of the configuration file: set it on the channel's page or through TWILIO_AUTH_TOKEN",
}
# Where each form field's messages go, as a path below the item.
PLACES = {
    "name": ("name",),
    "display_name": ("display_name",),
    "provider": ("provider",),
    "sender": ("sender",),
    "default_country": ("default_country",),
    "help_text": ("help_text",),
    "stop_confirmation": ("stop_confirmation",),
    "opt_in_policy": ("opt_in_policy",),
    **{f"sender_{e}": ("env_senders", e) for e in ENVIRONMENTS},
    "messages_per_second": ("messages_per_second",),
    **{f"messages_per_second_{e}": ("env_messages_per_second", e) for e in ENVIRONMENTS},
}


def read(raw, path: Path, shape: Shape) -> Item | None:
    fields = Fields.of(raw, path, "channels", shape, KEYS, NEVER_IN_FILE)
    if fields is None:
        return None
    senders = fields.texts("env_senders", ENVIRONMENTS)
    fields.item.values = {
        "name": fields.text("name"),
        "provider": fields.text("provider") or "twilio",
        "sender": fields.text("sender"),
        "env_senders": senders,
    }
    # Rates are numbers, checked by the form (its message names the key); written only when set.
    if raw.get("messages_per_second") is not None:
        fields.item.values["messages_per_second"] = raw["messages_per_second"]
    rates = raw.get("env_messages_per_second")
    if rates is not None:
        path_of = fields.path("env_messages_per_second")
        if shape.mapping(rates, path_of, ENVIRONMENTS) is None:
            fields.item.bad.add(("env_messages_per_second",))
        else:
            fields.item.values["env_messages_per_second"] = {
                e: rates[e] for e in ENVIRONMENTS if rates.get(e) is not None
            }
    if country := fields.text("default_country"):  # written only when set, as exported
        fields.item.values["default_country"] = country
    if help_text := fields.text("help_text"):
        fields.item.values["help_text"] = help_text
    if policy := fields.text("opt_in_policy"):
        fields.item.values["opt_in_policy"] = policy
    if "stop_confirmation" in raw:
        fields.item.values["stop_confirmation"] = fields.flag("stop_confirmation", True)
    if display_name := fields.text("display_name"):  # written only when set
        fields.item.values["display_name"] = display_name
    return fields.item


def form(item: Item, instance: MessagingChannel) -> ChannelForm:
    """The builder's form for the channel, bound to its values from the file."""
    v = item.values
    data = {
        "name": v["name"],
        "display_name": v.get("display_name", ""),
        "provider": v["provider"],
        "sender": v["sender"],
        **{f"sender_{e}": v["env_senders"][e] for e in ENVIRONMENTS},
        "messages_per_second": _number(v.get("messages_per_second")),
        **{
            f"messages_per_second_{e}": _number(v.get("env_messages_per_second", {}).get(e))
            for e in ENVIRONMENTS
        },
        "default_country": v.get("default_country", ""),
        "help_text": v.get("help_text", ""),
        "stop_confirmation": v.get("stop_confirmation", True),
        "opt_in_policy": v.get("opt_in_policy", ""),
        # Not in the file: the form keeps what is stored (a blank token keeps the token).
        "account_sid": instance.account_sid,
        "auth_token": "",
    }
    return ChannelForm(data, instance=instance)


def _number(value) -> str:
    """A rate from the file as the form reads it: "" for none; anything else as written, so
    that the form's own message ("Enter a number.") names what is wrong."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()  # not a number, though Python counts it as one
    return str(value)


def _rate(value: float):
    """A rate as the file writes it: 3 rather than 3.0."""
    return int(value) if value == int(value) else value


def stored():
    """The saved channels."""
    return MessagingChannel.objects.all()


def env_senders(channel: MessagingChannel) -> dict[str, str]:
    """The channel's own sender for each environment ("" where it uses its default)."""
    return {e: getattr(channel, f"sender_{e}") for e in ENVIRONMENTS}


def _env_rates(channel: MessagingChannel) -> dict:
    """The channel's own rate for each environment that has one."""
    rates = {e: getattr(channel, f"messages_per_second_{e}") for e in ENVIRONMENTS}
    return {e: _rate(r) for e, r in rates.items() if r is not None}


def values(channel: MessagingChannel) -> dict:
    """The channel as the file writes it."""
    return {
        "name": channel.name,
        **({"display_name": channel.display_name} if channel.display_name else {}),
        "provider": channel.provider,
        "sender": channel.sender,
        "env_senders": {e: s for e, s in env_senders(channel).items() if s},
        **(
            {"messages_per_second": _rate(channel.messages_per_second)}
            if channel.messages_per_second is not None
            else {}
        ),
        **({"env_messages_per_second": env_rates} if (env_rates := _env_rates(channel)) else {}),
        **({"default_country": channel.default_country} if channel.default_country else {}),
        **({"help_text": channel.help_text} if channel.help_text else {}),
        **({} if channel.stop_confirmation else {"stop_confirmation": False}),
        **({"opt_in_policy": channel.opt_in_policy} if channel.opt_in_policy else {}),
    }
