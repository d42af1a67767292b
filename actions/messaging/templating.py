"""Message and recipient templates: what they may read, and rendering them for a send.

The data a template sees at call time:

    .parameters       what the agent sent, validated against the effective schema
    .variables        conversation variables the agent sent
    .contact          {"phone_number": the caller's number, or empty}
    .conversation_id  the agent's id of the call
"""

from django.core.exceptions import ValidationError

from actions import gotemplate

TOP_LEVEL = ("parameters", "variables", "contact", "conversation_id")
CONTACT_FIELDS = ("phone_number",)


def template_data(parameters, variables, contact_number, conversation_id) -> dict:
    return {
        "parameters": parameters or {},
        "variables": variables or {},
        "contact": {"phone_number": contact_number or ""},
        "conversation_id": conversation_id or "",
    }


def describe_error(exc: "gotemplate.TemplateError") -> str:
    """Go's message with a 1-based line and column an admin can find."""
    where = []
    if exc.line is not None:
        where.append(f"line {exc.line}")
    if exc.col is not None:
        where.append(f"column {exc.col + 1}")
    return f"{', '.join(where).capitalize()}: {exc.detail}" if where else exc.detail


def check_template(source: str, declared: set[str]) -> None:
    """Refuse a template that cannot parse, or that reads a field that will not exist."""
    try:
        template = gotemplate.parse(source)
    except gotemplate.TemplateError as exc:
        raise ValidationError(describe_error(exc)) from None
    problems = []
    for chain in sorted(template.fields()):
        if not chain:
            continue
        root = chain[0]
        dotted = "." + ".".join(chain)
        if root not in TOP_LEVEL:
            problems.append(
                f"{dotted} does not exist: a template can read .parameters.NAME, "
                ".variables.NAME, .contact.phone_number and .conversation_id."
            )
        elif (
            root == "parameters" and len(chain) > 1 and chain[1] != "*" and chain[1] not in declared
        ):
            problems.append(
                f"{dotted} reads the parameter “{chain[1]}”, which the parameters schema does "
                f"not declare. Add a parameter named {chain[1]}, or correct the name."
            )
        elif root == "contact" and len(chain) > 1 and chain[1] not in CONTACT_FIELDS:
            problems.append(f"{dotted} does not exist: the contact has only .contact.phone_number.")
        elif root == "conversation_id" and len(chain) > 1:
            problems.append(f"{dotted} does not exist: .conversation_id is text.")
    if problems:
        raise ValidationError(problems)


def is_template(source: str) -> bool:
    return "{{" in (source or "")


def render(source: str, data: dict) -> str:
    """Render for sending: a missing key is an error, never `<no value>` in a message."""
    return gotemplate.render(source, data, missingkey="error")
