"""Masking phone numbers for users who may not see them."""

import re

import phonenumbers
from phonenumbers import Leniency


def mask_number(number: str) -> str:
    """+447700900123 -> +44 ••• ••• 0123: enough to recognise, not enough to dial."""
    try:
        country = f"+{phonenumbers.parse(number, None).country_code}"
    except phonenumbers.NumberParseException:
        country = ""
    if len(number) < 8 or not country:
        return "•" * len(number)
    return f"{country} ••• ••• {number[-4:]}"


_DIGIT = re.compile(r"\d")


# The shortest numbers anywhere (St Helena's, with its country code) have 7 digits; a string
# with fewer digits than a national number's 5 cannot hold one.
MIN_NUMBER_DIGITS = 5


def mask_numbers_in(value, region: str | None = None):
    """The value (text, or JSON data) with every phone number in it masked.

    For people who may not see numbers: a body or a parameter can hold one too. Numbers
    written with their country code are found anywhere; national ones when `region` (e.g. the
    recipient's, "GB") says how to read them.
    """
    if isinstance(value, str):
        if len(_DIGIT.findall(value)) < MIN_NUMBER_DIGITS:
            return value  # the matcher is slow; most strings hold no number at all
        masked, end = [], 0
        for match in phonenumbers.PhoneNumberMatcher(value, region, leniency=Leniency.POSSIBLE):
            # Mask what is a number, or written as one (+44…, 07…); leave a reference such
            # as 12345678 readable.
            written_as_number = match.raw_string.lstrip("(").startswith(("+", "0"))
            if not (written_as_number or phonenumbers.is_valid_number(match.number)):
                continue
            number = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            masked += [value[end : match.start], mask_number(number)]
            end = match.end
        return "".join(masked) + value[end:]
    if isinstance(value, dict):
        return {key: mask_numbers_in(item, region) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_numbers_in(item, region) for item in value]
    return value


def region_of(number: str) -> str | None:
    """ "GB" for +447700900123; None when the number cannot be read."""
    try:
        country = phonenumbers.parse(number, None).country_code
        return phonenumbers.region_code_for_country_code(country)
    except phonenumbers.NumberParseException:
        return None
