"""Reading request bodies: size, encoding and JSON, then the shape of each endpoint's body.

Every problem is 400 `invalid_request` naming the field, as a JSON pointer.
"""

import json
import re
from dataclasses import dataclass

from actions.api.errors import invalid_request

MAX_BODY_BYTES = 64 * 1024
# Vapi's server messages carry the whole call so far (transcript, messages twice over, the
# assistant's configuration): a long call outgrows 64 KiB.
MAX_VAPI_BODY_BYTES = 1024 * 1024
MAX_CONVERSATION_ID = 200
MAX_REASON = 500
CALL_SID_RE = re.compile(r"^CA[0-9a-fA-F]{32}$")

INVOKE_FIELDS = ("conversation_id", "contact", "variables", "parameters")
HANDOFF_FIELDS = ("conversation_id", "call_sid", "reason", "variables")


def read_json(request, limit: int = MAX_BODY_BYTES):
    """The request body as JSON; too large, not UTF-8 or not JSON is 400 invalid_request."""
    length = request.headers.get("Content-Length", "0")
    if not length.isdigit() or int(length) > limit:
        raise invalid_request(f"The request body must be JSON of at most {limit} bytes.")
    raw = request.body
    if len(raw) > limit:
        raise invalid_request(f"The request body must be JSON of at most {limit} bytes.")
    if not raw.strip():
        return {}
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise invalid_request("The request body is not UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise invalid_request(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}."
        ) from None


@dataclass(frozen=True)
class InvokeRequest:
    conversation_id: str
    contact_number: str
    variables: dict
    parameters: dict


@dataclass(frozen=True)
class HandoffRequest:
    conversation_id: str
    call_sid: str
    reason: str
    variables: dict


def invoke_body(body) -> InvokeRequest:
    """The body of POST /api/v1/actions/<name>/invoke."""
    _only(body, INVOKE_FIELDS)
    contact = body.get("contact") or {}
    if not isinstance(contact, dict):
        raise invalid_request('contact must be an object like {"phone_number": "+1…"}.', "/contact")
    number = contact.get("phone_number") or ""
    if not isinstance(number, str):
        raise invalid_request("contact.phone_number must be a string.", "/contact/phone_number")
    return InvokeRequest(
        conversation_id=_text(body, "conversation_id", MAX_CONVERSATION_ID),
        contact_number=number.strip(),
        variables=_object(body, "variables"),
        parameters=_object(body, "parameters"),
    )


def handoff_body(body) -> HandoffRequest:
    """The body of POST /api/v1/handoffs/<name>/invoke."""
    _only(body, HANDOFF_FIELDS)
    conversation_id = _text(body, "conversation_id", MAX_CONVERSATION_ID)
    call_sid = _text(body, "call_sid", 64).strip()
    if call_sid and not CALL_SID_RE.match(call_sid):
        raise invalid_request(
            "call_sid must be a Twilio call SID: CA followed by 32 hexadecimal characters.",
            "/call_sid",
        )
    reason = _text(body, "reason", MAX_REASON)
    return HandoffRequest(conversation_id, call_sid, reason, _object(body, "variables"))


def _only(body, fields: tuple[str, ...]) -> None:
    """A JSON object holding no field but `fields`."""
    if not isinstance(body, dict):
        raise invalid_request("The request body must be a JSON object.")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        allowed = ", ".join(fields[:-1]) + " and " + fields[-1]
        raise invalid_request(
            f"Unknown field “{unknown[0]}”: the body may contain {allowed}.", f"/{unknown[0]}"
        )


def _text(body: dict, name: str, limit: int) -> str:
    """An optional string field; null is empty."""
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise invalid_request(f"{name} must be a string of at most {limit} characters.", f"/{name}")
    return value


def _object(body: dict, name: str) -> dict:
    """An optional JSON object field; null or absent is {}."""
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_request(f"{name} must be a JSON object.", f"/{name}")
    return value
