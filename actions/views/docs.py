import json

from django.shortcuts import render

from actions.api.openapi import document


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
