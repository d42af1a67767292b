"""A tool call from any connector (MCP, Vapi, Retell, ElevenLabs) -> the one invoke path.

Each connector reads its platform's format into a tool name, its arguments and a CallContext
(who is calling, in which call), and answers in its platform's format what `call_tool`
returns or raises. The work itself is the REST API's: `invoke_action` for a send-text action,
`invoke_handoff` for `transfer_call` — the same validation, consent, opt-out, limits,
idempotency, message row and worker.
"""

from dataclasses import dataclass, field

from actions.agents.tools import TRANSFER_TOOL
from actions.api.errors import ApiError
from actions.api.handoffs import invoke_handoff, unknown_handoff
from actions.api.invoke import invoke_action
from actions.handoffs.destinations import agent_handoffs
from actions.models import ApiKey


@dataclass(frozen=True)
class CallContext:
    """What a platform says about the call a tool is called in (each field may be empty)."""

    conversation_id: str = ""
    caller_number: str = ""
    call_sid: str = ""  # Twilio's CA… SID of the live call, for the redirect of a transfer
    idempotency_key: str = ""  # the platform's id of this one tool call, where it has one
    variables: dict = field(default_factory=dict)


def is_call_sid(value) -> bool:
    """A Twilio call SID as a platform reports it (a transfer redirects that live call)."""
    return isinstance(value, str) and value.startswith("CA") and len(value) <= 64


def call_tool(key: ApiKey, name: str, arguments, context: CallContext) -> dict:
    """The REST answer of the tool's invoke (202's or the handoff's body); ApiError otherwise."""
    if not isinstance(arguments, dict):
        raise ApiError(
            400,
            "invalid_parameters",
            "The tool's arguments must be a JSON object.",
            details=[{"path": "/parameters", "message": "Not a JSON object."}],
            say=f"Call {name} again with its arguments as an object of named values.",
        )
    if name == TRANSFER_TOOL:
        return _transfer(key, arguments, context)
    body = {"conversation_id": context.conversation_id, "parameters": arguments}
    if context.caller_number:
        body["contact"] = {"phone_number": context.caller_number}
    if context.variables:
        body["variables"] = context.variables
    return invoke_action(key, name, body, context.idempotency_key)


def _transfer(key: ApiKey, arguments: dict, context: CallContext) -> dict:
    destination = arguments.get("destination")
    if not isinstance(destination, str) or not destination.strip():
        names = list(agent_handoffs(key.agent).values_list("name", flat=True))
        if not names:
            raise unknown_handoff(key.agent, "")
        raise ApiError(
            400,
            "invalid_parameters",
            "transfer_call needs a destination.",
            details=[{"path": "/parameters/destination", "message": "“destination” is required."}],
            say=f"Call {TRANSFER_TOOL} again with destination set to one of: {', '.join(names)}.",
        )
    reason, summary = arguments.get("reason"), arguments.get("summary")
    body = {
        "conversation_id": context.conversation_id,
        "reason": reason if isinstance(reason, str) else "",
        "summary": summary if isinstance(summary, str) else "",
    }
    if context.call_sid:
        body["call_sid"] = context.call_sid
    if context.variables:
        body["variables"] = context.variables
    return invoke_handoff(key, destination.strip(), body)


def answer(key: ApiKey, name: str, arguments, context: CallContext) -> dict:
    """A platform's tool result: {"result": the sentence to follow} when done, or
    {"error": the sentence to follow, "code"} when refused — the LLM reads either."""
    try:
        done = call_tool(key, name, arguments, context)
    except ApiError as exc:
        return {"error": refusal_text(exc), "code": exc.code}
    return {"result": result_text(done)}


def result_text(answer: dict) -> str:
    """What the LLM reads of a successful call: the sentence to follow."""
    return answer.get("say") or "Done."


def refusal_text(error: ApiError) -> str:
    """What the LLM reads of a refusal: the sentence to follow (it offers the fallback handoff
    when there is one), or the plain message where no sentence fits."""
    return error.say or error.message
