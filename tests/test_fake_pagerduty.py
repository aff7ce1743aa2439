"""The fake PagerDuty (tests/fake_pagerduty.py) answers as PagerDuty's spec says: GET /oncalls, the
per-key request limit, schedules changed at a given moment (what bench/freshness.py relies on), and
overrides written through the API (classic and shift-based) with PagerDuty's rules."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from integrations.pagerduty import client as pd
from integrations.pagerduty.overrides import WriteRefused, override_remove, override_write
from tests.fake_pagerduty import FakePagerDuty
from tests.rotations.fake_schedules import EPOCH, FakeSchedule, install

KEY = "u+fakeUserKey0001"
AUTH = {"Authorization": f"Token token={KEY}"}
USERS = {"PANA": ("Ana Ortiz", "ana@acme.example"), "PBO": ("Bo Chen", "bo@acme.example"), "PCY": ("Cy Ray", "cy@x")}
DAY = EPOCH + dt.timedelta(days=100)  # a midnight: 8-hour turns start at 00:00, 08:00, 16:00
H = dt.timedelta(hours=1)


@pytest.fixture
def fake():
    with FakePagerDuty() as server:
        install(
            server,
            schedules={"PUSED": FakeSchedule(users=["PANA", "PBO"]), "PALONE": FakeSchedule(users=["PANA"])},
            users=USERS,
        )
        server.escalation_policies = {"PEP1": {"PUSED"}}
        yield server


def get(fake, path, key=KEY, **params):
    return requests.get(fake.url + path, params=params, headers={"Authorization": f"Token token={key}"}, timeout=5)


def oncalls(fake, **params):
    return get(fake, "/oncalls", **params)


def who(body) -> list[tuple[str, str, str]]:
    return [(o["schedule"]["id"], o["user"]["id"], o["start"]) for o in body["oncalls"]]


def test_oncalls_lists_final_entries_with_overrides_of_schedules_in_an_escalation_policy(fake):
    fake.override("PUSED", DAY + 2 * H, DAY + 4 * H, "PCY")

    answer = oncalls(
        fake, since=DAY.isoformat(), until=(DAY + 9 * H).isoformat(), **{"schedule_ids[]": ["PUSED", "PALONE"]}
    )

    assert answer.status_code == 200
    body = answer.json()
    assert who(body) == [  # PALONE is in no escalation policy: absent
        ("PUSED", "PANA", DAY.isoformat()),
        ("PUSED", "PCY", (DAY + 2 * H).isoformat()),
        ("PUSED", "PANA", (DAY + 4 * H).isoformat()),
        ("PUSED", "PBO", (DAY + 8 * H).isoformat()),
    ]
    assert body["oncalls"][1]["escalation_policy"]["id"] == "PEP1"
    assert body["oncalls"][1]["escalation_level"] == 1
    assert body["oncalls"][1]["user"]["summary"] == "Cy Ray"
    assert (body["limit"], body["offset"], body["more"]) == (25, 0, False)


def test_oncalls_earliest_keeps_each_users_first_entry(fake):
    body = oncalls(fake, since=DAY.isoformat(), until=(DAY + 3 * 24 * H).isoformat(), earliest="true").json()

    assert who(body) == [("PUSED", "PANA", DAY.isoformat()), ("PUSED", "PBO", (DAY + 8 * H).isoformat())]


def test_oncalls_pages_with_limit_offset_and_more(fake):
    window = {"since": DAY.isoformat(), "until": (DAY + 10 * 24 * H).isoformat()}
    first = oncalls(fake, limit=20, **window).json()
    rest = oncalls(fake, limit=20, offset=20, **window).json()

    assert len(first["oncalls"]) == 20 and first["more"] is True
    assert len(rest["oncalls"]) == 10 and rest["more"] is False
    assert who(first)[-1][2] < who(rest)[0][2]


@pytest.mark.parametrize(
    "params",
    [
        {"since": DAY.isoformat(), "until": (DAY + 91 * 24 * H).isoformat()},  # over 90 days
        {"since": DAY.isoformat(), "until": (DAY - H).isoformat()},  # until before since
        {"limit": 101},
        {"limit": 100, "offset": 9901},  # offset + limit over 10,000
    ],
)
def test_oncalls_refuses_what_pagerduty_refuses_with_its_400_body(fake, params):
    answer = oncalls(fake, **params)

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 2001
    assert answer.json()["error"]["message"] == "Invalid Input Provided"


def test_oncalls_at_the_90_day_and_10000_edges_is_answered(fake):
    assert oncalls(fake, since=DAY.isoformat(), until=(DAY + 90 * 24 * H).isoformat(), limit=100).status_code == 200
    assert oncalls(fake, limit=100, offset=9900).status_code == 200


def test_oncalls_needs_a_valid_key(fake):
    assert get(fake, "/oncalls", key="u+wrong").status_code == 401


def test_the_per_key_limit_answers_429_with_pagerdutys_body_and_headers(fake):
    fake.rate_limit_per_minute = 3

    answers = [get(fake, "/oncalls") for _ in range(4)]
    other_key = get(fake, "/oncalls", key="u+otherKey0002")  # its own minute (then 401: unknown key)

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json() == {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(a.headers["ratelimit-limit"] == "3" for a in answers)
    assert 1 <= int(answers[3].headers["ratelimit-reset"]) <= 60
    assert other_key.status_code == 401 and other_key.headers["ratelimit-remaining"] == "2"
    assert fake.throttled[KEY] == 1


def test_no_limit_and_no_ratelimit_headers_by_default(fake):
    answers = [get(fake, "/oncalls") for _ in range(5)]

    assert {a.status_code for a in answers} == {200}
    assert "ratelimit-limit" not in answers[0].headers


def test_a_change_at_a_given_moment_shows_then_and_is_remembered(fake):
    window = {"since": DAY.isoformat(), "until": (DAY + 8 * H).isoformat()}
    when = time.time() + 0.5

    change = fake.override("PUSED", DAY + H, DAY + 2 * H, "PCY", at=when)
    before = get(fake, "/schedules/PUSED", **window).json()["schedule"]["final_schedule"]["rendered_schedule_entries"]
    time.sleep(0.8)
    after = get(fake, "/schedules/PUSED", **window).json()["schedule"]["final_schedule"]["rendered_schedule_entries"]

    assert [e["user"]["id"] for e in before] == ["PANA"]
    assert [e["user"]["id"] for e in after] == ["PANA", "PCY", "PANA"]
    assert fake.changes == [change] and when <= change.made_at < when + 0.3


def test_a_layer_edit_shows_in_the_schedule_and_an_override_wins_over_it(fake):
    fake.edit_layer("PUSED", DAY, DAY + 4 * H, "PBO")
    fake.override("PUSED", DAY + 3 * H, DAY + 5 * H, "PCY")

    body = oncalls(fake, since=DAY.isoformat(), until=(DAY + 7 * H).isoformat()).json()

    assert [(u, start) for _, u, start in who(body)] == [
        ("PBO", DAY.isoformat()),
        ("PCY", (DAY + 3 * H).isoformat()),
        ("PANA", (DAY + 5 * H).isoformat()),
    ]
    assert [(c.kind, c.user_id) for c in fake.changes] == [("layer_edit", "PBO"), ("override", "PCY")]


# --- overrides through the API, as cover requests write them ------------------------------------

WRITE_USERS = {**USERS, "PDAN": ("Dan Moe", "dan@acme.example")}


@pytest.fixture
def writable(settings):
    """A fake with one classic and one shift-based schedule, and Roster's client pointed at it."""
    with FakePagerDuty() as server:
        install(
            server,
            schedules={
                "PCLASSIC": FakeSchedule(users=["PANA", "PBO"], time_zone="America/New_York"),
                "PSHIFTS": FakeSchedule(users=["PANA", "PBO"], kind="v3"),
            },
            users=WRITE_USERS,
        )
        server.escalation_policies = {"PEP1": {"PCLASSIC"}}
        settings.PAGERDUTY_API_URL = server.url
        yield server


