"""Handoffs at call time: the work behind the agent API's handoff endpoints.

Plain functions, callable without HTTP:

- `invoke_handoff` — POST /api/v1/handoffs/<name>/invoke: the SIP instruction and its TwiML,
  a HandoffLog row, and, given a Twilio call SID, a task that redirects the live call;
- `transfer_destination` — POST /api/v1/transfer-destination: Vapi's
  transfer-destination-request, answered with a destination or an error;
- `fallback` and `transfer_offer` — what a send-text action's 422 offers instead of the text;
- `twilio_credentials` and `redirect_twiml` — what the redirect task uses.

An agent's handoffs are the ones attached to it, plus the fallback handoffs of its enabled
actions: an action that offers a transfer must let the agent make it.
"""

import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from actions import sip
from actions.api.errors import ApiError, invalid_request
from actions.models import (
    Agent,
    ApiKey,
    Handoff,
    HandoffLog,
    HandoffOutcome,
    MessagingChannel,
    Provider,
    SipMethod,
)
from actions.tasks import enqueue_redirect

TRANSFER_TOOL = "transfer_call"
# Vapi's own transfer tool is `transferCall`; ours is `transfer_call`. Either names the handoff.
TRANSFER_TOOL_NAMES = (TRANSFER_TOOL, "transferCall")
BODY_FIELDS = ("conversation_id", "call_sid", "reason", "variables")
CALL_SID_RE = re.compile(r"^CA[0-9a-fA-F]{32}$")
MAX_CONVERSATION_ID = 200
MAX_REASON = 500
NO_CREDENTIALS = (
    "The live call was not redirected: no Twilio credentials are configured. Give one of the "
    "agent's Twilio channels an Account SID and auth token, or set TWILIO_ACCOUNT_SID and "
    "TWILIO_AUTH_TOKEN."
)
VAPI_REQUEST = "transfer-destination-request"


