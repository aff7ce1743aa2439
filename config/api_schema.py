"""The OpenAPI 3.1 description of the JSON API, served at /api/schema/ and rendered at /api/docs/.

Each app describes its own endpoints in an `openapi.py` next to its `api.py` (listed in FRAGMENTS):
`TAG` (name and description), `PATHS` (OpenAPI path items keyed by the Django route with `{name}`
for `<converter:name>`) and `SCHEMAS` (components). `build()` merges them and adds what every
endpoint shares: the error shape, the two ways to authenticate, and the generic 400/401/403/404
answers. Tests keep it true: every route under /api/ is described (tests/test_openapi.py) and every
response any test sees validates against it (tests/openapi_contract.py).
"""

import copy
import functools
import importlib

FRAGMENTS = (
    "integrations.pagerduty.openapi",
    "integrations.slack.openapi",
    "webhooks.openapi",
    "rotations.openapi",
    "rotations.openapi_feeds",
    "notifications.openapi",
    "outgoing.openapi",
    "accounts.openapi",
    "config.api_docs",
)
METHODS = ("get", "post", "put", "patch", "delete")

ERROR_EXAMPLE = {"code": "invalid_request", "message": 'Send at least {"name", "timeZone"}.'}
GENERIC_ERRORS = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def json_body(schema_name: str, example: dict, *, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": ref(schema_name), "example": example}}}


def json_response(description: str, schema_name: str, example: dict | None = None) -> dict:
    media = {"schema": ref(schema_name)}
    if example is not None:
        media["example"] = example
    return {"description": description, "content": {"application/json": media}}


def error(description: str, example_code: str | None = None) -> dict:
    media = {"schema": ref("Error")}
    if example_code:
        media["example"] = {"code": example_code, "message": description}
    return {"description": description, "content": {"application/json": media}}


NO_CONTENT = {"description": "Done; no body."}


def int_path(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "integer"}}


def _base() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Roster JSON API",
            "version": "1",
            "description": (
                "Authenticate with a browser session (unsafe methods then need the `X-CSRFToken` header) or "
                "with `Authorization: Bearer <organization API token>` (Settings → API tokens; a token acts "
                "for its organization as an admin, within its scopes). Keys are camelCase. Every error is "
                '`{"code", "message"}`, sometimes with more fields (for example `requiredScope`).'
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerToken": []}, {"session": []}],
        "tags": [],
        "paths": {},
        "components": {
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An organization API token, created in Settings → API tokens or with "
                    "`manage.py create_api_token <slug>`.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "sessionid",
                    "description": "A signed-in browser session; POST, PATCH and DELETE also need `X-CSRFToken`.",
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "description": "Every error. `code` is stable and machine-readable; `message` is for people. "
                    "Some errors add fields (`requiredScope` for `insufficient_scope`).",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "examples": ["invalid_request"]},
                        "message": {"type": "string"},
                        "requiredScope": {"type": "string"},
                    },
                },
            },
            "responses": {
                "BadRequest": {
                    "description": "The request is malformed: invalid JSON, a value of the wrong type, a NUL "
                    "character, a body nested too deeply (`invalid_json`, `invalid_request`, ...).",
                    "content": {
                        "application/json": {"schema": ref("Error"), "example": ERROR_EXAMPLE},
                        "text/plain": {"schema": {"type": "string"}},
                    },
                },
                "Unauthorized": {
                    "description": "No session and no valid API token (`authentication_required`, "
                    "`invalid_token`, `token_expired`).",
                    "content": {
                        "application/json": {
                            "schema": ref("Error"),
                            "example": {
                                "code": "invalid_token",
                                "message": "The API token is invalid or has been revoked.",
                            },
                        }
                    },
                },
                "Forbidden": {
                    "description": "Authenticated but not allowed: members cannot do what only admins can "
                    "(`forbidden`), a token outside its scopes (`insufficient_scope`, with `requiredScope`), "
                    "a missing CSRF token (`csrf_failed`), no organization (`no_organization`).",
                    "content": {
                        "application/json": {
                            "schema": ref("Error"),
                            "example": {"code": "forbidden", "message": "Only organization admins can do this."},
                        }
                    },
                },
                "NotFound": {
                    "description": "Nothing with this id in your organization (`not_found`).",
                    "content": {
                        "application/json": {
                            "schema": ref("Error"),
                            "example": {"code": "not_found", "message": "Not found."},
                        }
                    },
                },
            },
        },
    }


def _add_generic_responses(operation: dict, path: str) -> None:
    responses = operation.setdefault("responses", {})
    if operation.get("security") == []:
        return
    for status, name in GENERIC_ERRORS.items():
        responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
    if "{" in path:
        responses.setdefault("404", {"$ref": "#/components/responses/NotFound"})


@functools.cache
def _build() -> dict:
    doc = _base()
    for module_name in FRAGMENTS:
        fragment = importlib.import_module(module_name)
        doc["tags"].append(fragment.TAG)
        for path, described in fragment.PATHS.items():
            if path in doc["paths"]:
                raise ValueError(f"{path} is described twice")
            item = copy.deepcopy(described)
            for method in METHODS:
                if method in item:
                    item[method].setdefault("tags", [fragment.TAG["name"]])
                    _add_generic_responses(item[method], path)
            doc["paths"][path] = item
        for name, schema in getattr(fragment, "SCHEMAS", {}).items():
            if name in doc["components"]["schemas"]:
                raise ValueError(f"schema {name} is defined twice")
            doc["components"]["schemas"][name] = schema
    return doc


def build() -> dict:
    """The whole description (a fresh copy: callers may change it)."""
    return copy.deepcopy(_build())


def operations(doc: dict):
    """(path, method, operation) for every operation, in document order."""
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def resolve(doc: dict, node):
    """Follow a local `$ref` (one level at a time, until there is none)."""
    while isinstance(node, dict) and "$ref" in node:
        node = functools.reduce(lambda part, key: part[key], node["$ref"].removeprefix("#/").split("/"), doc)
    return node


def example_for(doc: dict, schema: dict, depth: int = 0):
    """A plausible value for a schema (its example when it has one) for the docs page."""
    schema = resolve(doc, schema)
    if "examples" in schema:
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            if key == "allOf":
                merged: dict = {}
                for part in schema[key]:
                    merged.update(example_for(doc, part, depth + 1) or {})
                return merged
            return example_for(doc, schema[key][0], depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 6:
            return {}
        return {name: example_for(doc, sub, depth + 1) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [example_for(doc, schema.get("items", {}), depth + 1)]
    return {
        "integer": 1,
        "number": 1,
        "boolean": True,
        "null": None,
    }.get(
        str(kind),
        {"date-time": "2026-01-05T09:00:00+00:00", "date": "2026-01-05", "email": "ada@example.com"}.get(
            str(schema.get("format")), "string"
        ),
    )
