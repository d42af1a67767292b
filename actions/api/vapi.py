"""POST /api/v1/transfer-destination: Vapi's transfer-destination-request."""

import json

from actions.api.bodies import MAX_CONVERSATION_ID, MAX_REASON
from actions.api.errors import invalid_request
from actions.api.tools import TRANSFER_TOOL
from actions.handoffs import sip
from actions.handoffs.destinations import agent_handoffs, choose
from actions.models import ApiKey, HandoffLog, HandoffOutcome, SipMethod

# Vapi's own transfer tool is `transferCall`; ours is `transfer_call`. Either names the handoff.
TRANSFER_TOOL_NAMES = (TRANSFER_TOOL, "transferCall")
VAPI_REQUEST = "transfer-destination-request"


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