def turn(days_ahead: int, index: int = 0) -> tuple[dt.datetime, dt.datetime]:
    """An 8-hour turn `days_ahead` days from today (index 0: 00:00-08:00 UTC, PANA's on even days)."""
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today + dt.timedelta(days=days_ahead, hours=8 * index)
    return start, start + 8 * H


def on_call(fake, schedule_id, start, end, kind="v2") -> list[tuple[str | None, dt.datetime, dt.datetime]]:
    window = pd.PagerDutyClient.for_api_key(KEY).get_schedule_window(
        schedule_id, pd.iso_time(start), pd.iso_time(end), kind=kind
    )
    return [(e["user_id"], e["start"], e["end"]) for e in window["entries"]]


def cover(schedule_id="PCLASSIC", kind="v2", key=KEY, window=None, **extra):
    start, end = window or turn(3)
    return override_write(
        pd.PagerDutyClient.for_api_key(key),
        schedule_id=schedule_id,
        kind=kind,
        start=start,
        end=end,
        user_id="PDAN",
        time_zone="UTC",
        **extra,
    )


def test_a_classic_override_written_through_the_api_shows_in_the_schedule_and_oncalls(writable):
    start, end = turn(3)
    before = on_call(writable, "PCLASSIC", start, end)

    override_id = cover(window=(start, end))

    assert before[0][0] != "PDAN"
    assert on_call(writable, "PCLASSIC", start, end) == [("PDAN", start, end)]
    body = get(writable, "/oncalls", since=pd.iso_time(start), until=pd.iso_time(end - H)).json()
    assert {o["user"]["id"] for o in body["oncalls"]} == {"PDAN"}
    listed = get(writable, "/schedules/PCLASSIC/overrides", since=pd.iso_time(start), until=pd.iso_time(end)).json()
    assert [(o["id"], o["user"]["id"]) for o in listed["overrides"]] == [(override_id, "PDAN")]
    assert listed["overrides"][0]["start"].endswith("-05:00")  # answered in the schedule's zone


