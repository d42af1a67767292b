"""POST /mcp: the agent's tools over the Model Context Protocol (Streamable HTTP, stateless).

Any MCP client — Vapi's and Retell's MCP tools, ElevenLabs, LiveKit Agents, Pipecat, OpenAI's
agents — lists the agent's tools and calls them with the agent's API key. The protocol's
messages are the official SDK's types (`mcp_types`); the work behind `tools/call` is the REST
API's (api/calls.py).

Stateless, in the one web process: every POST carries one JSON-RPC message and is answered
with one JSON response (no session id, no server-sent stream: GET is 405, as the transport
allows). The handshake-era protocol versions are spoken (`initialize`, then requests);
`server/discover` is "method not found", which tells a newer client to fall back to
`initialize`.

- A tool's refusal (invalid parameters, consent, opt-out, limits, …) is a tool result with
  `isError: true` whose text is the sentence the LLM should follow (`say`, which offers the
  fallback handoff when there is one); the REST error is its structured content.
- A protocol mistake is a JSON-RPC error; a missing or wrong key is HTTP 401 before any.
- The call's context comes from headers a platform fills per call (docs/integrations/):
  `X-Call-Id` (the conversation id), `X-Caller-Number`, `X-Call-Sid` (Twilio's, for a live
  transfer); `_meta.idempotencyKey` on a tools/call makes it idempotent as the REST
  Idempotency-Key does.
"""

import json
import logging

import mcp_types as types
from django.http import HttpResponse, JsonResponse
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION
from pydantic import ValidationError

from actions.agents.tools import TRANSFER_TOOL, agent_tools
from actions.api.auth import authenticate, limit_requests
from actions.api.bodies import read_json
from actions.api.calls import CallContext, call_tool, refusal_text, result_text
from actions.api.errors import ApiError

logger = logging.getLogger(__name__)

SERVER = types.Implementation(name="switchboard", title="Switchboard", version="0.1.0")
INSTRUCTIONS = (
    "Tools that send text messages to the caller and transfer or end the call. Every result "
    "holds a sentence to follow: say it or act on it. When a tool refuses, its sentence says "
    "what to ask the caller or what to do instead."
)
# Fields of the SDK's result types that belong to protocol revisions we do not speak.
NEWER_FIELDS = {"result_type", "ttl_ms", "cache_scope"}

CONTEXT_HEADERS = {
    "conversation_id": "X-Call-Id",
    "caller_number": "X-Caller-Number",
    "call_sid": "X-Call-Sid",
}


class RpcError(Exception):
    def __init__(self, code: int, message: str, status: int = 200, data=None):
        super().__init__(message)
        self.code, self.message, self.status, self.data = code, message, status, data


def handle(request) -> HttpResponse:
    """One Streamable HTTP POST: authenticate, read one JSON-RPC message, answer it."""
    message_id = None
    try:
        if request.method != "POST":
            return HttpResponse(
                status=405, headers={"Allow": "POST"}, content_type="application/json"
            )
        version = request.headers.get("MCP-Protocol-Version")
        if version and version not in HANDSHAKE_PROTOCOL_VERSIONS:
            # A newer client's probe: the versions spoken here make it fall back to initialize.
            raise RpcError(
                types.UNSUPPORTED_PROTOCOL_VERSION,
                f"Unsupported MCP-Protocol-Version {version[:40]!r}: this server speaks "
                f"{', '.join(HANDSHAKE_PROTOCOL_VERSIONS)}.",
                status=400,
                data={"supported": list(HANDSHAKE_PROTOCOL_VERSIONS), "requested": version[:40]},
            )
        key = authenticate(request)
        body = read_json(request)
        message = _parse(body)
        if not isinstance(message, types.JSONRPCRequest):
            # Notifications (initialized, cancelled, …) and responses need no answer.
            return HttpResponse(status=202)
        message_id = message.id
        result = _answer(request, key, message)
        return _respond(types.JSONRPCResponse(jsonrpc="2.0", id=message_id, result=result))
    except RpcError as exc:
        return _error(message_id, exc.code, exc.message, exc.status, exc.data)
    except ApiError as exc:
        # Outside a tool call: a wrong key, a limit, an unreadable body.
        response = _error(message_id, types.INVALID_REQUEST, exc.message, exc.status)
        for name, value in exc.headers.items():
            response[name] = value
        return response
    except Exception:
        logger.exception("MCP error")
        return _error(message_id, types.INTERNAL_ERROR, "Something went wrong on our side.", 500)


