"""A handoff's transfer mode: cold (the caller is put through) or warm (the person answering
is told who is calling first).

The settings are one JSON value, as the configuration file writes them:

    {"mode": "warm", "summary_header": "X-Transfer-Summary", "whisper": true,
     "caller_id": "caller", "send_digits": "ww123"}

- warm: the agent's summary (the invoke's `summary`, else its `reason`) goes in a SIP header
  (`summary_header`) of the transfer, and with `whisper` a Twilio leg's answering person hears
  it before the caller is connected, with "press 1 to accept": anything else declines, which
  moves the call on to the next fallback like busy does;
- caller_id: the number the person answering sees — "caller" (the caller's own) or "channel"
  (the agent's sending number); empty: Twilio's default;
- send_digits: DTMF played after the answer (an extension), `w` a half-second pause.
"""

import re

MODES = ("cold", "warm")
CALLER_IDS = ("", "caller", "channel")
DEFAULT_HEADER = "X-Transfer-Summary"
KEYS = ("mode", "summary_header", "whisper", "caller_id", "send_digits")
DIGITS_RE = re.compile(r"^[0-9*#wW]{1,32}$")
HEADER_RE = re.compile(r"^X-[A-Za-z0-9-]{1,60}$")


def is_warm(transfer) -> bool:
    return isinstance(transfer, dict) and transfer.get("mode") == "warm"


def problems(transfer) -> dict[str, str]:
    if transfer in (None, {}):
        return {}
    if not isinstance(transfer, dict):
        return {"transfer": "must be a mapping: {mode, summary_header, whisper, caller_id, …}"}
    found = {key: f"unknown key; the transfer takes {', '.join(KEYS)}" for key in transfer
             if key not in KEYS}  # fmt: skip
    if transfer.get("mode", "cold") not in MODES:
        found["mode"] = "must be cold or warm"
    header = transfer.get("summary_header", DEFAULT_HEADER)
    if not isinstance(header, str) or not HEADER_RE.match(header):
        found["summary_header"] = "must be a header name starting with X-, e.g. X-Transfer-Summary"
    if not isinstance(transfer.get("whisper", False), bool):
        found["whisper"] = "must be true or false"
    if transfer.get("caller_id", "") not in CALLER_IDS:
        found["caller_id"] = "must be caller or channel"
    digits = transfer.get("send_digits", "")
    if digits and (not isinstance(digits, str) or not DIGITS_RE.match(digits)):
        found["send_digits"] = "digits, * and #, with w for a half-second pause (e.g. ww123)"
    return found


def summary_of(summary: str, reason: str) -> str:
    """What the person answering is told: the agent's summary, else its reason."""
    text = " ".join((summary or reason or "").split())
    return text[:500]
