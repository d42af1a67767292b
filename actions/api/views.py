"""The agent API, /api/v1/: thin views over api/invoke.py, api/handoffs.py and api/vapi.py;
and the API's reference page in the builder."""

import json
import uuid

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from actions.agents.tools import agent_tools
from actions.api import mcp as mcp_server
from actions.api.auth import api_view
from actions.api.bodies import MAX_VAPI_BODY_BYTES, read_json
from actions.api.elevenlabs import webhook_tool
from actions.api.errors import ApiError
from actions.api.handoffs import invoke_handoff
from actions.api.invoke import invoke_action
from actions.api.openapi import document
from actions.api.retell import custom_function
from actions.api.vapi import server_message, transfer_destination
from actions.models import Message


@api_view("GET")
def ping(request):
    """Check a key: which agent and environment it belongs to."""
    return JsonResponse({"agent": request.agent.name, "environment": request.api_key.environment})


@api_view("GET")
def tools(request):
    return JsonResponse({"tools": agent_tools(request.agent)})


@api_view("POST")
def invoke(request, name):
    body = read_json(request)
    key = request.headers.get("Idempotency-Key", "").strip()
    payload = invoke_action(request.api_key, name, body, key)
    return JsonResponse(payload, status=202)


@api_view("POST")
def handoff_invoke(request, name):
    return JsonResponse(invoke_handoff(request.api_key, name, read_json(request)))


@api_view("POST")
def vapi_transfer_destination(request):
    """Vapi's transfer-destination-request; both answers are HTTP 200, as Vapi expects."""
    body = read_json(request, MAX_VAPI_BODY_BYTES)
    return JsonResponse(transfer_destination(request.api_key, body))


@api_view("POST")
def vapi(request):
    """Vapi's server URL: tool-calls and transfer-destination-request, answered with HTTP 200."""
    return JsonResponse(server_message(request.api_key, read_json(request, MAX_VAPI_BODY_BYTES)))


@api_view("POST")
def retell(request):
    """Retell's custom functions, signed by the agent's Retell API key; answered with 200."""
    return JsonResponse(custom_function(request.api_key, request))


@api_view("POST")
def elevenlabs(request, name):
    """An ElevenLabs webhook tool: the arguments and the call's system variables; 200."""
    return JsonResponse(webhook_tool(request.api_key, name, read_json(request)))


@csrf_exempt
@login_not_required
def mcp(request):
    """The MCP server: authenticated by the agent's key, answered in JSON-RPC (api/mcp.py)."""
    return mcp_server.handle(request)


@login_not_required
def openapi(request):
    """The OpenAPI document: public, like any API reference; it holds no secrets."""
    return JsonResponse(document())


@csrf_exempt
@login_not_required
def not_found(request, rest):
    return ApiError(404, "not_found", f"There is no API endpoint /api/v1/{rest}.").response()


@api_view("GET")
def message_detail(request, message_id):
    try:
        uuid.UUID(message_id)
    except ValueError:
        message = None
    else:
        message = Message.objects.filter(pk=message_id, agent=request.agent).first()
    if message is None:
        raise ApiError(404, "not_found", "There is no message with this id for this agent.")
    return JsonResponse(message_payload(message))


def message_payload(message: Message) -> dict:
    error = None
    if message.error_code or message.error_message:
        error = {"code": message.error_code, "message": message.error_message}
    return {
        "id": str(message.id),
        "action": message.action_name,
        "conversation_id": message.conversation_id,
        "environment": message.environment,
        "status": message.status,
        "to": message.to,
        "from": message.sender,
        "body": message.body,
        "provider_sid": message.provider_sid,
        "error": error,
        "attempts": message.attempts,
        "created_at": message.created_at.isoformat(),
        "updated_at": message.updated_at.isoformat(),
        "events": [
            {"status": e.status, "at": e.at.isoformat(), "detail": e.detail}
            for e in message.events.all()
        ],
    }


def api_docs(request):
    """The agent API reference for admins, rendered from the OpenAPI document."""
    doc = document()
    endpoints = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            endpoints.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": op.get("parameters", []),
                    "request": body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1],
                    "responses": [
                        {"status": status, "description": r.get("description", "")}
                        for status, r in op["responses"].items()
                    ],
                }
            )
    schemas = {
        name: json.dumps(schema, indent=2) for name, schema in doc["components"]["schemas"].items()
    }
    return render(
        request,
        "api_docs.html",
        {"endpoints": endpoints, "schemas": schemas, "base_url": doc["servers"][0]["url"]},
    )
