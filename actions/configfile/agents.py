"""The file's `agents:` section: its keys, how an agent is read, checked and exported."""

from actions.agents.forms import AgentForm
from actions.configfile.problems import Path
from actions.configfile.shape import Fields, Item, Shape
from actions.models import Agent

NOUN = "agent"
MODEL = Agent
KEYS = (
    "name",
    "display_name",
    "description",
    "actions",
    "handoffs",
    "return_url",
    "unavailable_message",
)
# Keys that are refused with their own explanation rather than as unknown.
NEVER_IN_FILE = {
    "api_keys": "API keys are never part of the configuration file: create them on the "
    "agent's page or with manage.py create_api_key",
}
# Where each form field's messages go, as a path below the item.
PLACES = {
    "name": ("name",),
    "display_name": ("display_name",),
    "description": ("description",),
    "actions": ("actions",),
    "handoffs": ("handoffs",),
    "return_url": ("return_url",),
    "unavailable_message": ("unavailable_message",),
}


def read(raw, path: Path, shape: Shape) -> Item | None:
    fields = Fields.of(raw, path, "agents", shape, KEYS, NEVER_IN_FILE)
    if fields is None:
        return None
    item = fields.item
    item.values = {"name": fields.text("name"), "description": fields.text("description")}
    for key, noun in (("actions", "action"), ("handoffs", "handoff")):
        at: dict[str, int] = {}
        item.values[key] = shape.names(raw.get(key), (*path, key), item.bad, (key,), noun, at)
        item.at.update({(key, name): index for name, index in at.items()})
    for key in ("return_url", "unavailable_message"):  # written only when set, as exported
        if text := fields.text(key):
            item.values[key] = text
    if display_name := fields.text("display_name"):  # written only when set
        item.values["display_name"] = display_name
    return item


def form(item: Item, instance: Agent, actions: list[int], handoffs: list[int]) -> AgentForm:
    """The builder's form for the agent, bound to its values from the file.

    `actions` and `handoffs` are the pks of the saved objects named: what exists only in the
    file is left out of the form, and checked against the file instead. The agent's own
    request limit is not in the file (yet): an import keeps it.
    """
    v = item.values
    data = {
        "name": v["name"],
        "display_name": v.get("display_name", ""),
        "description": v["description"],
        "actions": actions,
        "handoffs": handoffs,
        "requests_per_minute": instance.requests_per_minute,
        "return_url": v.get("return_url", ""),
        "unavailable_message": v.get("unavailable_message", ""),
    }
    return AgentForm(data, instance=instance)


def stored():
    """The saved agents, with what values() reads of each."""
    return Agent.objects.prefetch_related("actions", "handoffs")


def values(agent: Agent, actions: list[str] | None = None, handoffs=None) -> dict:
    """The agent as the file writes it; `actions` and `handoffs` name its references when
    they are not saved yet."""
    if actions is None:
        actions = [a.name for a in agent.actions.all()]
    if handoffs is None:
        handoffs = [h.name for h in agent.handoffs.all()]
    return {
        "name": agent.name,
        **({"display_name": agent.display_name} if agent.display_name else {}),
        "description": agent.description,
        "actions": sorted(actions),
        "handoffs": sorted(handoffs),
        **({"return_url": agent.return_url} if agent.return_url else {}),
        **({"unavailable_message": agent.unavailable_message} if agent.unavailable_message else {}),
    }
