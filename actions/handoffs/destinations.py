"""An agent's handoff destinations, and what an agent is told about one.

An agent's handoffs are the ones attached to it, plus the fallback handoffs of its enabled
actions, plus the after-hours alternatives of its own handoffs: what the agent is offered, it
must be able to use.
"""

from django.db.models import Q, QuerySet

from actions.handoffs import sip
from actions.models import Agent, Handoff


def agent_handoffs(agent: Agent) -> QuerySet[Handoff]:
    """The handoffs the agent may use, by name: its own and its enabled actions' fallbacks."""
    return (
        Handoff.objects.filter(
            Q(agents=agent)
            | Q(fallback_for__agents=agent, fallback_for__enabled=True)
            | Q(after_hours_for__agents=agent)
        )
        .distinct()
        .order_by("name")
    )


def describe(handoff: Handoff) -> dict:
    """What an agent is told about a handoff: the instruction, its TwiML, what to say."""
    return {
        "handoff": handoff.name,
        "sip": sip.instruction(handoff),
        "twiml": sip.twiml(handoff),
        "utterance": handoff.utterance,
        "say": sip.say(handoff),
    }


def choose(handoffs: list[Handoff], names: list[str]) -> tuple[Handoff | None, bool]:
    """The first named handoff the agent has (by name, else by description), and True; else
    the agent's default handoff (or None), and False."""
    for name in names:
        for handoff in handoffs:
            if handoff.name == name.strip():
                return handoff, True
        for handoff in handoffs:
            if _normal(handoff.description) == _normal(name):
                return handoff, True
    return next((h for h in handoffs if h.is_default), None), False


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()
