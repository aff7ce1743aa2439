"""The API description (/api/schema/, /api/docs/) covers exactly the routes under /api/, is valid
OpenAPI 3.1, and the check that every test's /api/ responses match it catches a response that differs."""

import re
import types

import pytest
import schemathesis
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory
from django.urls import URLResolver, get_resolver

from accounts import api_docs as api_schema
from accounts.api import description
from tests.openapi_contract import mismatch, openapi_path


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _allowed_methods(pattern) -> set[str]:
    """What the view itself allows: its 405 answer to a method nobody allows names them (Allow)."""
    request = RequestFactory().generic("TRACE", "/")
    request.user = types.SimpleNamespace(is_authenticated=True)
    response = pattern.callback(request, **dict.fromkeys(pattern.pattern.converters, "1"))
    assert response.status_code == 405, f"{pattern.pattern} answered TRACE with {response.status_code}"
    return {m.strip().lower() for m in response["Allow"].split(",")} - {"head", "options"}


def test_every_route_under_api_is_described_with_every_method_it_allows_and_nothing_else():
    served = {
        (openapi_path(route), method)
        for route, pattern in _routes(get_resolver().url_patterns)
        if route.startswith("api/")
        for method in _allowed_methods(pattern)
    }
    described = {(path, method) for path, method, _ in api_schema.operations(description())}
    assert served - described == set(), "served but not described in /api/schema/"
    assert described - served == set(), "described but not served"
    assert ("/api/rotations/{rotation_id}/", "patch") in served


def test_the_description_is_served_as_valid_openapi_3_1_json(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    doc = response.json()
    assert doc["openapi"] == "3.1.0"
    assert doc["components"]["securitySchemes"]["bearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearerToken"]["description"],
    }
    assert doc["components"]["schemas"]["Error"]["required"] == ["code", "message"]
    schema = schemathesis.openapi.from_dict(doc)
    schema.validate()  # against the OpenAPI 3.1 meta-schema
    operations = [result.ok() for result in schema.get_all_operations()]  # every $ref resolves
    assert len(operations) == len(list(api_schema.operations(doc)))


def test_every_authenticated_operation_describes_the_shared_errors():
    doc = description()
    for path, method, operation in api_schema.operations(doc):
        if operation.get("security") == []:
            continue
        assert {"400", "401", "403"} <= set(operation["responses"]), f"{method} {path}"
        if "{" in path:
            assert "404" in operation["responses"], f"{method} {path}"


def test_the_docs_page_lists_every_operation_without_inline_script_or_style(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    for path, method, operation in api_schema.operations(description()):
        assert f'id="{operation["operationId"]}"' in html
        assert f"{method.upper()}</span> <code" in html
        assert path in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == [], "an inline script (the CSP forbids it)"
    assert "<style" not in html and " style=" not in html, "an inline style (the CSP forbids it)"
    assets = re.findall(r'<(?:script|link)[^>]*\b(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets), assets  # self-hosted, no CDN


def test_an_unknown_url_under_api_is_a_json_404_and_elsewhere_the_page(client):
    response = client.get("/api/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found."}
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


@pytest.fixture
def rotations_request():
    return RequestFactory().get("/api/rotations/")


def test_the_contract_check_accepts_a_response_as_described(rotations_request):
    assert mismatch(rotations_request, JsonResponse({"rotations": []})) is None


def test_the_contract_check_reports_a_body_that_differs_from_the_description(rotations_request):
    problem = mismatch(rotations_request, JsonResponse({"rotations": [{"id": "three"}]}))

    assert "GET /api/rotations/ → 200: the body does not match" in problem
    assert "rotations/0" in problem


def test_the_contract_check_reports_an_undescribed_status_or_content_type(rotations_request):
    assert "status 418 is not described" in mismatch(rotations_request, JsonResponse({}, status=418))
    assert "Content-Type 'text/html'" in mismatch(rotations_request, HttpResponse("<p>hi</p>"))


def test_the_contract_check_validates_shared_error_responses():
    request = RequestFactory().get("/api/rotations/1/")

    assert mismatch(request, JsonResponse({"code": "not_found", "message": "Not found."}, status=404)) is None
    assert "message" in mismatch(request, JsonResponse({"code": "not_found"}, status=404))
