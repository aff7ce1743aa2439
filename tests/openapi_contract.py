"""Every response a test sees from /api/ must match the API description (/api/schema/, accounts.api.description).

`validate_api_responses` (autouse, imported by tests/conftest.py) wraps Django's request handler, so
it sees the test client's responses and the live server's (browser tests) alike. A response whose
status, content type or JSON body the description does not allow fails the test at teardown with
what differed. Requests the description does not cover (an unknown URL, a method the view refuses
with 405) are left alone: tests/test_openapi.py checks that every route and method is described.
"""

import functools
import json
import re

import jsonschema_rs
import pytest
from django.core.handlers.base import BaseHandler
from django.urls import Resolver404, resolve

from accounts import api_docs as api_schema
from accounts.api import description


def openapi_path(route: str) -> str:
    """Django's route (`api/rotations/<int:rotation_id>/`) as an OpenAPI path (`/api/rotations/{rotation_id}/`)."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


@functools.cache
def _document() -> dict:
    return description()


@functools.cache
def _validator(pointer: str):
    """A validator for the schema at `pointer` (a JSON pointer into the document); `$ref`s resolve
    against the document's components."""
    doc = _document()
    schema = functools.reduce(lambda node, key: node[key], pointer, doc)
    return jsonschema_rs.validator_for(
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": doc["components"], "allOf": [schema]}
    )


def _documented_response(doc: dict, operation: dict, status: int) -> tuple[dict | None, str]:
    responses = operation.get("responses", {})
    for key in (str(status), f"{status // 100}XX", "default"):
        if key in responses:
            return api_schema.resolve(doc, responses[key]), key
    return None, ""


def mismatch(request, response) -> str | None:
    """What is wrong with this /api/ response according to the description, or None."""
    if not request.path.startswith("/api/") or request.method == "HEAD":
        return None
    try:
        route = resolve(request.path_info).route
    except Resolver404:
        return None
    doc = _document()
    path, method = openapi_path(route), request.method.lower()
    operation = doc["paths"].get(path, {}).get(method)
    if operation is None:
        return None
    where = f"{request.method} {request.path} → {response.status_code}"
    documented, key = _documented_response(doc, operation, response.status_code)
    if documented is None:
        return f"{where}: status {response.status_code} is not described for {request.method} {path}"
    content = documented.get("content", {})
    body = b"" if getattr(response, "streaming", False) else response.content
    if not content:
        return None if not body else f"{where}: a body where the description says none"
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    if content_type not in content:
        return f"{where}: Content-Type {content_type!r} is not one of {sorted(content)}"
    if content_type != "application/json" or "schema" not in content[content_type]:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return f"{where}: the body is not JSON"
    pointer = ("paths", path, method, "responses", key)
    if "$ref" in operation["responses"][key]:
        pointer = tuple(operation["responses"][key]["$ref"].removeprefix("#/").split("/"))
    errors = list(_validator((*pointer, "content", content_type, "schema")).iter_errors(data))
    if errors:
        details = "; ".join(f"{'/'.join(map(str, e.instance_path)) or '(body)'}: {e.message}" for e in errors[:5])
        return f"{where}: the body does not match the description: {details}\n  body: {body[:500]!r}"
    return None


@pytest.fixture(autouse=True)
def validate_api_responses(monkeypatch):
    """Fails the test when any /api/ response it caused does not match the API description."""
    problems: list[str] = []
    original = BaseHandler.get_response

    def get_response(self, request):
        response = original(self, request)
        problem = mismatch(request, response)
        if problem:
            problems.append(problem)
        return response

    monkeypatch.setattr(BaseHandler, "get_response", get_response)
    yield problems
    if problems:
        pytest.fail("API responses differ from /api/schema/:\n" + "\n".join(problems), pytrace=False)
