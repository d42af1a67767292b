"""POST /api/v1/retell: Retell's custom functions.

Retell posts {"name", "call", "args"} — the function's name, the call object and the
arguments the LLM chose — signed in X-Retell-Signature with the Retell API key that has the
webhook badge (stored, encrypted, on the agent). The signature is checked with the official
`retell-sdk` over the body exactly as sent, before the body is read; a missing or forged one is
401 and nothing is done. The call goes through the one invoke path (api/calls.py): the call's
id is the conversation id, the caller's number is `from_number` on an inbound call and
`to_number` on an outbound one. Retell hands the answer to the LLM as the function's result,
so a refusal is HTTP 200 too, its `error` holding the sentence to follow.
"""

from retell.lib.webhook_auth import verify

from actions.api.bodies import MAX_CONVERSATION_ID, MAX_VAPI_BODY_BYTES, parse_json, read_text
from actions.api.calls import CallContext, answer, is_call_sid
from actions.api.errors import ApiError, invalid_request
from actions.channels.credentials import retell_api_key
from actions.models import ApiKey

# Retell's call object carries the transcript so far, like Vapi's messages.
MAX_RETELL_BODY_BYTES = MAX_VAPI_BODY_BYTES
SIGNATURE_HEADER = "X-Retell-Signature"


def unsigned(message: str) -> ApiError:
    return ApiError(401, "unauthenticated", message)


def custom_function(key: ApiKey, request) -> dict:
    """Verify, read and run one custom-function call; the answer Retell gives the LLM."""
    text = read_text(request, MAX_RETELL_BODY_BYTES)
    secret = retell_api_key(key.agent)
    if not secret:
        raise unsigned(
            f"This agent has no Retell API key, so Retell's {SIGNATURE_HEADER} cannot be "
            "checked: set the key with the webhook badge on the agent's page."
        )
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        raise unsigned(f"{SIGNATURE_HEADER} is missing: only Retell's signed requests are taken.")
    if not verify(text, secret, signature):
        raise unsigned(
            f"{SIGNATURE_HEADER} does not match the body, or is older than five minutes."
        )
    body = parse_json(text, "The request body") if text.strip() else {}
    name, arguments, context = _read(body)
    return answer(key, name, arguments, context)


def _read(body) -> tuple[str, object, CallContext]:
    if not isinstance(body, dict):
        raise invalid_request(
            'The request body must be Retell\'s custom function call: {"name", "call", "args"} '
            '(turn "Payload: args only" off).'
        )
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise invalid_request(
            'name must be the custom function\'s name (turn "Payload: args only" off).', "/name"
        )
    arguments = body.get("args", {})
    if not isinstance(arguments, dict):
        raise invalid_request("args must be a JSON object of the function's arguments.", "/args")
    return name, arguments, call_context(body.get("call"))


def call_context(call) -> CallContext:
    call = call if isinstance(call, dict) else {}
    inbound = call.get("direction") != "outbound"
    number = call.get("from_number" if inbound else "to_number")
    telephony = call.get("telephony_identifier")
    call_sid = telephony.get("twilio_call_sid") if isinstance(telephony, dict) else None
    call_id = call.get("call_id")
    return CallContext(
        conversation_id=str(call_id)[:MAX_CONVERSATION_ID] if call_id is not None else "",
        caller_number=number if isinstance(number, str) else "",
        call_sid=call_sid if is_call_sid(call_sid) else "",
    )
