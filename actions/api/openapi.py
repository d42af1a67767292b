"""The OpenAPI 3.1 document of the agent API, served at /api/v1/openapi.json."""

from django.conf import settings

from actions.channels.choices import Environment
from actions.models import MessageStatus

# Every code here is raised somewhere (tests/unit/test_one_path.py checks it).
ERROR_CODES = {
    400: ["invalid_request", "invalid_parameters"],
    401: ["unauthenticated"],
    404: ["unknown_action", "unknown_handoff", "not_found"],
    405: ["method_not_allowed"],
    409: ["idempotency_conflict"],
    422: [
        "recipient_unavailable",
        "opted_out",
        "consent_required",
        "channel_unavailable",
        "template_error",
        "recipient_limit_reached",
        "conversation_limit_reached",
        "handoff_closed",
    ],
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
    422: "Nothing was sent: no usable recipient (recipient_unavailable), the number opted out "
    "(opted_out), consent was not given (consent_required), the action's channel cannot send "
    "(channel_unavailable: a Twilio channel without credentials), the message template "
    "failed on the data given (template_error), or the agent has sent its number of texts to "
    "this number in the last 24 hours (recipient_limit_reached) or in this conversation "
    "(conversation_limit_reached). With a fallback handoff, all but template_error carry "
    "`fallback`: the transfer to offer instead. A handoff outside its opening hours "
    "(handoff_closed) says when it opens and carries `after_hours` when it has an alternative.",
    429: "Too many requests with this key (its agent's requests per minute), or too many "
    "wrong or missing keys from this address; nothing was done. Retry-After says when to "
    "try again.",
    500: "An error on the server; nothing was sent.",
}

