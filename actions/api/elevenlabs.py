"""POST /api/v1/elevenlabs/<tool name>: ElevenLabs' server (webhook) tools.

An ElevenLabs agent's webhook tool posts a JSON body: the arguments the LLM chose, and the
values the tool's configuration fills from ElevenLabs' system dynamic variables — by the
variables' own names, `system__caller_id` (the caller's number), `system__conversation_id`
and `system__call_sid` (Twilio's, for a live transfer). Those three are the call's context;
everything else is the tool's arguments. Authentication is the agent's key in a header the
tool sends (`Authorization: Bearer …`, kept as an ElevenLabs secret). The answer is HTTP 200,
{"result"} or {"error", "code"}, which ElevenLabs hands to the LLM.
"""

from actions.api.calls import CallContext, answer, is_call_sid
from actions.api.errors import invalid_request
from actions.models import ApiKey

# The system dynamic variables a tool's body carries, by the CallContext field each fills.
SYSTEM_VARIABLES = {
    "caller_number": "system__caller_id",
    "conversation_id": "system__conversation_id",
    "call_sid": "system__call_sid",
}


# The envelope some ElevenLabs tool calls come in: the arguments under `parameters`.
ENVELOPE_KEYS = ("tool_call_id", "tool_name")


def webhook_tool(key: ApiKey, name: str, body) -> dict:
    """The tool's body, or {tool_call_id, tool_name, parameters, conversation_id} (then the
    arguments are `parameters` and the tool call's id is the idempotency key)."""
    idempotency_key = ""
    if (
        isinstance(body, dict)
        and isinstance(body.get("parameters"), dict)
        and any(k in body for k in ENVELOPE_KEYS)
    ):
        conversation, call_id = body.get("conversation_id"), body.get("tool_call_id")
        body = dict(body["parameters"])
        if isinstance(conversation, str):
            body.setdefault("system__conversation_id", conversation)
        if isinstance(call_id, str) and 0 < len(call_id) <= 200:
            idempotency_key = f"elevenlabs:{call_id}"
    if not isinstance(body, dict):
        raise invalid_request(
            "The request body must be a JSON object: the tool's arguments, and "
            f"{', '.join(SYSTEM_VARIABLES.values())} filled from ElevenLabs' dynamic variables."
        )
    arguments = dict(body)
    found = {field: arguments.pop(variable, "") for field, variable in SYSTEM_VARIABLES.items()}
    for field, value in found.items():
        if not isinstance(value, str):
            variable = SYSTEM_VARIABLES[field]
            raise invalid_request(f"{variable} must be text.", f"/{variable}")
    if not is_call_sid(found["call_sid"]):
        found["call_sid"] = ""
    context = CallContext(**found, idempotency_key=idempotency_key)
    return answer(key, name, arguments, context)
