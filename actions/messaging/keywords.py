"""Reading a reply as carriers and the law read it: STOP, START and HELP, as people type them.

The table (the one place these words live; each entry is tested):

- English opt-out words: the carriers' standard list (CTIA's Messaging Principles and Best
  Practices: STOP, QUIT, END, REVOKE, OPT OUT, CANCEL, UNSUBSCRIBE) with Twilio's default
  opt-out keywords (STOPALL, OPTOUT). The FCC's 2024 consent-revocation rule (47 CFR
  64.1200(a)(10)) names stop, quit, end, revoke, opt out, cancel and unsubscribe as reasonable
  ways to revoke consent by reply, so those count inside a short reply too ("stop please",
  "please stop texting me"), not only alone.
- Opt-in words (Twilio's defaults): START, UNSTOP, YES — alone only. Help: HELP, INFO.
- Other languages, for channels whose numbers are in their countries: French ARRET/ARRÊT,
  Spanish BAJA/PARAR/CANCELAR, Portuguese PARAR/SAIR/CANCELAR, German STOPP/ABMELDEN, Dutch
  STOPPEN/AFMELDEN, Italian BASTA/ANNULLA — alone only (a word inside a sentence may mean
  something else). US channels also read the Spanish words: many of their callers write them.

How a reply is read: Unicode full-width letters are read as their ASCII forms ("ＳＴＯＰ"),
case does not matter, and surrounding whitespace and punctuation are ignored ("Stop!",
" stop. "). A letter that only looks like an ASCII one is not one: "ſtop" (long s) is not STOP.
"""

import re
import unicodedata

STOP, START, HELP = "stop", "start", "help"

# The FCC's words, also counted inside a short reply.
REVOCATION_WORDS = ("STOP", "QUIT", "END", "REVOKE", "OPT OUT", "CANCEL", "UNSUBSCRIBE")
OPT_OUT_WORDS = (*REVOCATION_WORDS, "STOPALL", "OPTOUT")
OPT_IN_WORDS = ("START", "UNSTOP", "YES")
HELP_WORDS = ("HELP", "INFO")
# Language -> its opt-out words; country (ISO 3166) -> its languages.
LANGUAGE_OPT_OUT = {
    "fr": ("ARRET", "ARRÊT"),
    "es": ("BAJA", "PARAR", "CANCELAR"),
    "pt": ("PARAR", "SAIR", "CANCELAR"),
    "de": ("STOPP", "ABMELDEN"),
    "nl": ("STOPPEN", "AFMELDEN"),
    "it": ("BASTA", "ANNULLA"),
}
COUNTRY_LANGUAGES = {
    "FR": ("fr",), "BE": ("fr", "nl"), "CH": ("fr", "de", "it"), "LU": ("fr", "de"),
    "CA": ("fr",), "ES": ("es",), "MX": ("es",), "AR": ("es",), "CO": ("es",), "CL": ("es",),
    "PE": ("es",), "US": ("es",), "PT": ("pt",), "BR": ("pt",), "DE": ("de",), "AT": ("de",),
    "NL": ("nl",), "IT": ("it",),
}  # fmt: skip
# How many words a reply may have for a revocation word inside it to count.
SHORT_REPLY_WORDS = 5

_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_WORD = re.compile(r"[A-ZÀ-Ý]+")


def _fold(text: str) -> str | None:
    """Full-width forms to ASCII, then upper case; None for a look-alike letter (ſ, K, ı…),
    which is not the ASCII letter it resembles."""
    folded = []
    for char in text:
        code = ord(char)
        if 0xFF01 <= code <= 0xFF5E:  # full-width ASCII
            char = chr(code - 0xFEE0)
        elif code > 0x7F and char.isalpha():
            plain = unicodedata.normalize("NFKC", char)
            if plain.isascii() or char.upper().isascii():
                return None  # a compatibility look-alike of an ASCII letter
        elif code > 0x7F and unicodedata.category(char) == "Zs":
            char = " "
        folded.append(char)
    return "".join(folded).upper()


def read(body: str, countries=()) -> str | None:
    """STOP, START, HELP or None for a reply to a channel whose numbers are in `countries`."""
    text = _fold(body or "")
    if text is None:
        return None
    text = " ".join(_EDGES.sub("", text).split())
    if not text:
        return None
    local = {word for c in countries for lang in COUNTRY_LANGUAGES.get(c, ()) for word in
             LANGUAGE_OPT_OUT[lang]}  # fmt: skip
    if text in OPT_OUT_WORDS or text in local:
        return STOP
    if text in OPT_IN_WORDS:
        return START
    if text in HELP_WORDS:
        return HELP
    words = _WORD.findall(text)
    if len(words) <= SHORT_REPLY_WORDS:
        joined = f" {' '.join(words)} "
        if any(f" {word} " in joined for word in REVOCATION_WORDS):
            return STOP
    return None
