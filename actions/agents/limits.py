"""An agent's limits — requests per key, texts per number, texts per conversation — by their
scopes, and today's refusals by them.

The request limit is checked in api/auth.py `limit_requests`, the text limits in the invoke
path (api/invoke.py `hold_texts`). A refusal writes no message, so each one is counted by day
in Redis (common/limits.py `note_refusal`) for the agent page and the send log to show.
Numbers are never part of a count.
"""

from dataclasses import dataclass

from actions.common import limits
from actions.models import Agent

# The scopes of the limits, in their Redis keys and in the count of refusals.
REQUESTS = "api-requests"
RECIPIENT_TEXTS = "texts-per-recipient"
CONVERSATION_TEXTS = "texts-per-conversation"
SCOPES = (REQUESTS, RECIPIENT_TEXTS, CONVERSATION_TEXTS)
# The request limit counts in a window of a minute, the text limits in 24 hours; both move.
REQUEST_WINDOW = 60
TEXT_WINDOW = 24 * 3600


@dataclass(frozen=True)
class Refusals:
    """What one agent had refused today: requests past its per-key limit, texts past its
    per-number and per-conversation limits."""

    agent: Agent
    requests: int = 0
    to_one_number: int = 0
    in_one_conversation: int = 0

    @property
    def texts(self) -> int:
        return self.to_one_number + self.in_one_conversation

    @property
    def total(self) -> int:
        return self.requests + self.texts


def refused_today() -> list[Refusals]:
    """Every agent with refusals today (TIME_ZONE's day), by name; empty without Redis."""
    counts: dict[int, dict[str, int]] = {}
    for (owner, scope), count in limits.refusals_today().items():
        if owner.isdigit() and scope in SCOPES:
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
        requests=counts.get(REQUESTS, 0),
        to_one_number=counts.get(RECIPIENT_TEXTS, 0),
        in_one_conversation=counts.get(CONVERSATION_TEXTS, 0),
    )
