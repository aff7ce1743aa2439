"""Cover requests written to PagerDuty as overrides (integrations/pagerduty/overrides.py): exactly
once across retries and dead workers, refusals as sentences, and request bodies exactly as
PagerDuty's OpenAPI spec defines them (checked with the spec checker of test_pagerduty_spec)."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
import requests
import responses
import time_machine

from integrations.pagerduty import client as pd
from integrations.pagerduty.overrides import WriteRefused, override_remove, override_write
from tests.integrations.test_pagerduty_spec import spec_problems
from tests.pd_mocks import api
from tests.rotations import pd_schedules as pds

SCHEDULE = "PSCHED1"
START = dt.datetime(2026, 12, 10, 9, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 10, 17, tzinfo=dt.UTC)
TAKER, ASKER = "PTAKER1", "PASKER1"
NEW_YORK = dt.timezone(dt.timedelta(hours=-5))


@pytest.fixture
def client():
    return pd.PagerDutyClient.for_api_key("u+writeKey0001")


class ClassicOverrides:
    """PagerDuty's classic override endpoints for one schedule, kept in memory: what was created
    stays created, whatever happens to the caller. `lose_answer` makes the next create happen in
    PagerDuty but its answer never arrive (the connection drops)."""

    def __init__(self, rsps):
        self.items: list[dict] = []
        self.ids = (f"Q{n:06d}" for n in itertools.count(1))
        self.lose_answer = False
        self.posts = 0
        path = api(f"/schedules/{SCHEDULE}/overrides")
        rsps.add_callback(responses.GET, path, callback=self.list)
        rsps.add_callback(responses.POST, path, callback=self.create)

    def list(self, request):
        # PagerDuty answers in the schedule's time zone: the same moments, other offsets.
        shown = [{**o, "start": _in_new_york(o["start"]), "end": _in_new_york(o["end"])} for o in self.items]
        return 200, {}, json.dumps({"overrides": shown})

    def create(self, request):
        self.posts += 1
        wanted = json.loads(request.body)["overrides"][0]
        override = {"id": next(self.ids), "start": wanted["start"], "end": wanted["end"], "user": wanted["user"]}
        self.items.append(override)
        if self.lose_answer:
            self.lose_answer = False
            raise requests.ConnectionError("connection reset by peer")
        return 201, {}, json.dumps([{"status": 201, "override": override}])


def _in_new_york(moment: str) -> str:
    return dt.datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(NEW_YORK).isoformat()


def write(client, kind="v2", **extra):
    time_zone = "Europe/Berlin" if kind == "v2" else "UTC"
    return override_write(
        client, schedule_id=SCHEDULE, kind=kind, start=START, end=END, user_id=TAKER, time_zone=time_zone, **extra
    )


# --- exactly once ---------------------------------------------------------------------------


def test_a_retry_after_the_worker_died_adopts_the_override_instead_of_creating_a_second(rsps, client):
    pagerduty = ClassicOverrides(rsps)

    first = write(client)  # created; then the worker dies before storing the id
    retried = write(client)  # the task runs again, with no id stored

    assert retried == first
    assert pagerduty.posts == 1
    assert [o["user"]["id"] for o in pagerduty.items] == [TAKER]


def test_a_create_whose_answer_was_lost_is_adopted_on_the_retry(rsps, client):
    pagerduty = ClassicOverrides(rsps)
    pagerduty.lose_answer = True

    with pytest.raises(pd.Unavailable):  # transient: the task retries
        write(client)
    adopted = write(client)

    assert adopted == pagerduty.items[0]["id"]
    assert pagerduty.posts == 1 and len(pagerduty.items) == 1


def test_an_override_for_another_person_or_window_is_not_adopted(rsps, client):
    pagerduty = ClassicOverrides(rsps)
    pagerduty.items = [
        {"id": "QOTHER1", "start": "2026-12-10T09:00:00Z", "end": "2026-12-10T17:00:00Z", "user": {"id": "PSOMEONE"}},
        {"id": "QOTHER2", "start": "2026-12-10T09:00:00Z", "end": "2026-12-10T16:00:00Z", "user": {"id": TAKER}},
    ]

    created = write(client)

    assert created not in ("QOTHER1", "QOTHER2")
    assert pagerduty.posts == 1


def test_a_known_id_is_returned_without_calling_pagerduty(rsps, client):
    assert write(client, known_id="QKNOWN1") == "QKNOWN1"
    assert len(rsps.calls) == 0


def test_the_window_is_listed_unclipped_before_creating(rsps, client):
    ClassicOverrides(rsps)
    write(client)

    listed = rsps.calls[0].request
    assert listed.method == "GET"
    assert listed.params == {"since": "2026-12-10T09:00:00Z", "until": "2026-12-10T17:00:00Z", "overflow": "true"}


# --- bodies as the spec defines them ----------------------------------------------------------


def test_the_classic_create_body_is_pagerdutys_multi_override_form(rsps, client):
    ClassicOverrides(rsps)
    write(client)

    post = rsps.calls[1].request
    assert json.loads(post.body) == {
        "overrides": [
            {
                "start": "2026-12-10T09:00:00Z",
                "end": "2026-12-10T17:00:00Z",
                "user": {"id": TAKER, "type": "user_reference"},
                "time_zone": "Europe/Berlin",
            }
        ]
    }
    assert [p for call in rsps.calls for p in spec_problems(call.request)] == []


V3_STORED = {
    "id": "Q000001",
    "type": "override_shift",
    "rotation_id": "ROTDAY",
    "start_time": "2026-12-10T09:00:00Z",
    "end_time": "2026-12-10T17:00:00Z",
    "overridden_member": {"type": "user_member", "user_id": ASKER},
    "overriding_member": {"type": "user_member", "user_id": TAKER},
}


def v3_window(*assignments):
    return pds.v3_schedule(SCHEDULE, list(assignments))


def shift(start, end, user_id, *, rotation="ROT1", custom=""):
    entry = pds.assignment(start, end, user_id)
    entry["source"] = (
        {"type": "custom_shift", "shift_id": custom}
        if custom
        else {"type": "schedule_rotation", "rotation_id": rotation}
    )
    return entry


def v3_override(override_id, body_item):
    return {"id": override_id, **body_item}


def mock_v3(rsps, *assignments, existing=()):
    rsps.add(
        responses.GET,
        api(f"/v3/schedules/{SCHEDULE}/overrides"),
        json={"overrides": list(existing), "limit": 100, "offset": 0, "more": False},
    )
    rsps.add(responses.GET, api(f"/v3/schedules/{SCHEDULE}"), json=v3_window(*assignments))

    def create(request):
        item = json.loads(request.body)["overrides"][0]
        return 201, {}, json.dumps({"overrides": [v3_override("OV3NEW1", item)]})

    return rsps.add_callback(responses.POST, api(f"/v3/schedules/{SCHEDULE}/overrides"), callback=create)


def write_v3(client, **extra):
    return write(client, "v3", **extra)


def test_a_shift_based_override_names_the_askers_rotation_and_who_is_overridden(rsps, client):
    mock_v3(
        rsps,
        shift(START - dt.timedelta(hours=9), START, "PEARLY"),  # before the window: not this shift
        shift(START, START + dt.timedelta(hours=12), ASKER, rotation="ROTDAY"),
        shift(START, END, "PSECOND", rotation="ROTSECONDARY"),  # another layer, someone else
    )

    assert write_v3(client, overridden_user_id=ASKER) == "OV3NEW1"

    post = next(c.request for c in rsps.calls if c.request.method == "POST")
    sent = {k: v for k, v in V3_STORED.items() if k != "id"}
    assert json.loads(post.body) == {"overrides": [sent]}
    assert [p for call in rsps.calls for p in spec_problems(call.request)] == []


def test_a_custom_shift_is_named_by_custom_shift_id_not_rotation_id(rsps, client):
    mock_v3(rsps, shift(START, END, ASKER, custom="CSHIFT9"))

    write_v3(client, overridden_user_id=ASKER)

    body = json.loads(next(c.request for c in rsps.calls if c.request.method == "POST").body)["overrides"][0]
    assert body["custom_shift_id"] == "CSHIFT9" and "rotation_id" not in body
    assert [p for call in rsps.calls for p in spec_problems(call.request)] == []


def test_a_shift_based_retry_adopts_the_identical_override(rsps, client):
    existing = {
        "id": "OV3OLD1",
        "type": "override_shift",
        "rotation_id": "ROTDAY",
        "start_time": "2026-12-10T04:00:00-05:00",  # the same moment, in New York
        "end_time": "2026-12-10T12:00:00-05:00",
        "overridden_member": {"type": "user_member", "user_id": ASKER},
        "overriding_member": {"type": "user_member", "user_id": TAKER},
    }
    create = mock_v3(rsps, shift(START, END, ASKER), existing=[existing])

    assert write_v3(client, overridden_user_id=ASKER) == "OV3OLD1"
    assert create.call_count == 0


def test_a_shift_based_window_where_the_asker_is_not_on_call_is_refused_before_writing(rsps, client):
    create = mock_v3(rsps, shift(START, END, "PSOMEONE"))

    with pytest.raises(WriteRefused) as refused:
        write_v3(client, overridden_user_id=ASKER)

    assert refused.value.code == "no_shift"
    assert "has no shift to override" in refused.value.message
    assert create.call_count == 0


# --- refusals are sentences; trouble is retried by the caller ---------------------------------


def refuse_create(rsps, status, body):
    rsps.add(responses.GET, api(f"/schedules/{SCHEDULE}/overrides"), json={"overrides": []})
    rsps.add(responses.POST, api(f"/schedules/{SCHEDULE}/overrides"), json=body, status=status)


@pytest.mark.parametrize(
    ("status", "body", "code", "words"),
    [
        (
            403,
            {"error": {"message": "Access Denied", "code": 2010}},
            "read_only",
            "the connection may only read. Use a REST API key with full access, or reconnect with OAuth and tick",
        ),
        (401, {"error": {"message": "Unauthorized", "code": 2006}}, "unauthorized", "an admin must reconnect"),
        (
            400,
            {"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["User cannot be found"]}},
            "invalid",
            "PagerDuty refused to change schedule PSCHED1. (PagerDuty said: Invalid Input Provided; User cannot",
        ),
        (
            201,  # the answer is a success; the one override in it was refused
            [{"status": 400, "errors": ["Override must end after its start"], "override": {"start": "x"}}],
            "invalid",
            "(PagerDuty said: Override must end after its start)",
        ),
        (404, {"error": {"message": "Not Found", "code": 2100}}, "not_found", "has no schedule PSCHED1"),
    ],
)
def test_a_refused_write_is_a_sentence_never_json(rsps, client, status, body, code, words):
    refuse_create(rsps, status, body)

    with pytest.raises(WriteRefused) as refused:
        write(client)

    assert refused.value.code == code
    assert words in refused.value.message
    assert not any(c in refused.value.message for c in "{}[]")


def test_a_shift_based_refusal_with_errors_by_field_reads_as_words(rsps, client):
    mock_v3(rsps, shift(START, END, ASKER))
    rsps.replace(
        responses.POST,
        api(f"/v3/schedules/{SCHEDULE}/overrides"),
        status=400,
        json={
            "error": {"message": "Invalid Request", "code": 2001, "errors": {"start_time": ["must be in the future"]}}
        },
    )

    with pytest.raises(WriteRefused) as refused:
        write_v3(client, overridden_user_id=ASKER)

    assert refused.value.message.endswith("(PagerDuty said: Invalid Request; start_time: must be in the future)")


def test_pagerduty_trouble_on_create_is_raised_for_the_task_to_retry_and_not_resent_here(rsps, client):
    refuse_create(rsps, 503, {"error": {"message": "Service Unavailable"}})

    with pytest.raises(pd.Unavailable):
        write(client)

    assert [c.request.method for c in rsps.calls] == ["GET", "POST"]  # a POST is never blindly re-sent


# --- undo -------------------------------------------------------------------------------------


def remove(client, kind="v2"):
    return override_remove(client, schedule_id=SCHEDULE, kind=kind, override_id="Q000001")


@pytest.mark.parametrize(
    ("status", "result"),
    [(204, "deleted"), (200, "cut"), (400, "past"), (404, "deleted")],  # 404: already gone (a retried undo)
)
def test_removing_a_classic_override_says_what_pagerduty_did(rsps, client, status, result):
    rsps.add(
        responses.DELETE,
        api(f"/schedules/{SCHEDULE}/overrides/Q000001"),
        status=status,
        json={"error": {"message": "Invalid Input Provided", "code": 2001}} if status >= 400 else None,
    )
    assert remove(client) == result
    assert [p for call in rsps.calls for p in spec_problems(call.request)] == []


def test_removing_with_a_read_only_key_is_refused_in_words(rsps, client):
    rsps.add(
        responses.DELETE,
        api(f"/schedules/{SCHEDULE}/overrides/Q000001"),
        status=403,
        json={"error": {"message": "Access Denied", "code": 2010}},
    )
    with pytest.raises(WriteRefused) as refused:
        remove(client)
    assert refused.value.code == "read_only"
    assert refused.value.message.startswith("PagerDuty did not let Roster remove the override from schedule PSCHED1")


@pytest.mark.parametrize(
    ("now", "result", "sent"),
    [
        ("2026-12-10 08:00:00+00:00", "deleted", ["GET", "DELETE"]),
        ("2026-12-10 12:30:00+00:00", "cut", ["GET", "PUT"]),
        ("2026-12-10 18:00:00+00:00", "past", ["GET"]),
    ],
)
def test_removing_a_shift_based_override_follows_pagerdutys_classic_rules(rsps, client, now, result, sent):
    path = api(f"/v3/schedules/{SCHEDULE}/overrides/Q000001")
    rsps.add(responses.GET, path, json={"override": V3_STORED})
    rsps.add(responses.DELETE, path, status=204)
    rsps.add(responses.PUT, path, json={"override": V3_STORED})

    with time_machine.travel(now, tick=False):
        assert remove(client, "v3") == result

    assert [c.request.method for c in rsps.calls] == sent
    if result == "cut":
        assert json.loads(rsps.calls[1].request.body) == {"override": {"end_time": "2026-12-10T12:30:00Z"}}
    assert [p for call in rsps.calls for p in spec_problems(call.request)] == []


# --- the taker's PagerDuty user, by email ----------------------------------------------------


def test_a_pagerduty_user_is_found_by_exact_email_in_any_case(rsps, client):
    rsps.add(
        responses.GET,
        api("/users"),
        json={
            "users": [
                {"id": "PLONGER", "email": "ana.ortiz@acme.example"},
                {"id": "PANA001", "email": "Ana@Acme.example"},
            ],
            "more": False,
        },
    )
    assert client.find_user_by_email("ana@acme.example")["id"] == "PANA001"
    assert rsps.calls[0].request.params["query"] == "ana@acme.example"


def test_no_exact_email_match_is_no_user(rsps, client):
    rsps.add(responses.GET, api("/users"), json={"users": [{"id": "PX", "email": "anatole@acme.example"}]})
    assert client.find_user_by_email("ana@acme.example") is None
