"""The first steps of a new deployment, for the home page: each ticks itself once done.

Channel → action → handoff → agent → API key → a first test message. Shown until every step is
done; each step links to where it is done, for users whose role may open that page.
"""

from dataclasses import dataclass

from django.urls import reverse

from actions.accounts import access
from actions.models import Agent, ApiKey, Handoff, Message, MessagingChannel, SendTextAction


@dataclass(frozen=True)
class Step:
    label: str
    why: str
    done: bool
    url: str  # "" when the user's role may not open the page


# (label, why, whether it is done, the page where it is done)
STEPS = [
    ("Add a messaging channel", "the number your texts are sent from",
     lambda: MessagingChannel.objects.exists(), "channel_create"),
    ("Build a send-text action", "what the agent can text, and with which words",
     lambda: SendTextAction.objects.exists(), "action_create"),
    ("Add a handoff destination", "where a call is transferred when the agent hands over",
     lambda: Handoff.objects.exists(), "handoff_create"),
    ("Create an agent", "the voice agent, with the actions and handoffs it may use",
     lambda: Agent.objects.exists(), "agent_create"),
    ("Issue an API key", "what the agent's platform sends with each call",
     lambda: ApiKey.objects.filter(revoked_at__isnull=True).exists(), "agent_list"),
    ("Send a first test message", "Try it on an action's page: a real text, marked as a test",
     lambda: Message.objects.exists(), "action_list"),
]  # fmt: skip


def steps(user) -> list[Step]:
    """The steps, done or not; [] once all are done (the home page then shows none)."""
    found = [
        Step(label, why, is_done(), reverse(page) if access.may(user, page) else "")
        for label, why, is_done, page in STEPS
    ]
    return [] if all(step.done for step in found) else found
