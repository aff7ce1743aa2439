"""PagerDuty schedule and user responses for rotation tests, built from the documented examples in
tests/fixtures/pagerduty/ (schedule.json, schedule_v3.json, user.json, schedules_v3_list.json)."""

from __future__ import annotations

import datetime as dt

import responses

from integrations.pagerduty.models import PagerDutyConnection
from tests.factories import PagerDutyConnectionFactory
from tests.pd_mocks import api, fixture  # noqa: F401

KEY = "u+RotationsKey9876"


def connect(org, **extra) -> PagerDutyConnection:
    return PagerDutyConnectionFactory(organization=org, api_key=KEY, **extra)


def iso(moment: dt.datetime | str) -> str:
    return moment if isinstance(moment, str) else moment.isoformat()


def user_ref(user_id: str, name: str) -> dict:
    return {
        "id": user_id,
        "type": "user_reference",
        "summary": name,
        "self": f"https://api.pagerduty.com/users/{user_id}",
        "html_url": f"https://acme.pagerduty.com/users/{user_id}",
    }


def entry(user_id: str, name: str, start, end) -> dict:
    """One `rendered_schedule_entries` item."""
    return {"start": iso(start), "end": iso(end), "user": user_ref(user_id, name)}


def v2_schedule(
    schedule_id: str,
    final: list[dict],
    *,
    layers=(),
    overrides=(),
    name="Daily Engineering Rotation",
    time_zone="America/New_York",
) -> dict:
    body = fixture("schedule.json")
    schedule = body["schedule"]
    schedule.update(
        id=schedule_id,
        name=name,
        summary=name,
        time_zone=time_zone,
        html_url=f"https://acme.pagerduty.com/schedules/{schedule_id}",
    )
    template = schedule["schedule_layers"][0]
    schedule["schedule_layers"] = [
        {**template, "id": f"L{i}", "name": f"Layer {i + 1}", "rendered_schedule_entries": list(entries)}
        for i, entries in enumerate(layers or [final])
    ]
    schedule["overrides_subschedule"]["rendered_schedule_entries"] = list(overrides)
    schedule["final_schedule"]["rendered_schedule_entries"] = list(final)
    return body


def assignment(start, end, user_id: str | None = None, source: str = "schedule_rotation") -> dict:
    """One v3 `computed_shift_assignments` item; no user_id is an `empty_member` (a gap)."""
    member = {"type": "user_member", "user_id": user_id} if user_id else {"type": "empty_member"}
    return {
        "type": "computed_shift_assignment",
        "start_time": iso(start),
        "end_time": iso(end),
        "member": member,
        "source": {"type": source, "rotation_id": "ABCDEFGHIJKLMNOPQRSTUVWXY2"},
    }


def v3_schedule(
    schedule_id: str, assignments: list[dict], *, name="Engineering On-Call", time_zone="America/New_York"
) -> dict:
    body = fixture("schedule_v3.json")
    body["schedule"].update(
        id=schedule_id, name=name, time_zone=time_zone, self=f"https://api.pagerduty.com/v3/schedules/{schedule_id}"
    )
    body["schedule"]["final_schedule"] = {
        "type": "final_schedule",
        "rendered_coverage_percentage": 100,
        "computed_shift_assignments": assignments,
    }
    return body


def user(user_id: str, name: str, email: str) -> dict:
    body = fixture("user.json")
    body["user"].update(
        id=user_id, name=name, summary=name, email=email, html_url=f"https://acme.pagerduty.com/users/{user_id}"
    )
    return body


def mock_users(rsps, people: dict[str, tuple[str, str]]) -> dict:
    """people: {id: (name, email)}; returns {id: responses.BaseResponse} to count calls."""
    return {uid: rsps.add(responses.GET, api(f"/users/{uid}"), json=user(uid, *who)) for uid, who in people.items()}


def mock_v2(rsps, schedule_id: str, body: dict, *, status: int = 200, headers=None):
    return rsps.add(responses.GET, api(f"/schedules/{schedule_id}"), json=body, status=status, headers=headers)


def mock_v3(rsps, schedule_id: str, body: dict, *, status: int = 200):
    return rsps.add(responses.GET, api(f"/v3/schedules/{schedule_id}"), json=body, status=status)


NOT_FOUND = {"error": {"message": "Not Found", "code": 2100}}
V2_ON_V3 = {
    "error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["This schedule is not a v3 schedule."]}
}
