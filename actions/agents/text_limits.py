"""An agent's text limits (per number, per conversation): their scopes, and today's refusals.

The limits are checked in the invoke path (api/invoke.py `hold_texts`). A refused text writes
no message, so each refusal is counted by day in Redis (common/limits.py `note_refusal`) for
the agent page and the send log to show. Numbers are never part of a count.
"""

from dataclasses import dataclass

from actions.common import limits
from actions.models import Agent

# The scopes of the two limits, in their Redis keys and in the count of refusals.
RECIPIENT_TEXTS = "texts-per-recipient"
CONVERSATION_TEXTS = "texts-per-conversation"
# Both count in a window of 24 hours that moves.
WINDOW = 24 * 3600


@dataclass(frozen=True)
class Refusals:
    """Today's texts refused for one agent: past its per-number and per-conversation limits."""

    agent: Agent
    to_one_number: int = 0
    in_one_conversation: int = 0

    @property
    def total(self) -> int:
        return self.to_one_number + self.in_one_conversation


def refused_today() -> list[Refusals]:
    """Every agent with refusals today (TIME_ZONE's day), by name; empty without Redis."""
    counts: dict[int, dict[str, int]] = {}
    for (owner, scope), count in limits.refusals_today().items():
        if owner.isdigit() and scope in (RECIPIENT_TEXTS, CONVERSATION_TEXTS):
            counts.setdefault(int(owner), {})[scope] = count
    agents = Agent.objects.in_bulk(list(counts))
    refused = [_refusals(agent, counts[pk]) for pk, agent in agents.items()]
    return sorted(refused, key=lambda r: r.agent.name)


def refused_today_for(agent: Agent) -> Refusals:
    counts = {
        scope: count
        for (owner, scope), count in limits.refusals_today().items()
        if owner == str(agent.pk)
    }
    return _refusals(agent, counts)


def _refusals(agent: Agent, counts: dict[str, int]) -> Refusals:
    return Refusals(
        agent,
        to_one_number=counts.get(RECIPIENT_TEXTS, 0),
        in_one_conversation=counts.get(CONVERSATION_TEXTS, 0),
    )