def _parse(body) -> types.JSONRPCMessage:
    if isinstance(body, list):
        raise RpcError(types.INVALID_REQUEST, "Send one JSON-RPC message per request.", 400)
    try:
        return types.jsonrpc_message_adapter.validate_python(body)
    except ValidationError:
        raise RpcError(
            types.INVALID_REQUEST,
            'The body must be one JSON-RPC 2.0 message: {"jsonrpc": "2.0", "id", "method", '
            '"params"}.',
            400,
        ) from None


def _answer(request, key, message: types.JSONRPCRequest) -> dict:
    method = message.method
    if method == "initialize":
        params = _params(types.InitializeRequestParams, message)
        asked = params.protocol_version
        version = asked if asked in HANDSHAKE_PROTOCOL_VERSIONS else LATEST_HANDSHAKE_VERSION
        limit_requests(key)
        return _dump(
            types.InitializeResult(
                protocol_version=version,
                capabilities=types.ServerCapabilities(
                    tools=types.ToolsCapability(list_changed=False)
                ),
                server_info=SERVER,
                instructions=INSTRUCTIONS,
            )
        )
    if method == "ping":
        return {}
    if method == "tools/list":
        limit_requests(key)
        return _dump(types.ListToolsResult(tools=[_tool(d) for d in agent_tools(key.agent)]))
    if method == "tools/call":
        params = _params(types.CallToolRequestParams, message)
        return _dump(_call(request, key, params))
    raise RpcError(types.METHOD_NOT_FOUND, f"Method not found: {method[:80]}.")


def _params(model, message: types.JSONRPCRequest):
    try:
        return model.model_validate(message.params or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "params"
        raise RpcError(
            types.INVALID_PARAMS, f"Invalid params for {message.method}: {where}: {first['msg']}."
        ) from None


def _tool(definition: dict) -> types.Tool:
    function = definition["function"]
    transfer = function["name"] == TRANSFER_TOOL
    return types.Tool(
        name=function["name"],
        description=function["description"],
        input_schema=function["parameters"],
        annotations=types.ToolAnnotations(
            title="Transfer or end the call" if transfer else "Send a text message",
            read_only_hint=False,
            destructive_hint=transfer,  # a transfer ends the conversation with the agent
            idempotent_hint=False,
            open_world_hint=True,  # a text reaches a phone; a transfer, a person
        ),
    )


def _call(request, key, params: types.CallToolRequestParams) -> types.CallToolResult:
    meta = params.meta or {}
    idempotency = meta.get("idempotencyKey")
    context = CallContext(
        **{field: request.headers.get(header, "").strip()
           for field, header in CONTEXT_HEADERS.items()},
        idempotency_key=idempotency if isinstance(idempotency, str) else "",
    )  # fmt: skip
    try:
        limit_requests(key)
        answer = call_tool(key, params.name, params.arguments or {}, context)
    except ApiError as exc:
        return types.CallToolResult(
            content=[types.TextContent(text=refusal_text(exc))],
            structured_content=exc.payload(),
            is_error=True,
        )
    return types.CallToolResult(
        content=[types.TextContent(text=result_text(answer))], structured_content=answer
    )


def _dump(result) -> dict:
    return result.model_dump(by_alias=True, exclude_none=True, exclude=NEWER_FIELDS, mode="json")


def _respond(message) -> HttpResponse:
    return HttpResponse(
        json.dumps(message.model_dump(by_alias=True, exclude_none=True, mode="json")),
        content_type="application/json",
    )


def _error(message_id, code: int, text: str, status: int, data=None) -> JsonResponse:
    error = {"code": code, "message": text}
    if data is not None:
        error["data"] = data
    return JsonResponse({"jsonrpc": "2.0", "id": message_id, "error": error}, status=status)
