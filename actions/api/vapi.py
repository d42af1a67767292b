"""Vapi's server messages: POST /api/v1/vapi (tool-calls and transfer-destination-request)
and the older POST /api/v1/transfer-destination (transfer-destination-request only).

Vapi posts {"message": {"type", "call", …}} to one server URL. A `tool-calls` message holds
one or more tool calls; each goes through the one invoke path (api/calls.py) with the call's
context — its id as the conversation id, the customer's number as the caller's, the tool
call's id as the idempotency key — and is answered as Vapi reads it:
{"results": [{"name", "toolCallId", "result" | "error"}]}, HTTP 200. Other server messages
(status updates, reports, …) are acknowledged and ignored.
"""

import json

from actions.agents.tools import TRANSFER_TOOL
from actions.api.bodies import MAX_CONVERSATION_ID, MAX_REASON, parse_json
from actions.api.calls import CallContext, answer, is_call_sid
from actions.api.errors import invalid_request
from actions.handoffs import sip
from actions.handoffs.destinations import agent_handoffs, choose
from actions.models import ApiKey, HandoffLog, HandoffOutcome, SipMethod

# Vapi's own transfer tool is `transferCall`; ours is `transfer_call`. Either names the handoff.
TRANSFER_TOOL_NAMES = (TRANSFER_TOOL, "transferCall")
VAPI_REQUEST = "transfer-destination-request"
TOOL_CALLS = "tool-calls"
MAX_TOOL_CALLS = 10  # in one message; an LLM asks for a few at a time
MAX_ID = 200


def server_message(key: ApiKey, body) -> dict:
    """Answer any Vapi server message posted to the one server URL (HTTP 200 throughout)."""
    message = _message(body)
    kind = message.get("type")
    if kind == TOOL_CALLS:
        return {"results": [_result(key, call, message) for call in _tool_calls(message)]}
    if kind == VAPI_REQUEST:
        return transfer_destination(key, body)
    return {}  # status-update, end-of-call-report, …: nothing to do here


def _message(body) -> dict:
    if not isinstance(body, dict):
        raise invalid_request(
            'The request body must be a JSON object: Vapi\'s server message, {"message": {…}}.'
        )
    message = body.get("message")
    if not isinstance(message, dict):
        raise invalid_request(
            'message must be Vapi\'s server message, {"type": "tool-calls", …}.', "/message"
        )
    return message


def _tool_calls(message: dict) -> list[tuple[str, str, object]]:
    """(id, name, arguments) of each tool call: `toolCallList` items are OpenAI's shape
    ({"id", "function": {"name", "arguments": "<JSON>"}}) or the flat {"id", "name",
    "arguments": {…}} Vapi's docs show."""
    calls = message.get("toolCallList")
    if not isinstance(calls, list) or not calls:
        raise invalid_request(
            'message.toolCallList must list the tool calls: [{"id", "function": {"name", '
            '"arguments"}}].',
            "/message/toolCallList",
        )
    if len(calls) > MAX_TOOL_CALLS:
        raise invalid_request(
            f"message.toolCallList holds {len(calls)} tool calls; at most {MAX_TOOL_CALLS}.",
            "/message/toolCallList",
        )
    found = []
    for index, call in enumerate(calls):
        where = f"/message/toolCallList/{index}"
        call = call if isinstance(call, dict) else {}
        function = call.get("function") if isinstance(call.get("function"), dict) else call
        call_id, name = call.get("id"), function.get("name")
        if not isinstance(call_id, str) or not call_id or len(call_id) > MAX_ID:
            raise invalid_request(f"{where}/id must be the tool call's id.", f"{where}/id")
        if not isinstance(name, str) or not name:
            raise invalid_request(f"{where}: the tool call names no function.", f"{where}/function")
        arguments = function.get("arguments", {})
        if isinstance(arguments, str):
            arguments = parse_json(arguments or "{}", f"{where}/function/arguments", where)
        found.append((call_id, name, arguments))
    return found


def call_context(message: dict, tool_call_id: str = "") -> CallContext:
    """Who is calling, in which call: message.call (id, customer, phoneCallProviderId)."""
    call = message.get("call") if isinstance(message.get("call"), dict) else {}
    customer = call.get("customer") if isinstance(call.get("customer"), dict) else None
    if customer is None and isinstance(message.get("customer"), dict):
        customer = message["customer"]
    number = (customer or {}).get("number")
    provider_id = call.get("phoneCallProviderId")
    twilio = call.get("phoneCallProvider") in (None, "twilio")
    call_id = call.get("id")
    return CallContext(
        conversation_id=str(call_id)[:MAX_CONVERSATION_ID] if call_id is not None else "",
        caller_number=number if isinstance(number, str) else "",
        call_sid=provider_id if twilio and is_call_sid(provider_id) else "",
        idempotency_key=f"vapi:{tool_call_id}" if tool_call_id else "",
    )


def _result(key: ApiKey, tool_call: tuple, message: dict) -> dict:
    call_id, name, arguments = tool_call
    done = answer(key, name, arguments, call_context(message, call_id))
    done.pop("code", None)  # Vapi's result holds a result or an error, nothing else
    return {"name": name, "toolCallId": call_id, **done}


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
    message = _message(body)
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
    closed_note = ""
    if handoff is not None and not handoff.opening().open:
        # Outside its hours: its after-hours alternative when that is open, else an error.
        after = handoff.after_hours if handoff.after_hours_id else None
        closed_note = f"“{handoff.name}” is {handoff.opening_text()}"
        if after is not None and after.opening().open:
            handoff, closed_note = after, f"{closed_note}: its after-hours handoff was returned."

    if handoff is None:
        error = (
            f"No transfer destination: this agent has no handoff named “{asked}” and no "
            "default handoff."
            if asked
            else "No transfer destination: none was named and this agent has no default handoff."
        )
    elif closed_note and not closed_note.endswith("returned."):
        error = f"No transfer destination: {closed_note}."
    elif handoff.method == SipMethod.BYE:
        error = (
            f"The handoff “{handoff.name}” ends the call (SIP BYE); it is not a transfer "
            "destination."
        )
    else:
        error = ""

    context = call_context(message)
    log = HandoffLog(
        handoff=handoff,
        handoff_name=handoff.name if handoff else asked[:64],
        agent=agent,
        agent_name=agent.name,
        environment=key.environment,
        source="vapi",
        conversation_id=context.conversation_id,
        call_sid=context.call_sid,
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
    if closed_note:
        log.outcome_detail = closed_note
    elif named:
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
