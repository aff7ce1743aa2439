"""The API's own description: GET /api/schema/ (OpenAPI 3.1 JSON) and GET /api/docs/ (a page rendered
from it on the server: no script, no CDN). Also the JSON 404 for unknown URLs under /api/."""

import json
import re

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from django.views.defaults import page_not_found

from config import api_schema

from .api import description

TAG = {"name": "About the API", "description": "This description, as JSON and as a page. No authentication needed."}

PATHS = {
    "/api/schema/": {
        "get": {
            "operationId": "getApiSchema",
            "summary": "This description (OpenAPI 3.1, JSON)",
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI document.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
    "/api/docs/": {
        "get": {
            "operationId": "getApiDocs",
            "summary": "This description as a page",
            "security": [],
            "responses": {
                "200": {"description": "An HTML page.", "content": {"text/html": {"schema": {"type": "string"}}}}
            },
        }
    },
}


@require_GET
def schema(request):
    return JsonResponse(description(), json_dumps_params={"ensure_ascii": False})


def _text(value: str) -> str:
    """A description for the page: escaped, with `backticks` as <code>."""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(value)))  # noqa: S308 (escaped first)


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _media(doc: dict, content: dict) -> list[dict]:
    shown = []
    for media_type, media in content.items():
        schema = media.get("schema", {})
        if "example" in media:
            example = media["example"]
        elif media_type == "application/json":
            example = api_schema.example_for(doc, schema)
        else:
            example = None
        shown.append(
            {
                "type": media_type,
                "schema_name": schema.get("$ref", "").rsplit("/", 1)[-1],
                "example": None if example is None else _pretty(example),
            }
        )
    return shown


def _type(doc: dict, schema: dict) -> str:
    schema = api_schema.resolve(doc, schema)
    if "anyOf" in schema:
        return " or ".join(_type(doc, part) for part in schema["anyOf"])
    if schema.get("type") == "array":
        return f"array of {_type(doc, schema.get('items', {}))}"
    return schema.get("format") or schema.get("type") or "any"


def _fields(doc: dict, content: dict) -> list[dict]:
    """The top-level fields of a JSON request body, for the page."""
    schema = api_schema.resolve(doc, content.get("application/json", {}).get("schema", {}))
    return [
        {
            "name": name,
            "type": _type(doc, sub),
            "required": name in schema.get("required", []),
            "enum": api_schema.resolve(doc, sub).get("enum"),
            "description": _text(api_schema.resolve(doc, sub).get("description", "")),
        }
        for name, sub in schema.get("properties", {}).items()
    ]


def _operation(doc: dict, path: str, method: str, operation: dict) -> dict:
    parameters = [
        api_schema.resolve(doc, p)
        for p in [*doc["paths"][path].get("parameters", []), *operation.get("parameters", [])]
    ]
    body = api_schema.resolve(doc, operation.get("requestBody"))
    responses = []
    for status, described in operation["responses"].items():
        response = api_schema.resolve(doc, described)
        responses.append(
            {
                "status": status,
                "description": _text(response["description"]),
                "media": _media(doc, response.get("content", {})),
            }
        )
    return {
        "id": operation.get("operationId", f"{method}-{path}"),
        "method": method.upper(),
        "path": path,
        "summary": operation.get("summary", ""),
        "description": _text(operation.get("description", "")),
        "public": operation.get("security") == [],
        "parameters": [
            {
                "name": p["name"],
                "in": p["in"],
                "required": p.get("required", False),
                "type": p.get("schema", {}).get("type", ""),
                "enum": p.get("schema", {}).get("enum"),
                "description": _text(p.get("description", "")),
            }
            for p in parameters
        ],
        "body": None
        if not body
        else {
            "required": body.get("required", False),
            "fields": _fields(doc, body["content"]),
            "media": _media(doc, body["content"]),
        },
        "responses": responses,
    }


@require_GET
def docs(request):
    doc = description()
    groups: dict[str, dict] = {
        tag["name"]: {"tag": {**tag, "description": _text(tag["description"])}, "operations": []} for tag in doc["tags"]
    }
    for path, method, operation in api_schema.operations(doc):
        groups[operation["tags"][0]]["operations"].append(_operation(doc, path, method, operation))
    info = {**doc["info"], "description": _text(doc["info"]["description"])}
    return render(request, "api/docs.html", {"info": info, "groups": list(groups.values())})


def not_found(request, exception):
    """handler404: a JSON error under /api/ (a script reads `code`), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": "Not found."}, status=404)
    return page_not_found(request, exception)
