"""Validators shared by the builder forms, the Django admin, the YAML import and the API.

Each raises django.core.exceptions.ValidationError with a message a person can act on.
"""

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError

# A name an LLM calls or passes: a tool (action) name, a parameter name.
NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,63}$")
# A name of ours in URLs, config files and filters: a channel, handoff or agent.
IDENTIFIER_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MESSAGING_SERVICE_SID_RE = re.compile(r"^MG[0-9a-fA-F]{32}$")
ACCOUNT_SID_RE = re.compile(r"^AC[0-9a-fA-F]{32}$")

# Digits and the separators people type; letters (vanity numbers) are refused, not converted.
PHONE_CHARACTERS_RE = re.compile(r"^\+?[0-9 ()./-]+$")
# Fewer digits than this is not a phone number someone typed (a short code, an id).
MIN_PHONE_DIGITS = 6
E164_HINT = (
    "Enter the number in international format, starting with + and the country code, "
    "e.g. +15551234567."
)


def normalise_e164(value: str, country: str | None = None) -> str:
    """`+1 (555) 123-4567` -> `+15551234567`; anything that cannot be a phone number is refused.

    With a country (`GB`), a national number is read as that country's: `07700 900123` ->
    `+447700900123`. Numbers are checked for a possible length per country, not against
    allocation tables, so that Twilio's test numbers and fictional 555 numbers are accepted.

    This is the one reading of a typed number: the channel form, the send-log search, the
    opt-outs page and the API all use it, so what one refuses the others refuse too. The
    international prefix 00 is read as + (`0044 7700 900123` -> `+447700900123`).
    """
    text = (value or "").strip()
    if not PHONE_CHARACTERS_RE.match(text):
        raise ValidationError(f"“{text}” is not a phone number: use digits only. {E164_HINT}")
    if text.startswith("00"):
        text = "+" + text[2:].lstrip(" ")
    if not text.startswith("+") and not country:
        raise ValidationError(f"“{text}” is not an international phone number. {E164_HINT}")
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else country)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"“{text}” is not a phone number. {E164_HINT}") from None
    if not phonenumbers.is_possible_number(number):
        where = "its country code" if text.startswith("+") else f"a number in {country}"
        raise ValidationError(f"“{text}” has the wrong number of digits for {where}. {E164_HINT}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone_number(text: str) -> bool:
    """Whether typed text is meant as a phone number, to be read (or refused) by `normalise_e164`
    rather than taken as an id or a name: it starts with +, or it is digits and the separators
    people type, at least six digits."""
    text = (text or "").strip()
    digits = sum(ch.isdigit() for ch in text)
    if text.startswith("+"):
        return True
    return digits >= MIN_PHONE_DIGITS and bool(PHONE_CHARACTERS_RE.match(text))


def is_country(code: str) -> bool:
    """A two-letter region phone numbers know (ISO 3166-1 alpha-2, as libphonenumber has it)."""
    return code in phonenumbers.SUPPORTED_REGIONS


def country_of(number: str) -> str | None:
    """The region of an E.164 number (`+447700900123` -> `GB`), or None (a Messaging Service)."""
    if not (number or "").startswith("+"):
        return None
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    # The number's own region where it is valid, else its country code's main one (+44: GB).
    region = phonenumbers.region_code_for_number(parsed) or (
        phonenumbers.region_code_for_country_code(parsed.country_code)
    )
    return region if region and region != "ZZ" else None


SHORT_CODE_RE = re.compile(r"^[0-9]{5,6}$")
ALPHANUMERIC_RE = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


def normalise_sender(value: str) -> str:
    """A sender is an E.164 number, a short code (5 or 6 digits), an alphanumeric sender ID (up
    to 11 letters, digits or spaces, at least one letter) or a Twilio Messaging Service SID
    (MG + 32 hex digits)."""
    text = (value or "").strip()
    if SHORT_CODE_RE.match(re.sub(r"[ -]", "", text)) and not text.startswith("+"):
        return re.sub(r"[ -]", "", text)
    if text[:2].upper() == "MG" and re.fullmatch(r"MG[0-9a-fA-F]*", text):
        if not MESSAGING_SERVICE_SID_RE.match(text):
            raise ValidationError(
                "A Messaging Service SID is MG followed by 32 hexadecimal digits "
                "(find it in the Twilio console under Messaging > Services)."
            )
        return "MG" + text[2:].lower()
    if re.search(r"[A-Za-z]", text):
        if ALPHANUMERIC_RE.match(text):
            return text
        raise ValidationError(
            f"“{text}” is not a sender: an alphanumeric sender ID is 1 to 11 letters, digits or "
            "spaces with at least one letter (e.g. Acme Dental); a Messaging Service SID is MG "
            "followed by 32 hexadecimal digits."
        )
    try:
        return normalise_e164(text)
    except ValidationError as exc:
        raise ValidationError(
            f"{exc.messages[0]} A short code (5 or 6 digits), an alphanumeric sender ID (up to "
            "11 characters) or a Twilio Messaging Service SID (MG…) is also accepted."
        ) from None


def identifier_from(display_name: str) -> str:
    """The identifier suggested for a display name: `Customer notifications` ->
    `customer_notifications`. Accents are dropped (`Café` -> `cafe`), every other run of
    characters between letters and digits becomes one underscore, it starts with a letter and
    has at most 64 characters; "" when nothing is left. static/js/identifier.js suggests the
    same as you type (tests/browser/test_names.py holds them to it)."""
    text = unicodedata.normalize("NFKD", display_name or "").encode("ascii", "ignore").decode()
    identifier = "_".join(re.findall(r"[a-z0-9]+", text.lower())).lstrip("0123456789_")
    return identifier[:64].rstrip("_")


def validate_account_sid(value: str) -> None:
    if value and not ACCOUNT_SID_RE.match(value):
        raise ValidationError(
            "A Twilio Account SID is AC followed by 32 hexadecimal digits "
            "(find it on the Twilio console's home page)."
        )


def validate_tool_name(value: str) -> None:
    if not NAME_RE.match(value or ""):
        raise ValidationError(
            "Use 1 to 64 letters, digits and underscores, starting with a letter or an "
            "underscore (the name the voice agent calls, e.g. send_booking_confirmation)."
        )


def validate_identifier(value: str) -> None:
    if not IDENTIFIER_RE.match(value or ""):
        raise ValidationError(
            "Use 1 to 64 lowercase letters, digits and underscores, starting with a letter "
            "(e.g. customer_notifications)."
        )