def agent_handoffs(agent: Agent) -> QuerySet[Handoff]:
    """The handoffs the agent may use, by name: its own and its enabled actions' fallbacks."""
    return (
        Handoff.objects.filter(
            Q(agents=agent) | Q(fallback_for__agents=agent, fallback_for__enabled=True)
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


# --- POST /api/v1/handoffs/<name>/invoke ---------------------------------------------------


@dataclass(frozen=True)
class HandoffRequest:
    conversation_id: str
    call_sid: str
    reason: str
    variables: dict


def _text(body: dict, name: str, limit: int) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise invalid_request(f"{name} must be a string of at most {limit} characters.", f"/{name}")
    return value


def parse_body(body) -> HandoffRequest:
    """The handoff invoke body's shape; every problem is 400 invalid_request naming the field."""
    if not isinstance(body, dict):
        raise invalid_request("The request body must be a JSON object.")
    unknown = sorted(set(body) - set(BODY_FIELDS))
    if unknown:
        raise invalid_request(
            f"Unknown field “{unknown[0]}”: the body may contain conversation_id, call_sid, "
            "reason and variables.",
            f"/{unknown[0]}",
        )
    conversation_id = _text(body, "conversation_id", MAX_CONVERSATION_ID)
    call_sid = _text(body, "call_sid", 64).strip()
    if call_sid and not CALL_SID_RE.match(call_sid):
        raise invalid_request(
            "call_sid must be a Twilio call SID: CA followed by 32 hexadecimal characters.",
            "/call_sid",
        )
    reason = _text(body, "reason", MAX_REASON)
    variables = body.get("variables")
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        raise invalid_request("variables must be a JSON object.", "/variables")
    return HandoffRequest(conversation_id, call_sid, reason, variables)


def unknown_handoff(agent: Agent, name: str) -> ApiError:
    names = list(agent_handoffs(agent).values_list("name", flat=True))
    if names:
        say = (
            f"That destination does not exist. Use one of: {', '.join(names)}; or carry on "
            "helping the caller."
        )
    else:
        say = "Transfers are not available. Do not try again; carry on helping the caller."
    return ApiError(
        404, "unknown_handoff", f"There is no handoff named “{name}” for this agent.", say=say
    )


def invoke_handoff(key: ApiKey, name: str, body) -> dict:
    """Resolve the agent's handoff, log it, and answer the instruction (the 200 body).

    With a call SID and Twilio credentials, the live call is redirected by the worker once
    the log row is committed (outcome "pending", then "redirected" or "failed").
    """
    agent = key.agent
    handoff = agent_handoffs(agent).filter(name=name).first()
    if handoff is None:
        raise unknown_handoff(agent, name)
    request = parse_body(body)
    answer = describe(handoff)
    log = HandoffLog(
        handoff=handoff,
        handoff_name=handoff.name,
        agent=agent,
        agent_name=agent.name,
        environment=key.environment,
        source="invoke",
        conversation_id=request.conversation_id,
        call_sid=request.call_sid,
        reason=request.reason,
        variables=request.variables,
        instruction=answer["sip"],
        twiml=answer["twiml"],
    )
    redirect = False
    if request.call_sid:
        if twilio_credentials(agent) is None:
            log.outcome_detail = NO_CREDENTIALS
        else:
            redirect = True
            log.outcome = HandoffOutcome.PENDING
            log.outcome_detail = "Queued: the worker redirects the live call through Twilio."
    with transaction.atomic():
        log.save()
        if redirect:
            enqueue_redirect(log)
    return {"id": str(log.pk), **answer}


# --- the live-call redirect (the worker's side) ------------------------------------------


def twilio_credentials(agent: Agent | None) -> tuple[str, str] | None:
    """The Twilio account that redirects the agent's live calls, or None.

    The first Twilio channel, by name, among the agent's actions' channels that has
    credentials (its own, else TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN); with no such channel,
    the deployment's TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN.
    """
    if agent is not None:
        channels = (
            MessagingChannel.objects.filter(provider=Provider.TWILIO, actions__agents=agent)
            .distinct()
            .order_by("name")
        )
        for channel in channels:
            try:
                account_sid, auth_token = channel.credentials()
            except ValueError:  # a token FIELD_ENCRYPTION_KEY cannot open: unusable
                continue
            if account_sid and auth_token:
                return account_sid, auth_token
    if settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN:
        return settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN
    return None


def is_sip_leg(call_from: str, call_to: str) -> bool:
    return any(a.lower().startswith(("sip:", "sips:")) for a in (call_from, call_to))


def redirect_twiml(handoff: Handoff, call_from: str, call_to: str) -> str:
    """The TwiML for this call: a refer is a SIP REFER on a SIP leg, a <Dial> on a phone leg."""
    return sip.twiml(handoff, sip_leg=is_sip_leg(call_from, call_to))


def redirected_detail(handoff: Handoff, call_from: str, call_to: str) -> str:
    """Which TwiML form redirected the call, and why, for the log."""
    if handoff.method == SipMethod.BYE:
        return "Call ended with <Hangup/>."
    if handoff.method == SipMethod.INVITE:
        return f"Call redirected with <Dial><Sip> to {sip.sip_uri(handoff)}."
    if is_sip_leg(call_from, call_to):
        return f"Call redirected with <Refer><Sip> to {sip.sip_uri(handoff)} (a SIP leg)."
    return (
        f"Call redirected with <Dial><Number> to {handoff.phone_number}: the call is a phone "
        "leg, where Twilio cannot send a SIP REFER."
    )


# --- the fallback of a send-text action --------------------------------------------------


def fallback(handoff: Handoff) -> dict:
    """The `fallback` member of a 422: the handoff to offer instead of the text message."""
    return describe(handoff)


def transfer_offer(handoff: Handoff) -> str:
    """The end of a 422's `say`: offer the fallback handoff, and how to make it."""
    description = " ".join(handoff.description.split()).rstrip(".")
    what = "to end the call" if handoff.method == SipMethod.BYE else "to transfer them"
    return (
        f"offer {what} instead ({description}). If they agree, call {TRANSFER_TOOL} with "
        f'destination "{handoff.name}".'
    )


# --- POST /api/v1/transfer-destination (Vapi) --------------------------------------------


def _names_in_destination(destination) -> list[str]:
    if isinstance(destination, str):
        return [destination]
    if isinstance(destination, dict):
        return [v for v in (destination.get("name"), destination.get("description")) if v]
    return []


def _latest_transfer_arguments(message: dict) -> dict:
    """The arguments of the latest transfer_call / transferCall tool call, or {}."""
    artifact = message.get("artifact")
    turns = artifact.get("messagesOpenAIFormatted") if isinstance(artifact, dict) else None
    if not isinstance(turns, list):
        return {}
    for turn in reversed(turns):
        if not isinstance(turn, dict) or turn.get("role") != "assistant":
            continue
        calls = turn.get("tool_calls")
        if not isinstance(calls, list):
            continue
        for call in reversed(calls):
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(function, dict) or function.get("name") not in TRANSFER_TOOL_NAMES:
                continue
            arguments = function.get("arguments")
            if isinstance(arguments, str):
                try:
                    arguments = json.loads(arguments)
                except json.JSONDecodeError:
                    return {}
            return arguments if isinstance(arguments, dict) else {}
    return {}


def requested(message: dict) -> tuple[list[str], str]:
    """The destination names the request mentions, in order of precedence, and a reason."""
    names = _names_in_destination(message.get("destination"))
    parameters = message.get("parameters")
    if isinstance(parameters, dict):
        names += _names_in_destination(parameters.get("destination"))
    arguments = _latest_transfer_arguments(message)
    names += _names_in_destination(arguments.get("destination"))
    reason = arguments.get("reason")
    return [n for n in names if isinstance(n, str)], reason if isinstance(reason, str) else ""


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


def transfer_destination(key: ApiKey, body) -> dict:
    """Answer Vapi's transfer-destination-request: {"destination": …} or {"error": …}.

    Vapi expects both answers with HTTP 200. Every request is logged (source "vapi").
    """
    if not isinstance(body, dict):
        raise invalid_request(
            'The request body must be a JSON object: Vapi\'s server message, {"message": {…}}.'
        )
    message = body.get("message")
    if not isinstance(message, dict):
        raise invalid_request(
            'message must be Vapi\'s server message, {"type": "transfer-destination-request", …}.',
            "/message",
        )
    kind = message.get("type")
    if kind != VAPI_REQUEST:
        raise invalid_request(
            f"message.type must be “{VAPI_REQUEST}” (not {json.dumps(kind)}): this endpoint "
            "answers only Vapi's transfer-destination requests.",
            "/message/type",
        )
    agent = key.agent
    names, reason = requested(message)
    handoff, named = choose(list(agent_handoffs(agent)), names)
    asked = names[0].strip() if names else ""

    if handoff is None:
        error = (
            f"No transfer destination: this agent has no handoff named “{asked}” and no "
            "default handoff."
            if asked
            else "No transfer destination: none was named and this agent has no default handoff."
        )
    elif handoff.method == SipMethod.BYE:
        error = (
            f"The handoff “{handoff.name}” ends the call (SIP BYE); it is not a transfer "
            "destination."
        )
    else:
        error = ""

    call = message.get("call")
    call = call if isinstance(call, dict) else {}
    call_id = call.get("id")
    provider_id = call.get("phoneCallProviderId")
    log = HandoffLog(
        handoff=handoff,
        handoff_name=handoff.name if handoff else asked[:64],
        agent=agent,
        agent_name=agent.name,
        environment=key.environment,
        source="vapi",
        conversation_id=str(call_id)[:MAX_CONVERSATION_ID] if call_id is not None else "",
        call_sid=provider_id if isinstance(provider_id, str) and len(provider_id) <= 64 else "",
        reason=reason[:MAX_REASON],
    )
    if handoff is not None:
        log.instruction = sip.instruction(handoff)
        log.twiml = sip.twiml(handoff)
    if error:
        log.outcome = HandoffOutcome.FAILED
        log.outcome_detail = error
        log.save()
        return {"error": error}
    if named:
        log.outcome_detail = "Destination returned to Vapi."
    elif asked:
        log.outcome_detail = (
            f"Vapi asked for “{asked}”, which this agent does not have: the default "
            f"{handoff.name} was returned."
        )
    else:
        log.outcome_detail = f"No destination was named: the default {handoff.name} was returned."
    log.save()
    return {"destination": sip.vapi_destination(handoff)}
