"""The OpenAPI 3.1 document of the agent API, served at /api/v1/openapi.json."""

from django.conf import settings

ERROR_CODES = {
    400: ["invalid_request", "invalid_parameters"],
    401: ["unauthenticated"],
    403: ["forbidden"],
    404: ["unknown_action", "unknown_handoff", "not_found"],
    405: ["method_not_allowed"],
    409: ["idempotency_conflict"],
    422: ["recipient_unavailable", "opted_out", "consent_required", "template_error"],
    429: ["rate_limited"],
    500: ["internal_error"],
}

ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON, too large, of the wrong shape (invalid_request), or the "
    "parameters do not match the action's schema (invalid_parameters, one detail per problem).",
    401: "No API key, an unknown key or a revoked key.",
    404: "No such action or handoff for this agent, or no such message.",
    405: "Wrong HTTP method.",
    409: "The Idempotency-Key was used before with a different body.",
    422: "Nothing was sent: no usable recipient, the number opted out, consent was not given, "
    "or the message template failed on the data given.",
    429: "Too many requests; retry later.",
    500: "An error on the server; nothing was sent.",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*statuses: int) -> dict:
    return {
        str(status): {
            "description": ERROR_DESCRIPTIONS.get(status, ", ".join(ERROR_CODES[status])),
            "content": {"application/json": {"schema": _ref("Error")}},
        }
        for status in statuses
    }


SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "enum": sorted({c for codes in ERROR_CODES.values() for c in codes}),
                    },
                    "message": {"type": "string", "description": "For the developer."},
                    "details": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["path", "message"],
                            "properties": {
                                "path": {
                                    "type": "string",
                                    "description": "JSON pointer into the request body, e.g. "
                                    "/parameters/booking_reference",
                                },
                                "message": {"type": "string"},
                            },
                        },
                    },
                    "say": {
                        "type": "string",
                        "description": "A sentence the voice agent can follow or speak, to "
                        "recover (e.g. 'Ask the caller for the booking reference…').",
                    },
                    "fallback": {
                        "type": "object",
                        "description": "The handoff instruction to offer instead, when the "
                        "action has a fallback handoff.",
                    },
                },
            }
        },
    },
    "Tool": {
        "type": "object",
        "required": ["type", "function"],
        "properties": {
            "type": {"const": "function"},
            "function": {
                "type": "object",
                "required": ["name", "description", "parameters"],
                "properties": {
                    "name": {"type": "string"},
                    "description": {"type": "string"},
                    "parameters": {
                        "type": "object",
                        "description": "The action's effective JSON Schema (draft 2020-12).",
                    },
                },
            },
        },
    },
    "InvokeRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "conversation_id": {"type": "string", "maxLength": 200},
            "contact": {
                "type": "object",
                "properties": {"phone_number": {"type": ["string", "null"]}},
            },
            "variables": {"type": "object", "description": "Conversation variables."},
            "parameters": {
                "type": "object",
                "description": "Must match the tool's parameters schema; nothing else.",
            },
        },
    },
    "InvokeAccepted": {
        "type": "object",
        "required": ["id", "status", "to", "from", "body", "say"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "status": {"const": "queued"},
            "to": {"type": "string", "description": "E.164"},
            "from": {"type": "string", "description": "E.164 or a Messaging Service SID"},
            "body": {"type": "string"},
            "say": {"type": "string"},
        },
    },
    "MessageStatus": {
        "type": "string",
        "enum": ["queued", "sending", "sent", "delivered", "undelivered", "failed"],
    },
    "Message": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "action": {"type": "string"},
            "conversation_id": {"type": "string"},
            "environment": {"type": "string", "enum": ["sandbox", "pre_release", "live"]},
            "status": _ref("MessageStatus"),
            "to": {"type": "string"},
            "from": {"type": "string"},
            "body": {"type": "string"},
            "provider_sid": {"type": "string"},
            "error": {
                "type": ["object", "null"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            },
            "attempts": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "events": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "status": _ref("MessageStatus"),
                        "at": {"type": "string", "format": "date-time"},
                        "detail": {"type": "string"},
                    },
                },
            },
        },
    },
}

PATHS = {
    "/api/v1/ping": {
        "get": {
            "operationId": "ping",
            "summary": "Check an API key",
            "responses": {
                "200": {
                    "description": "The key's agent and environment.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "agent": {"type": "string"},
                                    "environment": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                **_errors(401),
            },
        }
    },
    "/api/v1/tools": {
        "get": {
            "operationId": "listTools",
            "summary": "The tools this agent may call",
            "description": "One OpenAI-style function tool per enabled send-text action of the "
            "key's agent, with the action's effective parameters schema.",
            "responses": {
                "200": {
                    "description": "The tools.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"tools": {"type": "array", "items": _ref("Tool")}},
                            }
                        }
                    },
                },
                **_errors(401),
            },
        }
    },
    "/api/v1/actions/{name}/invoke": {
        "post": {
            "operationId": "invokeAction",
            "summary": "Send the action's text message",
            "description": "Validates the parameters, resolves the recipient, renders the "
            "message and queues it; a worker sends it. Repeat with the same Idempotency-Key "
            "and body to get the first answer again without sending anything new.",
            "parameters": [
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "maxLength": 255},
                },
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("InvokeRequest")}},
            },
            "responses": {
                "202": {
                    "description": "Queued for sending.",
                    "content": {"application/json": {"schema": _ref("InvokeAccepted")}},
                },
                **_errors(400, 401, 404, 409, 422, 500),
            },
        }
    },
    "/api/v1/messages/{id}": {
        "get": {
            "operationId": "getMessage",
            "summary": "A message, its status and its timeline",
            "parameters": [
                {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "format": "uuid"},
                }
            ],
            "responses": {
                "200": {
                    "description": "The message.",
                    "content": {"application/json": {"schema": _ref("Message")}},
                },
                **_errors(401, 404),
            },
        }
    },
}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Switchboard agent API",
            "version": "1",
            "description": "Called by voice agents during a call. Authenticate with "
            "'Authorization: Bearer <API key>'. Every error has the shape "
            '{"error": {"code", "message", "details"?, "say"?}}.',
        },
        "servers": [{"url": settings.PUBLIC_BASE_URL}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
