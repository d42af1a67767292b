"""Handoffs as SIP: the rules for their fields, and the instruction, TwiML and Vapi answer.

One module, so the builder form, the model's clean(), the YAML import and the API all apply
the same rules and describe a handoff the same way.
"""

import re
from urllib.parse import quote

from django.core.exceptions import ValidationError
from twilio.twiml.voice_response import Dial, Hangup, Refer, VoiceResponse

from actions import gotemplate
from actions.common.validation import normalise_e164

METHODS = ("invite", "refer", "bye")
ENCRYPTIONS = ("TLS/SRTP", "UDP/RTP")
MAX_HEADERS = 20
MAX_HEADER_VALUE = 256

# RFC 3261 §25.1: a header name is a `token`.
TOKEN_RE = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")
# Headers the SIP stack owns: setting them from a handoff would break or hijack the call.
RESERVED_HEADERS = {
    name.lower(): name
    for name in (
        "Via", "From", "To", "Call-ID", "CSeq", "Contact", "Content-Length", "Content-Type",
        "Content-Encoding", "Max-Forwards", "Route", "Record-Route", "Refer-To", "Referred-By",
        "Replaces", "Authorization", "Proxy-Authorization", "WWW-Authenticate",
        "Proxy-Authenticate", "Expires", "Event", "Allow", "Allow-Events", "Supported",
        "Require", "Proxy-Require", "Session-Expires", "Min-SE", "RAck", "RSeq",
        "Subscription-State",
    )
}  # fmt: skip
# RFC 3261 §7.3.3 and its extensions: the one-letter compact forms of the headers above.
COMPACT_FORMS = {
    "i": "Call-ID", "m": "Contact", "f": "From", "t": "To", "v": "Via", "l": "Content-Length",
    "c": "Content-Type", "e": "Content-Encoding", "k": "Supported", "o": "Event",
    "u": "Allow-Events", "r": "Refer-To", "b": "Referred-By", "x": "Session-Expires",
}  # fmt: skip
# A host name or IPv4 address, optionally with a port; or an IPv6 address in brackets.
HOST_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
ENDPOINT_RE = re.compile(
    rf"^(?:(?P<host>{HOST_LABEL}(?:\.{HOST_LABEL})*)|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])"
    r"(?::(?P<port>[0-9]{1,5}))?$"
)


def header_problem(key: str, value: str) -> str | None:
    """What is wrong with one SIP header, or None."""
    if not key:
        return "Give the header a name, e.g. X-Reason."
    if not TOKEN_RE.match(key):
        return (
            f"“{key}” is not a valid SIP header name: use letters, digits and - . ! % * _ + ` ' ~ "
            "only, no spaces."
        )
    reserved = RESERVED_HEADERS.get(key.lower()) or COMPACT_FORMS.get(key.lower())
    if reserved:
        return f"“{key}” is set by the SIP stack ({reserved}); setting it would break the call."
    if any(ch in value for ch in "\r\n\0"):
        return f"The value of {key} must be on one line: no line breaks or NUL characters."
    if not value:
        return f"Give {key} a value."
    if len(value) > MAX_HEADER_VALUE:
        return f"The value of {key} is longer than {MAX_HEADER_VALUE} characters."
    if "{{" in value:
        try:
            fields = gotemplate.parse(value).fields()
        except gotemplate.TemplateError as exc:
            return f"The value of {key} is not a valid template: {exc.detail}"
        outside = sorted("." + ".".join(f) for f in fields if f and f[0] not in HEADER_DATA)
        if outside:
            return (
                f"The value of {key} reads {', '.join(outside)}: a header template can read "
                ".variables.NAME, .summary, .reason and .conversation_id."
            )
    return None


# What a header value's template may read at call time.
HEADER_DATA = ("variables", "summary", "reason", "conversation_id")


def render_headers(headers: list[dict], log) -> list[dict]:
    """The headers with their templates rendered over the call (the log entry's variables,
    summary, reason, conversation id). A value that cannot be rendered — a variable the agent
    did not send — leaves its header out rather than sending a broken value."""
    data = {
        "variables": getattr(log, "variables", None) or {},
        "summary": getattr(log, "summary", "") or "",
        "reason": getattr(log, "reason", "") or "",
        "conversation_id": getattr(log, "conversation_id", "") or "",
    }
    rendered = []
    for header in headers:
        value = header["value"]
        if "{{" in value:
            try:
                value = gotemplate.render(value, data, missingkey="error")
            except gotemplate.TemplateError:
                continue
            value = " ".join(value.split())[:MAX_HEADER_VALUE]
            if not value:
                continue
        rendered.append({"key": header["key"], "value": value})
    return rendered


def header_warning(key: str) -> str | None:
    if key and not key.lower().startswith("x-"):
        return (
            f"“{key}” has no X- prefix: custom SIP headers should start with X-, or the other "
            "side may drop or misread them."
        )
    return None


