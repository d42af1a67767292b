"""Parameter problems in plain words, for the `say` an LLM follows.

The validator's own words ("123 is not of type 'string'") and JSON pointers stay in the
error's `details`; `say` names each problem as one would say it to a colleague: which value
(by its description, else its name) and what it must be.
"""

from jsonschema.exceptions import ValidationError as SchemaValidationError

TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a set of named values",
    "null": "empty",
}
FORMAT_WORDS = {
    "date": "a date such as 2026-12-03",
    "date-time": "a date and time such as 2026-12-03T10:30:00Z",
    "time": "a time such as 10:30:00Z",
    "email": "an email address",
    "uri": "a full web address starting with https://",
    "uuid": "a UUID",
    "ipv4": "an IPv4 address",
    "hostname": "a host name",
    "regex": "a regular expression",
}


def label(name: str, prop) -> str:
    """How a parameter is named to the LLM: its short description, else its name in words."""
    description = prop.get("description") if isinstance(prop, dict) else None
    if description and len(description) < 80:
        return description[0].lower() + description[1:].rstrip(".")
    return name.replace("_", " ")


def join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _type_words(expected) -> str:
    kinds = expected if isinstance(expected, list) else [expected]
    return " or ".join(TYPE_WORDS.get(k, str(k)) for k in kinds)


def _count(n, unit: str) -> str:
    return f"{n:,} {unit}{'' if n == 1 else 's'}"


def problem(error: SchemaValidationError, what: str) -> str:
    """One validation error as a plain clause about `what` (the value's label)."""
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "type":
        return f"{what} must be {_type_words(expected)}"
    if kind in ("enum", "const"):
        options = expected if kind == "enum" else [expected]
        return f"{what} must be one of: {', '.join(str(o) for o in options)}"
    if kind == "format":
        return f"{what} must be {FORMAT_WORDS.get(expected, f'in the {expected} format')}"
    if kind == "pattern":
        return f"{what} is not in the expected form"
    if kind == "minLength":
        return f"{what} must be at least {_count(expected, 'character')} long"
    if kind == "maxLength":
        over = len(value) - expected if isinstance(value, str) else 0
        return (
            f"{what} must be at most {_count(expected, 'character')} long "
            f"(it is {_count(over, 'character')} too long)"
        )
    if kind in ("minimum", "exclusiveMinimum"):
        word = "at least" if kind == "minimum" else "more than"
        return f"{what} must be {word} {expected}"
    if kind in ("maximum", "exclusiveMaximum"):
        word = "at most" if kind == "maximum" else "less than"
        return f"{what} must be {word} {expected}"
    if kind == "multipleOf":
        return f"{what} must be a multiple of {expected}"
    if kind == "minItems":
        return f"{what} must list at least {_count(expected, 'item')}"
    if kind == "maxItems":
        return f"{what} must list at most {_count(expected, 'item')}"
    if kind == "uniqueItems":
        return f"{what} must not list the same item twice"
    return f"{what} is not valid"