def test_writing_the_same_cover_twice_leaves_one_override(writable):
    first = cover()
    again = cover()

    assert again == first
    assert len(writable.overrides_of("PCLASSIC")) == 1


def test_a_shift_based_override_replaces_the_person_in_the_shift(writable):
    start, end = turn(3)
    (asker, *_), *_ = on_call(writable, "PSHIFTS", start, end, kind="v3")

    cover("PSHIFTS", "v3", window=(start, end), overridden_user_id=asker)

    assert on_call(writable, "PSHIFTS", start, end, kind="v3") == [("PDAN", start, end)]
    (made,) = writable.overrides_of("PSHIFTS")
    assert (made.rotation_id, made.overridden_user_id) == ("ABCDEFGHIJKLMNOPQRSTUVWXY2", asker)


@pytest.mark.parametrize(("kind", "schedule_id"), [("v2", "PCLASSIC"), ("v3", "PSHIFTS")])
def test_removing_follows_pagerdutys_rules_for_future_in_progress_and_past_overrides(writable, kind, schedule_id):
    now = dt.datetime.now(dt.UTC)
    future, ongoing, past = (now + 24 * H, now + 26 * H), (now - H, now + H), (now - 5 * H, now - 3 * H)
    # Whoever is on call in each window then (the turns alternate, so it depends on the hour the test runs).
    ids = [
        cover(schedule_id, kind, window=w, overridden_user_id=on_call(writable, schedule_id, *w, kind=kind)[0][0])
        for w in (future, ongoing, past)
    ]
    client = pd.PagerDutyClient.for_api_key(KEY)

    results = [override_remove(client, schedule_id=schedule_id, kind=kind, override_id=i) for i in ids]

    assert results == ["deleted", "cut", "past"]
    standing = {c.id: (c.start, c.end) for c in writable.overrides_of(schedule_id)}
    assert ids[0] not in standing
    assert standing[ids[1]][0] == ongoing[0] and now <= standing[ids[1]][1] < now + dt.timedelta(minutes=1)
    assert standing[ids[2]] == past
    assert all(e[0] != "PDAN" for e in on_call(writable, schedule_id, now + 24 * H, now + 26 * H, kind=kind))


def test_a_classic_create_reports_a_status_per_override(writable):
    start, end = turn(3)
    answer = requests.post(
        writable.url + "/schedules/PCLASSIC/overrides",
        json={
            "overrides": [
                {"start": start.isoformat(), "end": end.isoformat(), "user": {"id": "PDAN", "type": "user_reference"}},
                {"start": end.isoformat(), "end": end.isoformat(), "user": {"id": "PDAN", "type": "user_reference"}},
            ]
        },
        headers=AUTH,
        timeout=5,
    )

    assert answer.status_code == 201
    assert [(r["status"], r.get("errors")) for r in answer.json()] == [
        (201, None),
        (400, ["Override must end after its start"]),
    ]
    assert len(writable.overrides_of("PCLASSIC")) == 1


def test_a_read_only_key_reads_but_every_override_write_is_refused_with_403(writable):
    writable.valid_keys["u+readOnlyKey0002"] = None
    writable.read_only_keys.add("u+readOnlyKey0002")
    override_id = cover()

    with pytest.raises(WriteRefused) as refused:
        cover(key="u+readOnlyKey0002", window=turn(4))
    deleting = requests.delete(
        f"{writable.url}/schedules/PCLASSIC/overrides/{override_id}",
        headers={"Authorization": "Token token=u+readOnlyKey0002"},
        timeout=5,
    )

    assert refused.value.code == "read_only"
    assert deleting.status_code == 403
    assert len(writable.overrides_of("PCLASSIC")) == 1
