"""What kind of sender a channel sends from, and how fast carriers let it send.

US carriers cap each sender's throughput: a long code (an ordinary 10-digit number) about one
message a second, a toll-free number about three, a short code about a hundred (CTIA and the
carriers' A2P guidance; Twilio's "Understanding Twilio's message queue and rate limits").
A Messaging Service or an alphanumeric sender ID has no rate of its own kind: it is whatever
the service's numbers or the country's carriers allow, so its default is the safe one a
second, and the channel says to set it.
"""

import re

import phonenumbers

LONG_CODE = "long_code"
TOLL_FREE = "toll_free"
SHORT_CODE = "short_code"
MESSAGING_SERVICE = "messaging_service"
ALPHANUMERIC = "alphanumeric"

KIND_LABELS = {
    LONG_CODE: "a long code",
    TOLL_FREE: "a toll-free number",
    SHORT_CODE: "a short code",
    MESSAGING_SERVICE: "a Messaging Service",
    ALPHANUMERIC: "an alphanumeric sender ID",
}

# Where each kind can be used, as the channel's page says it.
WHERE = {
    LONG_CODE: "",
    TOLL_FREE: " It needs toll-free verification before US carriers deliver its texts.",
    SHORT_CODE: " A short code works only in its own country, and only once the carriers have "
    "approved it.",
    MESSAGING_SERVICE: "",
    ALPHANUMERIC: " An alphanumeric sender ID cannot be replied to (no STOP by reply: keep the "
    "opt-outs by hand) and is refused in the US and Canada; some countries ask to register it.",
}

# Messages a second each kind sends at unless the channel says otherwise.
DEFAULT_RATES = {
    LONG_CODE: 1.0,
    TOLL_FREE: 3.0,
    SHORT_CODE: 100.0,
    MESSAGING_SERVICE: 1.0,
    ALPHANUMERIC: 1.0,
}
# Kinds whose default is a floor rather than what the carriers allow: the form asks for a rate.
CONFIGURABLE = {MESSAGING_SERVICE, ALPHANUMERIC}

MIN_RATE = 0.1
MAX_RATE = 1000.0

SHORT_CODE_RE = re.compile(r"^[0-9]{5,6}$")


def kind_of(sender: str) -> str:
    """`+18005550100` -> toll_free, `+15005550006` -> long_code, `MG…` -> messaging_service,
    `12345` -> short_code, `Acme` -> alphanumeric."""
    text = (sender or "").strip()
    if text[:2].upper() == "MG":
        return MESSAGING_SERVICE
    if SHORT_CODE_RE.match(text):
        return SHORT_CODE
    if not text.startswith("+"):
        return ALPHANUMERIC
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return LONG_CODE
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.TOLL_FREE:
        return TOLL_FREE
    return LONG_CODE


def default_rate(sender: str) -> float:
    return DEFAULT_RATES[kind_of(sender)]


def describe_rate(rate: float) -> str:
    """1 -> "1 message a second", 0.5 -> "0.5 messages a second"."""
    shown = f"{rate:g}"
    return f"{shown} message a second" if rate == 1 else f"{shown} messages a second"
