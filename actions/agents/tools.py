"""The tool definitions an LLM is given: one per enabled send-text action, and transfer_call."""

from actions.handoffs.destinations import TRANSFER_TOOL, agent_handoffs
from actions.messaging.schemas import tool_definition

__all__ = ["TRANSFER_TOOL", "agent_tools", "transfer_tool"]


TRANSFER_REASON_DESCRIPTION = (
    "Why the call is being handed off, in a few words (e.g. caller_requested_agent); it is "
    "recorded with the handoff."
)


def agent_tools(agent) -> list[dict]:
    """The agent's tools, as every connector lists them: its enabled send-text actions by
    name, then `transfer_call` when it has handoffs."""
    actions = agent.actions.filter(enabled=True).order_by("name")
    definitions = [action.tool_definition() for action in actions]
    handoffs = list(agent_handoffs(agent))
    if handoffs:
        definitions.append(transfer_tool(handoffs))
    return definitions


def transfer_tool(handoffs) -> dict:
    """The `transfer_call` tool: one `destination` per handoff (name, description, is_default).

    The description tells the LLM what each destination is for, one line each, and which one
    to use when none fits better (the default).
    """
    ordered = sorted(handoffs, key=lambda h: h.name)
    default = next((h.name for h in ordered if h.is_default), None)
    lines = [
        "Transfer the caller to a person or another line, or end the call, by handing the call "
        "off to one of these destinations. Call it when the caller asks for it or when you "
        "cannot help further, after telling the caller what you are doing.",
        "Destinations:",
    ]
    for handoff in ordered:
        description = " ".join(handoff.description.split())
        notes = ["the default"] if handoff.name == default else []
        opening = handoff.opening_text()
        if opening.startswith("closed"):
            notes.append(f"{opening}: do not offer it before then")
        suffix = f" ({'; '.join(notes)})" if notes else ""
        lines.append(f"- {handoff.name} — {description}{suffix}")
    if default:
        lines.append(f"If none fits better, use {default}.")
    parameters = {
        "type": "object",
        "properties": {
            "destination": {
                "type": "string",
                "enum": [h.name for h in ordered],
                "description": "The destination's name, from the list above.",
            },
            "reason": {
                "type": "string",
                "maxLength": 500,
                "description": TRANSFER_REASON_DESCRIPTION,
            },
            "summary": {
                "type": "string",
                "maxLength": 500,
                "description": "What the person taking the call should know, in one or two "
                "sentences (who is calling and what they need); passed on by a warm transfer.",
            },
        },
        "required": ["destination"],
    }
    return tool_definition(TRANSFER_TOOL, "\n".join(lines), parameters)
