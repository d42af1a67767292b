"""An agent's handoff destinations, and what an agent is told about one.

An agent's handoffs are the ones attached to it, plus the fallback handoffs of its enabled
actions, plus the after-hours alternatives of its own handoffs: what the agent is offered, it
must be able to use.
"""

from django.db.models import Q, QuerySet

from actions.handoffs import sip
from actions.models import Agent, Handoff, SipMethod

# The tool an agent transfers with (agents/tools.py defines it); named here, where what the
# agent is told of a handoff is written.
TRANSFER_TOOL = "transfer_call"


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


def transfer_offer(handoff: Handoff) -> str:
    """The end of a refusal's `say`: offer this handoff instead, and how to make it."""
    description = " ".join(handoff.description.split()).rstrip(".")
    what = "to end the call" if handoff.method == SipMethod.BYE else "to transfer them"
    return (
        f"offer {what} instead ({description}). If they agree, call {TRANSFER_TOOL} with "
        f'destination "{handoff.name}".'
    )


def closed_say(handoff: Handoff, text: str, offers_texts: bool) -> tuple[str, Handoff | None]:
    """What the agent is told of a handoff outside its hours (`text`: "closed until …"), and
    the after-hours handoff it is offered, if that one is open."""
    after = handoff.after_hours if handoff.after_hours_id else None
    if after is not None and after.opening().open:
        return f"Tell the caller {handoff.name} is {text}; {transfer_offer(after)}", after
    if offers_texts:
        return f"Tell the caller {handoff.name} is {text}; offer to send a text instead.", None
    return f"Tell the caller {handoff.name} is {text}; offer another way to help.", None