RETRY_AFTER = {
    "Retry-After": {
        "description": "Whole seconds until a request will be accepted again.",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*statuses: int) -> dict:
    return {
        str(status): {
            "description": ERROR_DESCRIPTIONS.get(status, ", ".join(ERROR_CODES[status])),
            **({"headers": RETRY_AFTER} if status == 429 else {}),
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
                        **_ref("HandoffInstruction"),
                        "description": "On every 422 but template_error, when the action has "
                        "a fallback handoff: the transfer to offer instead (`say` then offers "
                        "it).",
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
    "SipInstruction": {
        "type": "object",
        "required": [
            "method",
            "phone_number",
            "outbound_endpoint",
            "outbound_encryption",
            "sip_headers",
        ],
        "properties": {
            "method": {
                "type": "string",
                "enum": ["invite", "refer", "bye"],
                "description": "invite: call out through the endpoint and bridge; refer: hand "
                "the call to the number; bye: end the call.",
            },
            "phone_number": {"type": ["string", "null"], "description": "E.164"},
            "outbound_endpoint": {
                "type": ["string", "null"],
                "description": "host or host:port (invite only)",
            },
            "outbound_encryption": {
                "type": ["string", "null"],
                "enum": ["TLS/SRTP", "UDP/RTP", None],
            },
            "sip_headers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "value"],
                    "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
                },
            },
        },
    },
    "HandoffInstruction": {
        "type": "object",
        "required": ["handoff", "sip", "twiml", "utterance", "say"],
        "properties": {
            "handoff": {"type": "string", "description": "The handoff's name."},
            "sip": _ref("SipInstruction"),
            "twiml": {
                "type": "string",
                "description": "The equivalent TwiML: <Refer><Sip>tel:…</Sip></Refer>, "
                "<Dial><Sip>sip:…</Sip></Dial> or <Hangup/>.",
            },
            "utterance": {"type": "string", "description": "What to say before the handoff."},
            "say": {"type": "string"},
        },
    },
    "HandoffRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "conversation_id": {"type": "string", "maxLength": 200},
            "call_sid": {
                "type": "string",
                "pattern": "^CA[0-9a-fA-F]{32}$",
                "description": "The live Twilio call: given (and with Twilio credentials), a "
                "worker redirects the call with the handoff's TwiML.",
            },
            "reason": {"type": "string", "maxLength": 500},
            "variables": {"type": "object", "description": "Conversation variables, logged."},
        },
    },
    "HandoffAnswer": {
        "allOf": [
            _ref("HandoffInstruction"),
            {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "string", "description": "The handoff log entry's id."}
                },
            },
        ]
    },
    "VapiTransferDestinationRequest": {
        "type": "object",
        "required": ["message"],
        "description": "Vapi's server message; only the fields Switchboard reads are listed.",
        "properties": {
            "message": {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": {"const": "transfer-destination-request"},
                    "destination": {
                        "description": "A handoff name, or an object whose name or "
                        "description names one.",
                    },
                    "parameters": {
                        "type": "object",
                        "properties": {"destination": {"type": "string"}},
                    },
                    "artifact": {
                        "type": "object",
                        "properties": {
                            "messagesOpenAIFormatted": {
                                "type": "array",
                                "description": "The latest transfer_call / transferCall tool "
                                "call's `destination` argument names the handoff.",
                            }
                        },
                    },
                    "call": {
                        "type": "object",
                        "properties": {
                            "id": {
                                "type": "string",
                                "description": "Logged as the conversation id.",
                            }
                        },
                    },
                },
            }
        },
    },
    "VapiServerMessage": {
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "type": {
                        "type": "string",
                        "description": "tool-calls or transfer-destination-request; any other "
                        "server message is acknowledged with {}.",
                    },
                    "toolCallList": {
                        "type": "array",
                        "maxItems": 10,
                        "items": {
                            "type": "object",
                            "required": ["id"],
                            "properties": {
                                "id": {
                                    "type": "string",
                                    "description": "The tool call's id: its idempotency key.",
                                },
                                "function": {
                                    "type": "object",
                                    "properties": {
                                        "name": {"type": "string"},
                                        "arguments": {
                                            "description": "A JSON object, or its text.",
                                        },
                                    },
                                },
                            },
                        },
                    },
                    "call": {
                        "type": "object",
                        "properties": {
                            "id": {
                                "type": "string",
                                "description": "The conversation id.",
                            },
                            "customer": {
                                "type": "object",
                                "properties": {
                                    "number": {
                                        "type": "string",
                                        "description": "The caller's number: the recipient of "
                                        "a text sent to the contact.",
                                    }
                                },
                            },
                            "phoneCallProviderId": {
                                "type": "string",
                                "description": "Twilio's call SID: a transfer redirects it.",
                            },
                        },
                    },
                },
            }
        },
    },
    "VapiToolCallsAnswer": {
        "type": "object",
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "toolCallId"],
                    "properties": {
                        "name": {"type": "string"},
                        "toolCallId": {"type": "string"},
                        "result": {
                            "type": "string",
                            "description": "Done: the sentence to follow.",
                        },
                        "error": {
                            "type": "string",
                            "description": "Refused: the sentence to follow (what to ask the "
                            "caller, or the fallback).",
                        },
                    },
                },
            }
        },
    },
    "PlatformToolAnswer": {
        "type": "object",
        "description": "What the platform hands the LLM as the function's result: either.",
        "properties": {
            "result": {"type": "string", "description": "Done: the sentence to follow."},
            "error": {
                "type": "string",
                "description": "Refused: the sentence to follow (what to ask the caller, or "
                "the fallback).",
            },
            "code": {"type": "string", "description": "The refusal's error code."},
        },
    },
    "RetellFunctionCall": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "description": "The action's name, or transfer_call."},
            "args": {"type": "object", "description": "The function's arguments."},
            "call": {
                "type": "object",
                "properties": {
                    "call_id": {"type": "string", "description": "The conversation id."},
                    "direction": {"enum": ["inbound", "outbound"]},
                    "from_number": {
                        "type": "string",
                        "description": "The caller's number on an inbound call.",
                    },
                    "to_number": {
                        "type": "string",
                        "description": "The caller's number on an outbound call.",
                    },
                    "telephony_identifier": {
                        "type": "object",
                        "properties": {"twilio_call_sid": {"type": "string"}},
                    },
                },
            },
        },
    },
    "VapiTransferDestinationAnswer": {
        "oneOf": [
            {
                "type": "object",
                "required": ["destination"],
                "properties": {
                    "destination": {
                        "oneOf": [
                            {
                                "type": "object",
                                "required": ["type", "number"],
                                "properties": {
                                    "type": {"const": "number"},
                                    "number": {"type": "string"},
                                    "message": {"type": "string"},
                                },
                            },
                            {
                                "type": "object",
                                "required": ["type", "sipUri", "sipHeaders"],
                                "properties": {
                                    "type": {"const": "sip"},
                                    "sipUri": {"type": "string"},
                                    "sipHeaders": {
                                        "type": "object",
                                        "additionalProperties": {"type": "string"},
                                    },
                                    "message": {"type": "string"},
                                },
                            },
                        ]
                    }
                },
            },
            {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}},
            },
        ]
    },
    "MessageStatus": {
        "type": "string",
        "enum": list(MessageStatus.values),
    },
    "Message": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "action": {"type": "string"},
            "conversation_id": {"type": "string"},
            "environment": {"type": "string", "enum": list(Environment.values)},
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
                **_errors(401, 429),
            },
        }
    },
    "/api/v1/tools": {
        "get": {
            "operationId": "listTools",
            "summary": "The tools this agent may call",
            "description": "One OpenAI-style function tool per enabled send-text action of the "
            "key's agent, with the action's effective parameters schema; plus `transfer_call` "
            "when the agent has handoffs (its own, and its enabled actions' fallback handoffs): "
            "parameters `destination` (an enum of their names) and `reason`.",
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
                **_errors(401, 429),
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
                **_errors(400, 401, 404, 409, 422, 429, 500),
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
                **_errors(401, 404, 429),
            },
        }
    },
    "/api/v1/handoffs/{name}/invoke": {
        "post": {
            "operationId": "invokeHandoff",
            "summary": "Hand the call off: the SIP instruction and its TwiML",
            "description": "Resolves the agent's handoff (404 unknown_handoff for another agent's "
            "or none) and logs it. With `call_sid` and Twilio credentials (the first Twilio "
            "channel of the agent's actions, else TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN), a "
            "worker redirects the live call with the TwiML: <Refer> on a SIP leg, <Dial><Number> "
            "on a phone leg.",
            "parameters": [
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("HandoffRequest")}},
            },
            "responses": {
                "200": {
                    "description": "The instruction.",
                    "content": {"application/json": {"schema": _ref("HandoffAnswer")}},
                },
                **_errors(400, 401, 404, 422, 429, 500),
            },
        }
    },
    "/api/v1/vapi": {
        "post": {
            "operationId": "vapiServerMessage",
            "summary": "Vapi's server URL: tool-calls and transfer-destination-request",
            "description": "Each tool call of a tool-calls message is invoked as "
            "/actions/{name}/invoke (or the transfer as /handoffs/{name}/invoke) with the call's "
            "id as conversation id, message.call.customer.number as the contact's number and the "
            "tool call's id as Idempotency-Key; the answer is Vapi's "
            '{"results": [{"name", "toolCallId", "result" | "error"}]}, HTTP 200, where a '
            "refusal's error is its `say` sentence. A transfer-destination-request is answered "
            "as /transfer-destination does; other server messages with {}. Authenticate with "
            "the agent's key as a Bearer token or as X-Vapi-Secret. Bodies up to 1 MiB.",
            "security": [{"bearer": []}, {"vapiSecret": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("VapiServerMessage")}},
            },
            "responses": {
                "200": {
                    "description": "The tool calls' results, a transfer destination, or {}.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    _ref("VapiToolCallsAnswer"),
                                    _ref("VapiTransferDestinationAnswer"),
                                ]
                            }
                        }
                    },
                },
                **_errors(400, 401, 429, 500),
            },
        }
    },
    "/api/v1/retell": {
        "post": {
            "operationId": "retellCustomFunction",
            "summary": "Retell's custom functions",
            "description": "Retell's {name, call, args} POST, its X-Retell-Signature checked "
            "with the Retell API key stored on the agent (missing or forged: 401, nothing "
            "done). `name` is invoked as /actions/{name}/invoke (or transfer_call as "
            "/handoffs/{destination}/invoke) with call.call_id as conversation id and the "
            "caller's number (from_number inbound, to_number outbound) as the contact's. "
            "Refusals are HTTP 200 too: Retell gives the LLM the body either way. Authenticate "
            "with the agent's key as a Bearer token (a header of the custom function).",
            "security": [{"bearer": []}],
            "parameters": [
                {
                    "name": "X-Retell-Signature",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^v=[0-9]+,d=[0-9a-f]{64}$"},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("RetellFunctionCall")}},
            },
            "responses": {
                "200": {
                    "description": "The result, or the refusal, for the LLM.",
                    "content": {"application/json": {"schema": _ref("PlatformToolAnswer")}},
                },
                **_errors(400, 401, 429, 500),
            },
        }
    },
    "/api/v1/elevenlabs/{name}": {
        "post": {
            "operationId": "elevenlabsWebhookTool",
            "summary": "ElevenLabs' server (webhook) tools",
            "description": "The body holds the tool's arguments and, filled from ElevenLabs' "
            "dynamic variables, system__caller_id (the contact's number), "
            "system__conversation_id and system__call_sid. {name} is the action's name or "
            "transfer_call. Refusals are HTTP 200 too: ElevenLabs gives the LLM the body either "
            "way. Authenticate with the agent's key as a Bearer token (an ElevenLabs secret "
            "header).",
            "security": [{"bearer": []}],
            "parameters": [
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "system__caller_id": {"type": "string"},
                                "system__conversation_id": {"type": "string"},
                                "system__call_sid": {"type": "string"},
                            },
                            "additionalProperties": True,
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "The result, or the refusal, for the LLM.",
                    "content": {"application/json": {"schema": _ref("PlatformToolAnswer")}},
                },
                **_errors(400, 401, 429, 500),
            },
        }
    },
    "/api/v1/transfer-destination": {
        "post": {
            "operationId": "vapiTransferDestination",
            "summary": "Answer Vapi's transfer-destination-request",
            "description": "The destination named in the request (message.destination, "
            "message.parameters.destination, or the latest transfer_call tool call's arguments) "
            "if the agent has it, else its default handoff. Both answers are HTTP 200, as Vapi "
            "expects: a destination, or an error when there is none or the handoff ends the call "
            "(bye). Authenticate with the agent's key as a Bearer token or as X-Vapi-Secret. "
            "Bodies up to 1 MiB (Vapi sends the whole call so far).",
            "security": [{"bearer": []}, {"vapiSecret": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("VapiTransferDestinationRequest")}},
            },
            "responses": {
                "200": {
                    "description": "A destination, or an error.",
                    "content": {
                        "application/json": {"schema": _ref("VapiTransferDestinationAnswer")}
                    },
                },
                **_errors(400, 401, 429, 500),
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
            '{"error": {"code", "message", "details"?, "say"?}}. Each key may make its '
            f"agent's number of requests a minute ({settings.API_REQUESTS_PER_MINUTE} unless the "
            "agent has its own); past it, and after too many wrong keys from one address, the "
            "answer is 429 rate_limited with Retry-After.",
        },
        "servers": [{"url": settings.PUBLIC_BASE_URL}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "vapiSecret": {"type": "apiKey", "in": "header", "name": "X-Vapi-Secret"},
            },
        },
    }
