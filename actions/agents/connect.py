"""The Connect tab: what to paste into each voice platform to use an agent's tools, generated
from its actions and handoffs (docs/integrations/ has the steps for each).

Every configuration names Switchboard's URLs under PUBLIC_BASE_URL and leaves the API key as a
placeholder: keys are stored hashed, so the page cannot show one; the admin pastes the key
created for the platform where the placeholder stands.
"""

import json
from dataclasses import dataclass

from django.conf import settings

from actions.agents.tools import agent_tools
from actions.configfile import handoffs as handoff_section
from actions.configfile.dump import to_yaml
from actions.handoffs.destinations import agent_handoffs

KEY = "<YOUR_SWITCHBOARD_API_KEY>"
ELEVENLABS_SECRET = "<ID_OF_THE_ELEVENLABS_SECRET_HOLDING_Bearer_KEY>"  # noqa: S105 - a placeholder
MCP_SERVER_NAME = "switchboard"
# ElevenLabs' system dynamic variables for the call's context, by the body field that carries
# each (api/elevenlabs.py reads them under the same names).
ELEVENLABS_CONTEXT = {
    "system__caller_id": "The caller's phone number (filled by ElevenLabs).",
    "system__conversation_id": "The conversation's id (filled by ElevenLabs).",
    "system__call_sid": "Twilio's call SID, on Twilio calls (filled by ElevenLabs).",
}


@dataclass(frozen=True)
class Snippet:
    title: str
    language: str  # json or yaml: what the text parses as
    text: str
    where: str  # what to do with it, in one sentence


@dataclass(frozen=True)
class Platform:
    slug: str
    name: str
    url: str  # the one URL the platform calls
    steps: list[str]
    snippets: list[Snippet]
    docs: str  # the page under docs/integrations/


def base_url() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/")


