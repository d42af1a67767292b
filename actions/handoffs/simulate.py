"""Try a handoff without a real call: what each transfer outcome does on a live Twilio call.

Nothing is written and nothing reaches Twilio. The steps are the ones the transfer callback
(handoffs/callbacks.py) would take if every dial ended with the chosen outcome: the redirect's
TwiML, then each open fallback's (when the outcome moves on), then the call's end — hang up
after an answered call, or back to the agent. "after-hours" shows what the agent is told when
the handoff is closed.
"""

from dataclasses import dataclass, field
from types import SimpleNamespace

from actions.handoffs import callbacks, hours, redirect
from actions.handoffs.destinations import closed_say, describe
from actions.models import Handoff, SipMethod, TransferOutcome

CALLER = "+15551112222"  # the caller's number in the simulation
OUTCOMES = [
    ("completed", "Answered"),
    ("busy", "Busy"),
    ("no-answer", "No answer"),
    ("failed", "Failed"),
    ("declined", "Declined at the whisper"),
    ("after-hours", "After hours"),
]


@dataclass
class Step:
    handoff: str
    twiml: str
    outcome: str
    note: str = ""


@dataclass
class Simulation:
    outcome: str
    told: str  # what the agent is told when it invokes the handoff
    steps: list[Step] = field(default_factory=list)
    end_twiml: str = ""  # the TwiML the last callback answers
    end: str = ""  # the call's end, in words
    agent_name: str = ""


def _entry(agent, step: int):
    """A stand-in for a log entry: the TwiML names entry N where a real one names its id."""
    return SimpleNamespace(
        pk=step, summary="(the agent's summary)", reason="", agent=agent, environment="live"
    )


def simulate(handoff: Handoff, outcome: str) -> Simulation:
    agent = handoff.agents.order_by("name").first()
    result = Simulation(outcome, describe(handoff)["say"], agent_name=agent.name if agent else "")
    if outcome == "after-hours":
        status = handoff.opening()
        if not hours.is_set(handoff.hours):
            result.end = "This handoff has no opening hours: it is always open."
            return result
        moment = status.change_at if status.open and status.change_at else hours.current_time()
        text = handoff.opening(moment).describe(moment, hours.zone_of(handoff.hours))
        offers_texts = bool(agent and agent.actions.filter(enabled=True).exists())
        result.told, after = closed_say(handoff, text, offers_texts)
        result.end = (
            f"Nothing is transferred (422 handoff_closed); the agent may offer {after.name}."
            if after
            else "Nothing is transferred (422 handoff_closed)."
        )
        return result
    if handoff.method == SipMethod.BYE:
        result.steps.append(
            Step(handoff.name, redirect.redirect_twiml(handoff, CALLER, "", _entry(agent, 1)), "")
        )
        result.end = "The call ends: a bye has no transfer to report."
        return result
    chain = [handoff]
    if outcome in (handoff.fallback_on or []):
        chain += [
            f for f in handoff.fallback_handoffs()
            if f.method != SipMethod.BYE and f.opening().open
        ]  # fmt: skip
    for number, step in enumerate(chain, start=1):
        twiml = redirect.redirect_twiml(step, CALLER, "", _entry(agent, number))
        label = dict(TransferOutcome.choices).get(outcome, outcome)
        note = "" if number == 1 else f"fallback {number - 1}, after {outcome}"
        result.steps.append(Step(step.name, twiml, label, note))
    if outcome in ("completed", "answered"):
        result.end_twiml = '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup /></Response>'
        result.end = (
            "Answered: the caller talks to the person; when they hang up, so does the call."
        )
        return result
    result.end_twiml = callbacks.back_to_agent(agent, outcome)
    if agent is not None and agent.return_url:
        result.end = (
            f"No transfer connected: back to {agent.name}'s return URL, reason "
            f"transfer_failed:{outcome}."
        )
    else:
        result.end = "No transfer connected: the unavailable message is said, then the call ends."
    return result