def clean_headers(headers) -> list[dict]:
    """[{"key", "value"}, …] checked and trimmed; every problem raised at once, by row."""
    if headers in (None, ""):
        return []
    if not isinstance(headers, list):
        raise ValidationError('SIP headers must be a list of {"key": …, "value": …} pairs.')
    problems = []
    cleaned = []
    seen: dict[str, int] = {}
    for number, header in enumerate(headers, start=1):
        if not isinstance(header, dict) or set(header) - {"key", "value"}:
            problems.append(f'Header {number}: must be {{"key": …, "value": …}}.')
            continue
        key, value = header.get("key", ""), header.get("value", "")
        if not isinstance(key, str) or not isinstance(value, str):
            problems.append(f"Header {number}: the key and the value must be text.")
            continue
        key = key.strip()
        # Surrounding spaces are dropped; a line break anywhere is refused, not trimmed.
        value = value.strip(" \t")
        problem = header_problem(key, value)
        if problem is None and key.lower() in seen:
            problem = f"{key} is already header {seen[key.lower()]}; give each header once."
        if problem:
            problems.append(f"Header {number}: {problem}")
        seen.setdefault(key.lower(), number)
        cleaned.append({"key": key, "value": value})
    if len(cleaned) > MAX_HEADERS:
        problems.append(f"At most {MAX_HEADERS} SIP headers; there are {len(cleaned)}.")
    if problems:
        raise ValidationError(problems)
    return cleaned


def header_warnings(headers: list[dict]) -> list[str]:
    return [w for h in headers if (w := header_warning(h.get("key", "")))]


def normalise_endpoint(value: str) -> str:
    """`sip.example.com`, `sip.example.com:5061`, `203.0.113.5:5060` or `[2001:db8::1]:5061`."""
    text = (value or "").strip()
    if text.lower().startswith(("sip:", "sips:")):
        raise ValidationError(
            f"Enter the host only, without “{text.split(':', 1)[0]}:”, e.g. sip.example.com:5061."
        )
    match = ENDPOINT_RE.match(text)
    if not match:
        raise ValidationError(
            f"“{text}” is not a host or host:port, e.g. sip.example.com or sip.example.com:5061."
        )
    port = match.group("port")
    if port is not None and not 1 <= int(port) <= 65535:
        raise ValidationError(f"Port {port} is out of range: use 1 to 65535.")
    host = match.group("host")
    if host and host.replace(".", "").isdigit() and not _ipv4(host):
        raise ValidationError(f"“{host}” is not a valid IPv4 address.")
    return text.lower()


def _ipv4(host: str) -> bool:
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) <= 255 for p in parts)


def field_errors(method, phone_number, outbound_endpoint, outbound_encryption):
    """The per-method rules: (errors by field, the cleaned values)."""
    errors: dict[str, list[str]] = {}
    values = {"phone_number": "", "outbound_endpoint": "", "outbound_encryption": ""}
    phone_number = (phone_number or "").strip()
    outbound_endpoint = (outbound_endpoint or "").strip()
    outbound_encryption = (outbound_encryption or "").strip()
    if method not in METHODS:
        errors["method"] = [f"Choose invite, refer or bye (not “{method}”)."]
        return errors, values
    if method == "bye":
        if phone_number:
            errors["phone_number"] = ["A bye ends the call: it has no phone number."]
        if outbound_endpoint:
            errors["outbound_endpoint"] = ["A bye ends the call: it has no outbound endpoint."]
        if outbound_encryption:
            errors["outbound_encryption"] = ["A bye ends the call: it has no encryption."]
        return errors, values
    if not phone_number:
        verb = "transfer the call to" if method == "refer" else "call"
        errors["phone_number"] = [f"Enter the number to {verb}, e.g. +441234567890."]
    else:
        try:
            values["phone_number"] = normalise_e164(phone_number)
        except ValidationError as exc:
            errors["phone_number"] = exc.messages
    if method == "refer":
        if outbound_endpoint:
            errors["outbound_endpoint"] = [
                "A refer hands the call to the phone number; it has no outbound endpoint "
                "(use invite to call out through an endpoint)."
            ]
        if outbound_encryption:
            errors["outbound_encryption"] = ["A refer has no outbound encryption."]
        return errors, values
    if not outbound_endpoint:
        errors["outbound_endpoint"] = [
            "An invite calls out through an endpoint: enter its host, e.g. sip.example.com:5061."
        ]
    else:
        try:
            values["outbound_endpoint"] = normalise_endpoint(outbound_endpoint)
        except ValidationError as exc:
            errors["outbound_endpoint"] = exc.messages
    encryption = outbound_encryption or "TLS/SRTP"
    if encryption not in ENCRYPTIONS:
        errors["outbound_encryption"] = [f"Choose TLS/SRTP or UDP/RTP (not “{encryption}”)."]
    values["outbound_encryption"] = encryption
    return errors, values


