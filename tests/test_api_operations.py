"""The JSON API's contract: every operation a client could call when the API moved to django-ninja
(method, path, success status; tests/fixtures/api_operations.json) is still described in
/api/schema/ with the same success status, and nothing else is. Removing or changing an operation is
a breaking change: update the fixture only on purpose."""

import json
from pathlib import Path

OPERATIONS = Path(__file__).parent / "fixtures" / "api_operations.json"
# Served but not operations of the API itself (the description as JSON and as a page).
ABOUT = {("GET", "/api/schema/", 200), ("GET", "/api/docs/", 200)}


def _described(doc: dict) -> set[tuple[str, str, int]]:
    found = set()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            success = min(int(status) for status in operation["responses"] if status[0] in "23")
            found.add((method.upper(), path, success))
    return found


def test_every_operation_of_the_contract_is_described_with_its_success_status_and_nothing_else(client):
    contract = {tuple(operation) for operation in json.loads(OPERATIONS.read_text())}
    described = _described(client.get("/api/schema/").json()) - ABOUT

    assert contract - ABOUT - described == set(), "gone from /api/schema/ (or its success status changed)"
    assert described - contract == set(), "new in /api/schema/: add it to tests/fixtures/api_operations.json"
    assert len(contract) == 64


def test_the_description_and_its_page_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
