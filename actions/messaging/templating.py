"""Message and recipient templates: what they may read, and rendering them for a send.

The data a template sees at call time:

    .parameters       what the agent sent, validated against the effective schema
    .variables        conversation variables the agent sent
    .contact          {"phone_number": the caller's number, or empty}
    .conversation_id  the agent's id of the call
"""

import functools

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


def check_template(source: str, declared: set[str], required: set[str] | None = None) -> None:
    """Refuse a template that cannot parse, that reads a field that will not exist, or that
    reads one that may be missing (an optional parameter, a variable) where a missing value
    stops the send: outside an {{ if }} or {{ with }} that tests it."""
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
    if required is not None:
        problems += _unguarded_problems(template, declared, required)
    if problems:
        raise ValidationError(problems)


def _unguarded_problems(template, declared: set[str], required: set[str]) -> list[str]:
    problems = []
    seen = set()
    for chain in sorted(template.unguarded_fields()):
        if len(chain) < 2 or chain[1] == "*" or chain[:2] in seen:
            continue
        root, name = chain[0], chain[1]
        field = f".{root}.{name}"
        fix = (
            f"Write it inside {{{{ with {field} }}}}…{{{{ . }}}}…{{{{ end }}}} (or "
            f"{{{{ if {field} }}}}…{{{{ end }}}}) so the text is left out when it is missing"
        )
        if root == "parameters" and name in declared and name not in required:
            seen.add(chain[:2])
            problems.append(
                f"{field} reads the optional parameter “{name}” outside {{{{ if }}}} or "
                f"{{{{ with }}}}: when the agent leaves it out, nothing can be sent. {fix}, or "
                "make the parameter required."
            )
        elif root == "variables":
            seen.add(chain[:2])
            problems.append(
                f"{field} reads the variable “{name}” outside {{{{ if }}}} or {{{{ with }}}}: "
                f"when the agent does not send it, nothing can be sent. {fix}, or ask for it as "
                "a required parameter instead."
            )
    return problems


def is_template(source: str) -> bool:
    return "{{" in (source or "")


@functools.lru_cache(maxsize=512)
def _guarded_chains(source: str) -> tuple[tuple[str, ...], ...]:
    """The chains of parameters and variables the template reads only where their absence is
    tested (inside an if/with/range that reads them): those may be missing from the data."""
    template = gotemplate.parse(source)
    unguarded = template.unguarded_fields()
    return tuple(
        chain
        for chain in sorted(template.fields() - unguarded)
        if len(chain) > 1 and chain[0] in ("parameters", "variables")
    )


def _absent_as_nil(node, chain):
    """node with the first missing key of chain present as nil (a copy; node is unchanged)."""
    if not chain or chain[0] == "*" or not isinstance(node, dict):
        return node
    key = chain[0]
    if key not in node:
        return {**node, key: None}
    child = _absent_as_nil(node[key], chain[1:])
    return node if child is node[key] else {**node, key: child}


def render(source: str, data: dict) -> str:
    """Render for sending: a missing key is an error, never `<no value>` in a message — except
    where the template tests it first ({{ if .parameters.note }}, {{ with .variables.name }}):
    there a missing value is nil, so the test is false and its text left out."""
    try:
        guarded = _guarded_chains(source)
    except gotemplate.TemplateError:
        guarded = ()  # rendering reports the syntax error
    for chain in guarded:
        data = _absent_as_nil(data, chain)
    return gotemplate.render(source, data, missingkey="error")