# --- what a handoff becomes at call time --------------------------------------------------
def instruction(handoff, chain: bool = True) -> dict:
    """The SIP instruction of the contract (DESIGN §6): method, number, endpoint, headers.

    With fallbacks or opening hours, the telephony side that follows the instruction itself
    (no call SID) gets them too: `fallbacks` (each one's instruction, in order) and
    `fallback_on`, and `hours`.
    """
    result = {
        "method": handoff.method,
        "phone_number": handoff.phone_number or None,
        "outbound_endpoint": handoff.outbound_endpoint or None,
        "outbound_encryption": handoff.outbound_encryption or None,
        "sip_headers": [{"key": h["key"], "value": h["value"]} for h in handoff.sip_headers],
    }
    if chain and handoff.pk and handoff.fallbacks:
        result["fallbacks"] = [
            {"handoff": f.name, **instruction(f, chain=False)} for f in handoff.fallback_handoffs()
        ]
        result["fallback_on"] = list(handoff.fallback_on)
    if chain and handoff.hours:
        result["hours"] = handoff.hours
    return result


def _header_query(headers: list[dict]) -> str:
    if not headers:
        return ""
    return "?" + "&".join(
        f"{quote(h['key'], safe='')}={quote(h['value'], safe='')}" for h in headers
    )


def sip_uri(handoff, extra_headers: list[dict] | None = None, log=None) -> str | None:
    """The URI the call goes to, headers as URI parameters, as Twilio's <Sip> takes them;
    with the call's `log` entry, header templates are rendered over it."""
    own = render_headers(handoff.sip_headers, log) if log is not None else handoff.sip_headers
    headers = _header_query([*own, *(extra_headers or [])])
    if handoff.method == "invite":
        transport = "tls" if handoff.outbound_encryption == "TLS/SRTP" else "udp"
        return (
            f"sip:{handoff.phone_number}@{handoff.outbound_endpoint};transport={transport}{headers}"
        )
    if handoff.method == "refer":
        return f"tel:{handoff.phone_number}{headers}"
    return None


# How long a transferred call rings before Twilio reports no-answer (Twilio's own default).
RING_TIMEOUT = 30


def twiml(
    handoff,
    sip_leg: bool = True,
    *,
    action: str | None = None,
    extra_headers: list[dict] | None = None,
    log=None,
    caller_id: str = "",
    number_options: dict | None = None,
) -> str:
    """The equivalent TwiML, built with the twilio SDK: the one builder of a handoff's TwiML,
    for the instruction (no call) and the live redirect alike.

    A refer is a SIP REFER, which Twilio performs only on SIP call legs; on a phone (PSTN)
    leg the same handoff is a <Dial><Number>, which bridges the call instead. The live
    redirect (handoffs/redirect.py) adds: `action`, where Twilio posts the transfer's outcome
    when the dial ends (a dial then rings for RING_TIMEOUT seconds); `extra_headers` and the
    call's `log` entry for the SIP URI's headers; the dial's `caller_id`; and the <Number>'s
    `number_options` (a whisper `url`, `send_digits`).
    """
    response = VoiceResponse()
    dial_options = {"action": action, "timeout": RING_TIMEOUT} if action else {}
    if caller_id:
        dial_options["caller_id"] = caller_id
    if handoff.method == "bye":
        response.append(Hangup())
    elif handoff.method == "invite":
        dial = Dial(**dial_options)
        dial.sip(sip_uri(handoff, extra_headers, log))
        response.append(dial)
    elif sip_leg:
        refer = Refer(**({"action": action} if action else {}))
        refer.sip(sip_uri(handoff, extra_headers, log))
        response.append(refer)
    else:
        dial = Dial(**dial_options)
        dial.number(handoff.phone_number, **(number_options or {}))
        response.append(dial)
    return str(response)


def vapi_destination(handoff) -> dict | None:
    """Vapi's transfer destination: a number for refer, a SIP URI for invite; None for bye."""
    if handoff.method == "refer":
        destination = {"type": "number", "number": handoff.phone_number}
        if handoff.utterance:
            destination["message"] = handoff.utterance
        return destination
    if handoff.method == "invite":
        transport = "tls" if handoff.outbound_encryption == "TLS/SRTP" else "udp"
        destination = {
            "type": "sip",
            "sipUri": (
                f"sip:{handoff.phone_number}@{handoff.outbound_endpoint};transport={transport}"
            ),
            "sipHeaders": {h["key"]: h["value"] for h in handoff.sip_headers},
        }
        if handoff.utterance:
            destination["message"] = handoff.utterance
        return destination
    return None


def say(handoff) -> str:
    """What the voice agent should do with the instruction."""
    if handoff.method == "bye":
        return (
            f"Say “{handoff.utterance}”, then end the call."
            if handoff.utterance
            else "Say goodbye to the caller; the call will be ended."
        )
    if handoff.utterance:
        return f"Say “{handoff.utterance}”; the call is being transferred."
    return "Tell the caller you are transferring them now."
