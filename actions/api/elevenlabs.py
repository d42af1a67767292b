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


def webhook_tool(key: ApiKey, name: str, body) -> dict:
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
    return answer(key, name, arguments, CallContext(**found))
