"""Reading request bodies: size, encoding and JSON, then the shape of each endpoint's body.

Every problem is 400 `invalid_request` naming the field, as a JSON pointer. What no database
or later step can take is refused here, before anything else looks at the body: nesting
deeper than MAX_DEPTH, NUL characters and lone surrogates (PostgreSQL and UTF-8 refuse them),
numbers that are not finite or have more digits than any value needs.
"""

import json
import math
import re
from dataclasses import dataclass

from actions.api.errors import invalid_request

MAX_BODY_BYTES = 64 * 1024
# Vapi's server messages carry the whole call so far (transcript, messages twice over, the
# assistant's configuration): a long call outgrows 64 KiB.
MAX_VAPI_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32  # levels of nested objects and arrays
MAX_DIGITS = 100  # in an integer; Python refuses more than 4,300 anyway
MAX_CONVERSATION_ID = 200
MAX_REASON = 500
CALL_SID_RE = re.compile(r"^CA[0-9a-fA-F]{32}$")

INVOKE_FIELDS = ("conversation_id", "contact", "variables", "parameters")
HANDOFF_FIELDS = ("conversation_id", "call_sid", "reason", "summary", "variables")


def read_json(request, limit: int = MAX_BODY_BYTES):
    """The request body as JSON that every later step can take; anything else is 400."""
    text = read_text(request, limit)
    return parse_json(text, "The request body") if text.strip() else {}


def read_text(request, limit: int = MAX_BODY_BYTES) -> str:
    """The request body as text, exactly as sent (what a signature is computed over)."""
    try:
        return _raw_body(request, limit).decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_request("The request body is not UTF-8.") from None


def parse_json(text: str, what: str, path: str = ""):
    """JSON text (a body, or a platform's arguments sent as a string) under the body's rules:
    no NaN, bounded numbers and depth, storable strings; anything else is 400 naming `what`."""
    try:
        value = json.loads(
            text,
            parse_constant=_Unusable,  # NaN, Infinity, -Infinity
            parse_float=_float,
            parse_int=_int,
        )
    except json.JSONDecodeError as exc:
        raise invalid_request(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.", path
        ) from None
    except RecursionError:
        raise invalid_request(_too_deep(what), path) from None
    _check_values(value, path)
    return value


def _raw_body(request, limit: int) -> bytes:
    too_large = f"The request body must be JSON of at most {limit} bytes."
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # No Content-Length: Django reads nothing. A server that undoes the chunking (gunicorn)
        # says so with wsgi.input_terminated; then the stream ends where the body does.
        if not request.META.get("wsgi.input_terminated"):
            raise invalid_request(
                "Send the body with a Content-Length header: this server cannot read a chunked "
                "body."
            )
        raw = request.META["wsgi.input"].read(limit + 1)
    else:
        length = request.headers.get("Content-Length", "0")
        if not length.isdigit() or int(length) > limit:
            raise invalid_request(too_large)
        raw = request.body
    if len(raw) > limit:
        raise invalid_request(too_large)
    return raw


class _Unusable:
    """A number JSON allows and nothing after us can hold; found, with its path, afterwards."""

    def __init__(self, text: str):
        self.text = text

    def problem(self) -> str:
        if self.text.lstrip("-").isdigit():
            return f"is an integer of {len(self.text.lstrip('-'))} digits; at most {MAX_DIGITS}."
        return f"is {self.text[:20]}, not a finite number."


def _float(text: str):
    value = float(text)
    return value if math.isfinite(value) else _Unusable(text)


def _int(text: str):
    return int(text) if len(text.lstrip("-")) <= MAX_DIGITS else _Unusable(text)


# NUL, which PostgreSQL refuses in text, and halves of surrogate pairs, which UTF-8 cannot hold.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _too_deep(where: str) -> str:
    return f"{where} is nested too deeply: at most {MAX_DEPTH} levels of objects and arrays."


def _check_values(value, root: str = "") -> None:
    """Every string, key and number of the parsed body storable and every level within
    MAX_DEPTH; the first problem is raised with its JSON pointer. Iterative: no recursion."""
    stack = [(value, root, 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= MAX_DEPTH:
                raise invalid_request(_too_deep(path or "The request body"), path)
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, item in items:
                child = f"{path}/{_escape(str(key))}"
                if isinstance(key, str) and _UNSTORABLE.search(key):
                    raise invalid_request(f"{child}: {_unstorable(key)}", child)
                stack.append((item, child, depth + 1))
        elif isinstance(node, str) and _UNSTORABLE.search(node):
            raise invalid_request(f"{path or 'The body'}: {_unstorable(node)}", path)
        elif isinstance(node, _Unusable):
            raise invalid_request(f"{path or 'The body'} {node.problem()}", path)


def _unstorable(text: str) -> str:
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which text may not hold."
    return "contains half of a UTF-16 surrogate pair, which is not a character."


def _escape(key: str) -> str:
    """A JSON-pointer reference token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


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
    summary: str = ""


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
    summary = _text(body, "summary", MAX_REASON)
    return HandoffRequest(
        conversation_id, call_sid, reason, _object(body, "variables"), summary=summary
    )


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