def _json(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _functions(agent) -> list[dict]:
    """The agent's tools as OpenAI functions: {name, description, parameters}."""
    return [tool["function"] for tool in agent_tools(agent)]


def mcp(agent) -> Platform:
    url = f"{base_url()}/mcp"
    config = {
        "mcpServers": {
            MCP_SERVER_NAME: {
                "type": "streamable-http",
                "url": url,
                "headers": {"Authorization": f"Bearer {KEY}"},
            }
        }
    }
    return Platform(
        slug="mcp",
        name="MCP client",
        url=url,
        steps=[
            "Create an API key for this agent below (Settings tab) and keep it.",
            "Add the server to your MCP client (LiveKit Agents, Pipecat, OpenAI's Agents SDK, "
            "Claude, …): Streamable HTTP transport, this URL, the key as a Bearer token.",
            "Send the call's context in headers when your client can: X-Call-Id (conversation "
            "id), X-Caller-Number (the caller's number), X-Call-Sid (Twilio's call SID).",
        ],
        snippets=[
            Snippet("MCP client configuration", "json", _json(config), "Your client's MCP file")
        ],
        docs="docs/integrations/mcp.md",
    )


def vapi(agent) -> Platform:
    url = f"{base_url()}/api/v1/vapi"
    mcp_tool = {
        "type": "mcp",
        "function": {"name": MCP_SERVER_NAME},
        "server": {
            "url": f"{base_url()}/mcp",
            # Vapi adds X-Call-Id to every MCP request of a call itself.
            "headers": {
                "Authorization": f"Bearer {KEY}",
                "X-Caller-Number": "{{customer.number}}",
            },
        },
        "metadata": {"protocol": "shttp"},
    }
    functions = [
        {
            "type": "function",
            "async": False,
            "function": function,
            "server": {"url": url, "headers": {"Authorization": f"Bearer {KEY}"}},
        }
        for function in _functions(agent)
    ]
    return Platform(
        slug="vapi",
        name="Vapi",
        url=url,
        steps=[
            "Create an API key for this agent (Settings tab).",
            "Either add one MCP tool (Tools → Create Tool → MCP) with the first configuration: "
            "Vapi lists the agent's tools itself, sends the call's id in X-Call-Id, and fills "
            "X-Caller-Number with the customer's number.",
            "Or create one Function tool per configuration in the second (Tools → Create Tool "
            "→ Function, or POST /tool): each calls the server URL with Vapi's tool-calls "
            "message; the key goes in the Authorization header (or as a Bearer credential).",
            "Attach the tools to the assistant. For transfers without a fixed destination, also "
            "set the assistant's server URL to the URL above: it answers "
            "transfer-destination-request.",
        ],
        snippets=[
            Snippet("Vapi MCP tool", "json", _json(mcp_tool), "Vapi → Tools → MCP"),
            Snippet(
                "Vapi function tools",
                "json",
                _json(functions),
                "One Vapi Function tool per item (POST https://api.vapi.ai/tool each)",
            ),
        ],
        docs="docs/integrations/vapi.md",
    )


def retell(agent) -> Platform:
    url = f"{base_url()}/api/v1/retell"
    functions = [
        {
            "type": "custom",
            "name": function["name"],
            "description": function["description"],
            "url": url,
            "method": "POST",
            "headers": {"Authorization": f"Bearer {KEY}"},
            "parameters": function["parameters"],
            "speak_during_execution": False,
            "speak_after_execution": True,
            "timeout_ms": 10000,
            "args_at_root": False,
        }
        for function in _functions(agent)
    ]
    return Platform(
        slug="retell",
        name="Retell AI",
        url=url,
        steps=[
            "Create an API key for this agent (Settings tab).",
            "In Retell, copy the API key with the webhook badge and store it as this agent's "
            "Retell API key (Settings tab): it checks Retell's X-Retell-Signature.",
            "Add one Custom Function per item below (Tools → Custom Function): name, "
            "description, POST to the URL, the Authorization header, the parameters JSON. "
            "Leave “Payload: args only” off.",
        ],
        snippets=[
            Snippet("Retell custom functions", "json", _json(functions), "Retell → Custom Function")
        ],
        docs="docs/integrations/retell.md",
    )


def _elevenlabs_schema(schema: dict) -> dict:
    """A JSON Schema as ElevenLabs' tool editor takes it: every property described."""
    if not isinstance(schema, dict):
        return {}
    result = {key: schema[key] for key in ("type", "description", "enum") if key in schema}
    if schema.get("type") == "object" or "properties" in schema:
        result["type"] = "object"
        result["properties"] = {
            name: _elevenlabs_schema(prop) for name, prop in schema.get("properties", {}).items()
        }
        if schema.get("required"):
            result["required"] = list(schema["required"])
    if "items" in schema:
        result["items"] = _elevenlabs_schema(schema["items"])
    if not result.get("description") and result.get("type") != "object":
        result["description"] = "A value for this parameter."
    return result


def elevenlabs(agent) -> Platform:
    tools = []
    for function in _functions(agent):
        body = _elevenlabs_schema(function["parameters"])
        body.setdefault("properties", {})
        body["description"] = f"The arguments of {function['name']}."
        for variable, description in ELEVENLABS_CONTEXT.items():
            body["properties"][variable] = {
                "type": "string",
                "description": description,
                "dynamic_variable": variable,
            }
        tools.append(
            {
                "type": "webhook",
                "name": function["name"],
                "description": function["description"],
                "api_schema": {
                    "url": f"{base_url()}/api/v1/elevenlabs/{function['name']}",
                    "method": "POST",
                    "request_headers": {"Authorization": {"secret_id": ELEVENLABS_SECRET}},
                    "request_body_schema": body,
                },
            }
        )
    return Platform(
        slug="elevenlabs",
        name="ElevenLabs",
        url=f"{base_url()}/api/v1/elevenlabs/<tool name>",
        steps=[
            "Create an API key for this agent (Settings tab).",
            "In ElevenLabs, add a workspace secret whose value is “Bearer ” followed by the "
            "key, and put its id where the placeholder stands.",
            "Add one Webhook tool per item below (Agent → Tools → Add tool → Webhook, or the "
            "tools API). The system__ fields are filled from ElevenLabs' dynamic variables: "
            "the caller's number and the conversation id reach Switchboard with each call.",
        ],
        snippets=[Snippet("ElevenLabs webhook tools", "json", _json(tools), "ElevenLabs → Tools")],
        docs="docs/integrations/elevenlabs.md",
    )


def polyai(agent) -> Platform:
    handoffs = []
    for handoff in agent_handoffs(agent):
        values = handoff_section.values(handoff)
        values.pop("utterance", None)  # Switchboard's own; PolyAI's file has no such key
        handoffs.append(values)
    text = to_yaml({"handoffs": handoffs}) if handoffs else "handoffs: []\n"
    return Platform(
        slug="polyai",
        name="PolyAI",
        url=f"{base_url()}/api/v1/handoffs/<name>/invoke",
        steps=[
            "Save the file as config/handoffs.yaml in your PolyAI project: the same handoffs, "
            "in PolyAI's own format.",
            "Call the send-text actions from a PolyAI function with the API key (see the REST "
            "API in docs/api.md), or through the MCP server.",
        ],
        snippets=[Snippet("PolyAI config/handoffs.yaml", "yaml", text, "config/handoffs.yaml")],
        docs="docs/integrations/polyai.md",
    )


def platforms(agent) -> list[Platform]:
    return [vapi(agent), retell(agent), elevenlabs(agent), mcp(agent), polyai(agent)]
