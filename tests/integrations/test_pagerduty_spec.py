"""Every request the PagerDuty client can send, checked against PagerDuty's own OpenAPI spec.

tests/fixtures/pagerduty/openapiv3.json is PagerDuty's REST API spec (api-schema repository),
copied whole. Each public client method has cases below that call it the ways Roster does, with
`responses` capturing what went out; each captured request is then checked for:
- an operation the spec declares for its method and path;
- every parameter the operation marks required (headers included), present and valid: a
  parameter's schema default does not excuse a client from sending it (openapi-core fills
  defaults in, as a server would, so they are taken out of required parameters here);
- no query parameter the operation does not declare;
- the versioning `Accept` header the spec documents;
- security (the `Authorization` header) and the JSON body, by openapi-core.

A new public client method without a case fails `test_every_public_client_method_has_a_case`.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import inspect
import json
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from django.conf import settings
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest

from integrations.pagerduty import client as pd
from tests import pd_mocks
from tests.pd_mocks import api, fixture
from webhooks import processing

SPEC_FILE = Path(__file__).parents[1] / "fixtures" / "pagerduty" / "openapiv3.json"
REPO = Path(__file__).parents[2]

# Generic transport: they send whatever path an endpoint method gives them, so their request
# shapes are the endpoint methods' cases. `test_only_the_client_names_pagerduty_paths` keeps
# every other module from calling them with a path of its own.
TRANSPORT = {"request", "get", "post", "paginate"}
CONSTRUCTORS = {"for_api_key", "for_oauth_token"}


# --- the spec ----------------------------------------------------------------------------------


@functools.cache
def spec_dict() -> dict:
    return json.loads(SPEC_FILE.read_text())


def _strict(spec: dict) -> dict:
    """The spec as a client must read it: required parameters lose their schema default, so
    openapi-core reports them missing instead of assuming the default; the servers are the
    test settings' API URLs (US and EU) instead of PagerDuty's."""
    spec = copy.deepcopy(spec)
    spec["servers"] = [{"url": settings.PAGERDUTY_API_URL}, {"url": settings.PAGERDUTY_EU_API_URL}]
    parameters = list(spec["components"]["parameters"].values())
    for item in spec["paths"].values():
        for operation in [item, *(v for v in item.values() if isinstance(v, dict))]:
            parameters += [p for p in operation.get("parameters") or [] if "$ref" not in p]
    for parameter in parameters:
        if parameter.get("required") and isinstance(parameter.get("schema"), dict):
            parameter["schema"].pop("default", None)
    # A reference (`{"id", "type": "user_reference"}`) names what it points at: the spec requires
    # its `id` and `type` yet inherits `readOnly` on both from Tag, and PagerDuty's own request
    # examples (createScheduleOverride) send them. A request may write them.
    writable = copy.deepcopy(spec["components"]["schemas"]["Tag"]["allOf"][0])
    for name in ("id", "type"):
        writable["properties"][name].pop("readOnly", None)
    spec["components"]["schemas"]["Reference"]["allOf"][0] = writable
    return spec


@functools.cache
def openapi() -> OpenAPI:
    # PagerDuty's spec itself does not pass openapi-spec-validator (e.g. a string default on an
    # integer parameter of an endpoint Roster never calls): check requests, not the spec.
    # PagerDuty's own formats: `tzinfo` is a time zone name, `url` an absolute http(s) URL.
    formats = {"tzinfo": _is_time_zone, "url": _is_web_url}
    return OpenAPI.from_dict(
        _strict(spec_dict()),
        config=Config(spec_validator_cls=None, extra_format_validators=formats),
    )


def _is_time_zone(value) -> bool:
    return isinstance(value, str) and value in zoneinfo.available_timezones() | {"UTC"}


def _is_web_url(value) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return bool(parts and parts.scheme in ("http", "https") and parts.hostname)


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        target = spec_dict()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


@dataclass
class Operation:
    template: str
    method: str
    parameters: list[dict]


def operation_for(method: str, path: str) -> Operation | None:
    """The spec operation for a request path; literal segments win over `{id}` (`/users/me`)."""
    candidates = []
    for template, item in spec_dict()["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in item:
            candidates.append((template.count("{"), template))
    if not candidates:
        return None
    template = min(candidates)[1]
    item = spec_dict()["paths"][template]
    parameters = [_resolve(p) for p in item.get("parameters") or []]
    parameters += [_resolve(p) for p in item[method.lower()].get("parameters") or []]
    return Operation(template, method.upper(), parameters)


def spec_problems(prepared) -> list[str]:
    """What is wrong with one sent request, by the spec; [] when nothing is."""
    url = urlsplit(prepared.url)
    base = next(
        (b for b in (settings.PAGERDUTY_API_URL, settings.PAGERDUTY_EU_API_URL) if prepared.url.startswith(b)), None
    )
    if base is None:
        return [f"{prepared.url} is not PagerDuty's REST API"]
    path = url.path.removeprefix(urlsplit(base).path)
    operation = operation_for(prepared.method, path)
    if operation is None:
        return [f"the spec has no operation {prepared.method} {path}"]
    where = f"{operation.method} {operation.template}"
    problems = []
    declared = {p["name"] for p in operation.parameters if p["in"] == "query"}
    for name in sorted({k for k, _ in parse_qsl(url.query, keep_blank_values=True)} - declared):
        problems.append(f"{where}: query parameter {name!r} is not in the spec")
    accept = next((p for p in operation.parameters if p["in"] == "header" and p["name"] == "Accept"), None)
    if accept is not None and prepared.headers.get("Accept") != accept["schema"].get("default"):
        problems.append(f"{where}: Accept is {prepared.headers.get('Accept')!r}, not the documented version")
    result = openapi().unmarshal_request(RequestsOpenAPIRequest(prepared))
    for error in result.errors:
        detail = "; ".join(str(e) for e in getattr(error, "schema_errors", None) or [error.__cause__] if e)
        problems.append(f"{where}: {error}" + (f" ({detail})" if detail else ""))
    return problems


# --- the cases: every public client method, called the ways Roster calls it -------------------

API_KEY = "u+SpecCheckKey1234"
SINCE, UNTIL = "2026-03-06T12:00:00Z", "2026-03-21T12:00:00Z"
ERROR_400 = {"error": {"message": "Invalid Input Provided", "code": 2001}}


def api_key_client() -> pd.PagerDutyClient:
    return pd.PagerDutyClient.for_api_key(API_KEY)


def oauth_client() -> pd.PagerDutyClient:
    return pd.PagerDutyClient.for_oauth_token("oauth-access-token", on_unauthorized=lambda: "Bearer fresh-token")


@dataclass
class Case:
    id: str
    mock: Callable[[responses.RequestsMock], object]
    call: Callable[[pd.PagerDutyClient], object]
    make_client: Callable[[], pd.PagerDutyClient] = api_key_client


def get(path: str, body: dict, status: int = 200):
    return lambda rsps: rsps.add(responses.GET, api(path), json=body, status=status)


def both(*mocks):
    return lambda rsps: [m(rsps) for m in mocks]


def two_pages(path: str, key: str, items: list[dict]):
    def mock(rsps):
        first = {key: items[:1], "more": True, "limit": 100, "offset": 0}
        rsps.add(responses.GET, api(path), json=first)  # answered first, then the second page
        rsps.add(responses.GET, api(path), json={key: items[1:], "more": False, "limit": 100, "offset": 1})

    return mock


V2_SCHEDULE = fixture("schedule.json")
V3_SCHEDULE = {
    "schedule": {
        **fixture("schedule_v3.json")["schedule"],
        "final_schedule": {
            "type": "final_schedule",
            "rendered_coverage_percentage": 0,
            "computed_shift_assignments": [],
        },
    }
}
V2_ID = V2_SCHEDULE["schedule"]["id"]
V3_ID = V3_SCHEDULE["schedule"]["id"]
INCIDENT = {"incident": {"id": "PT4KHLK", "type": "incident", "summary": "[#1234] The server is on fire."}}
SUBSCRIPTION = {
    "webhook_subscription": {
        "id": "PY1OQWI",
        "type": "webhook_subscription",
        "delivery_method": {"type": "http_delivery_method", "url": "https://roster.example/w/x", "secret": "s3cr3t"},
    }
}
# As PagerDuty reads one back (no secret), with the events it sends.
SUBSCRIPTION_READ = {
    "id": "PY1OQWI",
    "type": "webhook_subscription",
    "delivery_method": {"type": "http_delivery_method", "url": "https://roster.example/w/x"},
    "events": ["incident.triggered", "incident.resolved"],
    "filter": {"type": "account_reference"},
}

V2_OVERRIDE = {
    "id": "PQ47DCP",
    "start": "2012-07-01T00:00:00-04:00",
    "end": "2012-07-02T00:00:00-04:00",
    "user": {"id": "PEYSGVF", "type": "user_reference", "summary": "Aurelio Rice"},
}
V3_OVERRIDE = {
    "id": "OV1",
    "type": "override_shift",
    "rotation_id": "ABCDEFGHIJKLMNOPQRSTUVWXY",
    "start_time": "2025-03-15T09:00:00Z",
    "end_time": "2025-03-15T17:00:00Z",
    "overridden_member": {"type": "user_member", "user_id": "PUSER123"},
    "overriding_member": {"type": "user_member", "user_id": "PUSER456"},
}
OVERRIDE_START = dt.datetime(2026, 3, 7, 9, tzinfo=dt.UTC)
OVERRIDE_END = dt.datetime(2026, 3, 7, 17, tzinfo=dt.UTC)
FUTURE = {"start_time": "2999-01-01T00:00:00Z", "end_time": "2999-01-02T00:00:00Z"}
IN_PROGRESS = {"start_time": "2000-01-01T00:00:00Z", "end_time": "2999-01-02T00:00:00Z"}


def v3_create_case(name: str, **shift: str) -> Case:
    def mock(rsps):
        rsps.add(responses.POST, api(f"/v3/schedules/{V3_ID}/overrides"), json={"overrides": [V3_OVERRIDE]}, status=201)

    def call(c):
        return c.create_override(
            V3_ID,
            kind="v3",
            start=OVERRIDE_START,
            end=OVERRIDE_END,
            user_id="PUSER456",
            overridden_user_id="PUSER123",
            **shift,
        )

    return Case(name, mock, call)


def v3_delete_case(name: str, times: dict, method: str, **answer) -> Case:
    path = f"/v3/schedules/{V3_ID}/overrides/OV1"
    mock = both(get(path, {"override": {**V3_OVERRIDE, **times}}), lambda rsps: rsps.add(method, api(path), **answer))
    return Case(name, mock, lambda c: c.delete_override(V3_ID, "OV1", kind="v3"))


CAN_READ = {"/schedules": "schedules_list.json", "/teams": "teams_list.json"}  # the paths Roster probes

CASES: dict[str, list[Case]] = {
    "current_user": [
        Case("user-key", get("/users/me", pd_mocks.user_me()), lambda c: c.current_user()),
        Case("oauth-token", get("/users/me", pd_mocks.user_me()), lambda c: c.current_user(), oauth_client),
        Case(
            "oauth-token-refreshed-after-a-401",
            both(get("/users/me", pd_mocks.UNAUTHORIZED_BODY, 401), get("/users/me", pd_mocks.user_me())),
            lambda c: c.current_user(),
            oauth_client,
        ),
        Case(
            "account-key-by-its-words",
            get("/users/me", pd_mocks.ACCOUNT_LEVEL_ERROR, 400),
            lambda c: pytest.raises(pd.AccountLevelKey, c.current_user),
        ),
        Case(
            "account-key-by-the-probe",
            both(get("/users/me", ERROR_400, 400), get("/users", fixture("users_list.json"))),
            lambda c: pytest.raises(pd.AccountLevelKey, c.current_user),
        ),
    ],
    "first_user": [Case("users-limit-1", get("/users", fixture("users_list.json")), lambda c: c.first_user())],
    "can_read": [
        Case(path, get(path, fixture(answer)), lambda c, path=path: c.can_read(path))
        for path, answer in CAN_READ.items()
    ],
    "list_schedules": [
        Case(
            "classic-and-shift-based",
            both(
                get("/schedules", fixture("schedules_list.json")),
                get("/v3/schedules", fixture("schedules_v3_list.json")),
            ),
            lambda c: c.list_schedules(),
        ),
        Case(
            "by-name-over-two-pages-each",
            both(
                two_pages("/schedules", "schedules", fixture("schedules_list.json")["schedules"] * 2),
                two_pages("/v3/schedules", "schedules", [{"id": "PV3A"}, {"id": "PV3B"}]),
            ),
            lambda c: c.list_schedules("Platform"),
        ),
        Case(
            "account-without-shift-based",
            both(get("/schedules", fixture("schedules_list.json")), get("/v3/schedules", ERROR_400, 400)),
            lambda c: c.list_schedules(),
        ),
    ],
    "get_schedule_window": [
        Case(
            "classic",
            get(f"/schedules/{V2_ID}", V2_SCHEDULE),
            lambda c: c.get_schedule_window(V2_ID, SINCE, UNTIL, kind="v2"),
        ),
        Case(
            "shift-based",
            get(f"/v3/schedules/{V3_ID}", V3_SCHEDULE),
            lambda c: c.get_schedule_window(V3_ID, SINCE, UNTIL, kind="v3"),
        ),
        Case(
            "unknown-kind-falls-back-to-classic",
            both(get(f"/v3/schedules/{V2_ID}", ERROR_400, 400), get(f"/schedules/{V2_ID}", V2_SCHEDULE)),
            lambda c: c.get_schedule_window(V2_ID, SINCE, UNTIL),
        ),
    ],
    "list_oncalls": [
        Case(
            "many-schedules-every-page",
            two_pages(
                "/oncalls",
                "oncalls",
                [
                    {
                        "user": {"id": "PU1", "type": "user_reference"},
                        "schedule": {"id": V2_ID, "type": "schedule_reference"},
                        "escalation_level": 1,
                        "start": "2026-03-06T12:00:00Z",
                        "end": "2026-03-06T20:00:00Z",
                    }
                ]
                * 2,
            ),
            lambda c: c.list_oncalls(
                [V2_ID, "PSECOND"],
                dt.datetime(2026, 3, 6, 12, tzinfo=dt.UTC),
                dt.datetime(2026, 3, 13, 12, tzinfo=dt.UTC),
            ),
        )
    ],
    "get_user": [Case("by-id", get("/users/PXPGF42", fixture("user.json")), lambda c: c.get_user("PXPGF42"))],
    "find_webhook_subscriptions": [
        Case(
            "every-page",
            two_pages(
                "/webhook_subscriptions",
                "webhook_subscriptions",
                [SUBSCRIPTION["webhook_subscription"], {**SUBSCRIPTION["webhook_subscription"], "id": "PY1OQWJ"}],
            ),
            lambda c: c.find_webhook_subscriptions("https://roster.example/w/x"),
        )
    ],
    "get_webhook_subscription": [
        Case(
            "by-id",
            get("/webhook_subscriptions/PY1OQWI", {"webhook_subscription": {**SUBSCRIPTION_READ, "active": True}}),
            lambda c: c.get_webhook_subscription("PY1OQWI"),
        )
    ],
    "update_webhook_subscription_events": [
        Case(
            "events-only",
            lambda rsps: rsps.add(
                responses.PUT, api("/webhook_subscriptions/PY1OQWI"), json={"webhook_subscription": SUBSCRIPTION_READ}
            ),
            lambda c: c.update_webhook_subscription_events("PY1OQWI", processing.SUBSCRIBED_EVENTS),
        )
    ],
    "delete_webhook_subscription": [
        Case(
            "by-id",
            lambda rsps: rsps.add(responses.DELETE, api("/webhook_subscriptions/PY1OQWI"), status=204),
            lambda c: c.delete_webhook_subscription("PY1OQWI"),
        )
    ],
    "get_incident": [Case("by-id", get("/incidents/PT4KHLK", INCIDENT), lambda c: c.get_incident("PT4KHLK"))],
    "find_user_by_email": [
        Case(
            "by-query-every-page",
            two_pages("/users", "users", [{"id": "PX1", "email": "x@acme.example"}, {"id": "PX2", "email": "a@b.c"}]),
            lambda c: c.find_user_by_email("a@b.c"),
        )
    ],
    "list_overrides": [
        Case(
            "classic",
            get(f"/schedules/{V2_ID}/overrides", {"overrides": [V2_OVERRIDE]}),
            lambda c: c.list_overrides(V2_ID, SINCE, UNTIL, kind="v2"),
        ),
        Case(
            "shift-based-every-page",
            two_pages(f"/v3/schedules/{V3_ID}/overrides", "overrides", [V3_OVERRIDE, {**V3_OVERRIDE, "id": "OV2"}]),
            lambda c: c.list_overrides(V3_ID, SINCE, UNTIL, kind="v3"),
        ),
    ],
    "create_override": [
        Case(
            "classic",
            lambda rsps: rsps.add(
                responses.POST,
                api(f"/schedules/{V2_ID}/overrides"),
                json=[{"status": 201, "override": V2_OVERRIDE}],
                status=201,
            ),
            lambda c: c.create_override(
                V2_ID, kind="v2", start=OVERRIDE_START, end=OVERRIDE_END, user_id="PEYSGVF", time_zone="Europe/Berlin"
            ),
        ),
        v3_create_case("shift-based-rotation", rotation_id="ABCDEFGHIJKLMNOPQRSTUVWXY"),
        v3_create_case("shift-based-custom-shift", custom_shift_id="CSHIFT1"),
    ],
    "delete_override": [
        Case(
            "classic",
            lambda rsps: rsps.add(responses.DELETE, api(f"/schedules/{V2_ID}/overrides/PQ47DCP"), status=204),
            lambda c: c.delete_override(V2_ID, "PQ47DCP", kind="v2"),
        ),
        v3_delete_case("shift-based-future-deleted", FUTURE, responses.DELETE, status=204),
        v3_delete_case("shift-based-in-progress-cut", IN_PROGRESS, responses.PUT, json={"override": V3_OVERRIDE}),
    ],
    "create_webhook_subscription": [
        Case(
            "account-wide",
            lambda rsps: rsps.add(responses.POST, api("/webhook_subscriptions"), json=SUBSCRIPTION, status=201),
            lambda c: c.create_webhook_subscription(
                url="https://roster.example/webhooks/pagerduty/abc",
                events=processing.SUBSCRIBED_EVENTS,
                description="Roster (Acme)",
            ),
        )
    ],
}


def public_methods() -> set[str]:
    return {name for name, _ in inspect.getmembers(pd.PagerDutyClient, callable) if not name.startswith("_")}


def test_every_public_client_method_has_a_case():
    missing = public_methods() - set(CASES) - TRANSPORT - CONSTRUCTORS
    assert not missing, f"give these PagerDutyClient methods a case in CASES: {sorted(missing)}"
    assert set(CASES) <= public_methods(), "CASES names a method the client no longer has"


def test_only_the_client_names_pagerduty_paths():
    """No module but client.py hands the transport methods a PagerDuty path, and every path given
    to `can_read` has its case: so the cases above are every request shape Roster can send."""
    skip = {"tests", "bench", "static", "templates", "node_modules"}
    folders = [d for d in REPO.iterdir() if d.is_dir() and not d.name.startswith(".") and d.name not in skip]
    client_py = REPO / "integrations" / "pagerduty" / "client.py"
    sources = [p for d in folders for p in d.rglob("*.py") if p != client_py] + list(REPO.glob("*.py"))
    direct = re.compile(r"(?<!router)\.(?:get|post|request|paginate)\(\s*f?[\"']/")  # not an API router's route
    offenders = [str(p.relative_to(REPO)) for p in sources if direct.search(p.read_text())]
    assert offenders == []
    probed = {m for p in sources for m in re.findall(r"can_read\(\s*[\"']([^\"']+)[\"']", p.read_text())}
    assert probed and probed <= set(CAN_READ)


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=f"{method}:{case.id}") for method, cases in CASES.items() for case in cases],
)
def test_every_request_the_client_sends_is_one_pagerdutys_spec_defines(case, rsps):
    case.mock(rsps)
    case.call(case.make_client())
    assert rsps.calls, "the case sent no request"
    assert all(r.call_count for r in rsps.registered()), "the case did not send every request it prepared"
    problems = [problem for call in rsps.calls for problem in spec_problems(call.request)]
    assert problems == []


# --- the checker itself can fail --------------------------------------------------------------


def _prepared(method: str, path: str, *, params=None, headers=None, json_body=None):
    import requests

    session = pd.build_session()
    request = requests.Request(method, api(path), params=params, json=json_body, headers=headers or {})
    prepared = session.prepare_request(request)
    prepared.headers["Authorization"] = pd.api_key_auth(API_KEY)
    return prepared


def test_the_check_refuses_a_v2_get_without_content_type():
    prepared = _prepared("GET", "/users/me")
    del prepared.headers["Content-Type"]
    assert any("Content-Type" in p for p in spec_problems(prepared))


def test_the_check_refuses_an_accept_header_without_the_version():
    prepared = _prepared("GET", "/teams")
    prepared.headers["Accept"] = "application/json"
    assert any("Accept is 'application/json'" in p for p in spec_problems(prepared))


def test_the_check_refuses_undeclared_query_parameters_and_unknown_paths():
    assert spec_problems(_prepared("GET", "/schedules/P1", params={"overflow": "true", "window": "2"})) == [
        "GET /schedules/{id}: query parameter 'window' is not in the spec"
    ]
    assert spec_problems(_prepared("GET", "/schedule/P1")) == ["the spec has no operation GET /schedule/P1"]


def test_the_check_refuses_a_request_without_credentials_or_with_a_body_pagerduty_does_not_take():
    prepared = _prepared("GET", "/users")
    del prepared.headers["Authorization"]
    assert any("Security" in p or "security" in p for p in spec_problems(prepared))
    bad_body = _prepared("POST", "/webhook_subscriptions", json_body={"webhook_subscription": {"events": []}})
    assert spec_problems(bad_body) != []
