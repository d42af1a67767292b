"""How a carrier would send an SMS body: encoding, segments and the characters to blame.

Used by the live preview of the SMS action builder. Pure standard library on purpose, so the
same rules can be unit-tested without Django and mirrored in the browser if needed.

The rules are GSM 03.38 (3GPP TS 23.038): a body made only of the GSM-7 default alphabet and
its extension table is sent in 7-bit septets; any other character switches the whole message
to UCS-2, which counts UTF-16 code units.
"""

import unicodedata
from dataclasses import dataclass

# Twilio rejects bodies over this many characters, whatever the encoding.
MAX_BODY_CHARACTERS = 1600

GSM7_SINGLE = 160
GSM7_MULTIPART = 153
UCS2_SINGLE = 70
UCS2_MULTIPART = 67
# The most segments a message may have: 10 GSM-7 segments (1,530 characters) fit Twilio's
# 1,600-character limit.
MAX_SEGMENTS = 10


def gsm7_characters(segments: int) -> int:
    """The most GSM-7 characters that fit in this many segments."""
    return GSM7_SINGLE if segments == 1 else segments * GSM7_MULTIPART


def fitting_units(encoding: str, segments: int) -> int:
    """The most units (septets, or UTF-16 code units) of this encoding in this many segments."""
    if encoding == "GSM-7":
        return gsm7_characters(segments)
    return UCS2_SINGLE if segments == 1 else segments * UCS2_MULTIPART


# The GSM 03.38 default alphabet in code order 0x00-0x7F, with ESC (0x1B) left out because it
# introduces the extension table and is never user text. 0x09 is the capital Ç as in the ETSI
# table; unicode.org's GSM0338.TXT maps it to a small ç, so some gateways disagree about ç.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# Reached through ESC, so each costs two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[]~|€")

# Characters that switch a message to UCS-2 without the author meaning to: word processors and
# phone keyboards insert them for plain quotes, dashes and spaces.
SUGGESTIONS: dict[str, str] = {
    "\u2018": "'",  # LEFT SINGLE QUOTATION MARK
    "\u2019": "'",  # RIGHT SINGLE QUOTATION MARK
    "\u201a": "'",  # SINGLE LOW-9 QUOTATION MARK
    "\u201b": "'",  # SINGLE HIGH-REVERSED-9 QUOTATION MARK
    "\u201c": '"',  # LEFT DOUBLE QUOTATION MARK
    "\u201d": '"',  # RIGHT DOUBLE QUOTATION MARK
    "\u201e": '"',  # DOUBLE LOW-9 QUOTATION MARK
    "\u00b4": "'",  # ACUTE ACCENT
    "\u00a0": " ",  # NO-BREAK SPACE
    "\u202f": " ",  # NARROW NO-BREAK SPACE
    "\u2009": " ",  # THIN SPACE
    "\u200b": "",  # ZERO WIDTH SPACE
    "\u00ad": "",  # SOFT HYPHEN
    "\u2013": "-",  # EN DASH
    "\u2014": "-",  # EM DASH
    "\u2026": "...",  # HORIZONTAL ELLIPSIS
    "\u2022": "-",  # BULLET
}

_TRANSLATION = str.maketrans(SUGGESTIONS)


@dataclass(frozen=True)
class ForcingCharacter:
    """A character that made the message UCS-2, at its first occurrence."""

    char: str
    name: str
    position: int
    suggestion: str | None


@dataclass(frozen=True)
class SmsAnalysis:
    """The result of `analyse`: what the carrier would bill and why."""

    characters: int
    encoding: str
    units: int
    segments: int
    per_segment: int
    remaining: int
    ucs2_forcing: tuple[ForcingCharacter, ...]
    too_long: bool


def is_gsm7(char: str) -> bool:
    """Return True if `char` can be sent in GSM-7 (default alphabet or extension table)."""
    return char in GSM7_BASIC or char in GSM7_EXTENSION


def gsm_safe(body: str) -> str:
    """Replace the look-alike characters that force UCS-2 with their GSM-7 equivalents.

    Only the characters in `SUGGESTIONS` are touched; accented letters, emoji and everything
    else are left as they are, since replacing those would change what the message says.
    """
    return body.translate(_TRANSLATION)


def _pack(costs: list[int], capacity: int) -> tuple[int, int]:
    """Greedily fill segments of `capacity`; return (segments, units left in the last one).

    A cost of 2 is an indivisible pair (ESC + character, or a surrogate pair): carriers never
    split one across segments, so a segment with one unit left closes early.
    """
    segments, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            segments += 1
            used = 0
        used += cost
    return segments, capacity - used


def _forcing_characters(body: str) -> tuple[ForcingCharacter, ...]:
    found: dict[str, ForcingCharacter] = {}
    for position, char in enumerate(body):
        if char in found or is_gsm7(char):
            continue
        found[char] = ForcingCharacter(
            char=char,
            name=unicodedata.name(char, f"U+{ord(char):04X}"),
            position=position,
            suggestion=SUGGESTIONS.get(char),
        )
    return tuple(found.values())


def analyse(body: str) -> SmsAnalysis:
    """Analyse `body` as a carrier would send it: encoding, units, segments and culprits.

    An empty body has no segments. A body that fits the single-message limit (160 septets or
    70 UCS-2 units) is one segment; anything longer is packed into multipart segments of 153
    or 67, never splitting an escaped character or a surrogate pair.
    """
    forcing = _forcing_characters(body)
    if forcing:
        encoding, single, multipart = "UCS-2", UCS2_SINGLE, UCS2_MULTIPART
        # Code points above the BMP take a surrogate pair, i.e. two UTF-16 code units.
        costs = [2 if ord(char) > 0xFFFF else 1 for char in body]
    else:
        encoding, single, multipart = "GSM-7", GSM7_SINGLE, GSM7_MULTIPART
        costs = [2 if char in GSM7_EXTENSION else 1 for char in body]
    units = sum(costs)

    if not body:
        segments, per_segment, remaining = 0, single, single
    elif units <= single:
        segments, per_segment, remaining = 1, single, single - units
    else:
        per_segment = multipart
        segments, remaining = _pack(costs, multipart)

    return SmsAnalysis(
        characters=len(body),
        encoding=encoding,
        units=units,
        segments=segments,
        per_segment=per_segment,
        remaining=remaining,
        ucs2_forcing=forcing,
        too_long=len(body) > MAX_BODY_CHARACTERS,
    )
