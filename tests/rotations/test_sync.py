"""Syncing rotations with PagerDuty schedules (PagerDuty mocked with `responses`, shapes from the
documented examples)."""

import datetime as dt
import re

import pytest
import responses

from integrations.pagerduty.models import PagerDutyConnection
from rotations import selectors, services, sync
from rotations.models import Handoff, Rotation, Shift, SyncRun
from tests.conftest import NOW
from tests.pd_mocks import api

from . import pd_schedules as pds

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
ANA, BO, CY, ZED = (
    ("PANA001", "Ana Ortiz", "ana@acme.example"),
    ("PBO0002", "Bo Chen", "Bo.Chen@Acme.example"),
    ("PCY0003", "Cy Diaz", "cy@acme.example"),
    ("PZED004", "Zed Quinn", "zed@elsewhere.example"),
)
PEOPLE = {p[0]: (p[1], p[2]) for p in (ANA, BO, CY, ZED)}


def bound(
    org,
    schedule_id="PI7DH85",
    kind="v2",
    name="Platform",
    members=(("Ana Ortiz", "ANA@acme.example"), ("Bo Chen", "bo.chen@acme.example"), ("Cy Diaz", "cy@acme.example")),
):
    rotation = services.rotation_create(
        organization=org, name=name, time_zone="America/New_York", members=list(members)
    )
    Rotation.objects.filter(pk=rotation.pk).update(pagerduty_schedule_id=schedule_id, pagerduty_schedule_kind=kind)
    rotation.refresh_from_db()
    return rotation


def run(org, schedule_id="PI7DH85", **kw):
    return sync.sync_schedule(organization_id=org.pk, schedule_id=schedule_id, **kw)


def synced_once(org, rsps, on_call=ANA):
    """The bound rotation after one good sync: `on_call` from an hour ago for six hours."""
    rotation = bound(org)
    pds.mock_v2(rsps, "PI7DH85", pds.v2_schedule("PI7DH85", [pds.entry(on_call[0], on_call[1], NOW - H, NOW + 5 * H)]))
    pds.mock_users(rsps, PEOPLE)
    run(org)
    return rotation


def stored(rotation):
    return [
        (s.start, s.end, s.is_gap, s.person_name, s.member.name if s.member else None)
        for s in Shift.objects.filter(rotation=rotation).select_related("member").order_by("start", "person_name")
    ]


def test_a_multi_layer_schedule_with_an_override_is_stored_as_pagerdutys_final_schedule(
    org, pd_connection, frozen, rsps
):
    rotation = bound(org)
    day = dt.datetime(2026, 3, 6, 14, tzinfo=dt.UTC)  # 09:00 New York
    layer1 = [pds.entry(ANA[0], ANA[1], day - 24 * H, day), pds.entry(BO[0], BO[1], day, day + 24 * H)]
    layer2 = [pds.entry(CY[0], CY[1], day + 2 * H, day + 6 * H)]
    override = [pds.entry(ANA[0], ANA[1], day + 6 * H, day + 10 * H)]
    final = [
        pds.entry(ANA[0], ANA[1], day - 24 * H, day),
        pds.entry(BO[0], BO[1], day, day + 2 * H),
        pds.entry(CY[0], CY[1], day + 2 * H, day + 6 * H),
        pds.entry(ANA[0], ANA[1], day + 6 * H, day + 10 * H),
        pds.entry(BO[0], BO[1], day + 10 * H, day + 24 * H),
    ]
    pds.mock_v2(rsps, "PI7DH85", pds.v2_schedule("PI7DH85", final, layers=[layer1, layer2], overrides=override))
    pds.mock_users(rsps, PEOPLE)

    result = run(org)

    assert result.ok
    people = [(s[0], s[3], s[4]) for s in stored(rotation) if not s[2]]
    assert people == [
        (day - 24 * H, "Ana Ortiz", "Ana Ortiz"),
        (day, "Bo Chen", "Bo Chen"),  # matched although the emails differ in case
        (day + 2 * H, "Cy Diaz", "Cy Diaz"),
        (day + 6 * H, "Ana Ortiz", "Ana Ortiz"),
        (day + 10 * H, "Bo Chen", "Bo Chen"),
    ]
    rotation.refresh_from_db()
    assert rotation.last_sync_ok is True and rotation.pagerduty_schedule_name == "Daily Engineering Rotation"


def test_it_asks_for_one_window_computed_from_a_single_now(org, pd_connection, frozen, rsps):
    bound(org)
    call = pds.mock_v2(rsps, "PI7DH85", pds.v2_schedule("PI7DH85", []))
    run(org)
    params = call.calls[0].request.params
    assert params["since"] == "2026-03-06T12:00:00Z"
    assert params["until"] == "2026-03-21T12:00:00Z"
    assert params["overflow"] == "true"


def test_uncovered_time_is_stored_as_a_gap_never_as_the_previous_person(org, pd_connection, frozen, rsps, admin_client):
    rotation = bound(org)
    pds.mock_v2(
        rsps,
        "PI7DH85",
        pds.v2_schedule(
            "PI7DH85",
            [pds.entry(ANA[0], ANA[1], NOW - 5 * H, NOW - H), pds.entry(BO[0], BO[1], NOW + 3 * H, NOW + 8 * H)],
        ),
    )
    pds.mock_users(rsps, PEOPLE)
    run(org)

    gaps = [(s[0], s[1]) for s in stored(rotation) if s[2]]
    assert gaps[0] == (NOW, NOW + 3 * H)
    current = admin_client.get(f"/api/rotations/{rotation.pk}/current").json()
    assert current["gap"] is True and current["onCall"] == []
    assert current["until"] == (NOW + 3 * H).isoformat()


def test_before_its_first_sync_a_bound_rotation_says_who_is_on_call_is_not_known_yet_not_a_gap(
    org, pd_connection, frozen, rsps, admin_client
):
    rotation = bound(org)

    for page in ("/rotations/", f"/rotations/{rotation.pk}/"):
        text = admin_client.get(page).content.decode()
        assert "Not known yet: no sync from PagerDuty has finished" in text
        assert "a gap in coverage" not in text

    pds.mock_v2(rsps, "PI7DH85", pds.v2_schedule("PI7DH85", [pds.entry(BO[0], BO[1], NOW + 3 * H, NOW + 8 * H)]))
    pds.mock_users(rsps, PEOPLE)
    run(org)
    text = admin_client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert "Nobody (a gap in coverage)" in text and "Not known yet" not in text


def test_a_shift_based_schedule_with_a_gap_and_overlapping_shifts(org, pd_connection, frozen, rsps, admin_client):
    rotation = bound(org, schedule_id="PS1A2B3C", kind="")
    assignments = [
        pds.assignment(NOW - 4 * H, NOW + 2 * H, ANA[0]),
        pds.assignment(NOW + 2 * H, NOW + 5 * H),  # empty_member: nobody
        pds.assignment(NOW + 5 * H, NOW + 12 * H, BO[0]),
        pds.assignment(NOW + 8 * H, NOW + 10 * H, CY[0], source="custom_shift"),  # overlaps Bo
    ]
    v3 = pds.mock_v3(rsps, "PS1A2B3C", pds.v3_schedule("PS1A2B3C", assignments))
    pds.mock_users(rsps, PEOPLE)

    assert run(org, "PS1A2B3C").ok
    assert v3.calls[0].request.params["include[]"] == "final_schedule"
    rotation.refresh_from_db()
    assert rotation.pagerduty_schedule_kind == "v3"
    assert (NOW + 2 * H, NOW + 5 * H, True, "", None) in stored(rotation)

    with frozen_at(NOW + 9 * H):
        now_json = admin_client.get(f"/api/rotations/{rotation.pk}/current").json()
    assert sorted(p["name"] for p in now_json["onCall"]) == ["Bo Chen", "Cy Diaz"]
    with frozen_at(NOW + 3 * H):
        gap_json = admin_client.get(f"/api/rotations/{rotation.pk}/current").json()
    assert gap_json["gap"] is True


def frozen_at(moment):
    import time_machine

    return time_machine.travel(moment, tick=False)


def test_handoffs_are_shown_at_the_same_local_time_across_a_dst_change(org, pd_connection, frozen, rsps, admin_client):
    rotation = bound(org)
    # Daily at 09:00 New York: 14:00Z before Sunday 8 March, 13:00Z after.
    starts = [dt.datetime(2026, 3, d, 14 if d < 8 else 13, tzinfo=dt.UTC) for d in range(5, 12)]
    who = [ANA, BO, CY]
    final = [
        pds.entry(who[i % 3][0], who[i % 3][1], s, e) for i, (s, e) in enumerate(zip(starts, starts[1:], strict=False))
    ]
    pds.mock_v2(rsps, "PI7DH85", pds.v2_schedule("PI7DH85", final))
    pds.mock_users(rsps, PEOPLE)
    run(org)

    page = admin_client.get(f"/rotations/{rotation.pk}/").content.decode()
    days = {d.split("</h3>")[0]: d.split("</h3>")[1] for d in page.split('<h3 class="day">')[1:]}
    assert "<time" in days["Saturday 7 March"] and "09:00 EST</time>–<time" in days["Saturday 7 March"]
    assert "Sun 8 Mar 09:00 EDT" in days["Saturday 7 March"]  # the turn ends at 09:00 local on Sunday
    assert "09:00 EDT</time>–<time" in days["Sunday 8 March"]
    assert "09:00 EDT</time>–<time" in days["Monday 9 March"]


def test_a_schedule_of_unknown_kind_falls_back_to_classic_and_remembers_it(org, pd_connection, frozen, rsps):
    rotation = bound(org, kind="")
    v3 = pds.mock_v3(rsps, "PI7DH85", pds.V2_ON_V3, status=400)
    v2 = pds.mock_v2(rsps, "PI7DH85", pds.v2_schedule("PI7DH85", [pds.entry(ANA[0], ANA[1], NOW - H, NOW + H)]))
    pds.mock_users(rsps, PEOPLE)
    run(org)
    run(org)
    rotation.refresh_from_db()
    assert rotation.pagerduty_schedule_kind == "v2"
    assert (len(v3.calls), len(v2.calls)) == (1, 2)


def test_rotations_bound_to_the_same_schedule_share_one_fetch_and_users_are_looked_up_once(
    org, pd_connection, frozen, rsps
):
    first, second = bound(org, name="Platform"), bound(org, name="Platform (copy)")
    bound(org, schedule_id="POTHER1", name="Other")
    entries = [pds.entry(ANA[0], ANA[1], NOW - H, NOW + H), pds.entry(BO[0], BO[1], NOW + H, NOW + 5 * H)]
    fetch = pds.mock_v2(rsps, "PI7DH85", pds.v2_schedule("PI7DH85", entries))
    other = pds.mock_v2(rsps, "POTHER1", pds.v2_schedule("POTHER1", [pds.entry(ANA[0], ANA[1], NOW - H, NOW + H)]))
    users = pds.mock_users(rsps, PEOPLE)

    for schedule_id in selectors.bound_schedule_ids(org.pk):
        sync.sync_schedule(organization_id=org.pk, schedule_id=schedule_id)

    assert len(fetch.calls) == 1 and len(other.calls) == 1
    assert len(users[ANA[0]].calls) == 1  # cached across schedules
    assert stored(first) == stored(second) != []


def test_a_sync_run_twice_changes_nothing(org, pd_connection, frozen, rsps):
    rotation = bound(org)
    pds.mock_v2(
        rsps,
        "PI7DH85",
        pds.v2_schedule(
            "PI7DH85", [pds.entry(ANA[0], ANA[1], NOW - H, NOW + H), pds.entry(BO[0], BO[1], NOW + H, NOW + 9 * H)]
        ),
    )
    pds.mock_users(rsps, PEOPLE)
    first = run(org)
    ids = list(Shift.objects.filter(rotation=rotation).values_list("id", flat=True))
    second = run(org)
    assert first.changed is True and second.changed is False
    assert list(Shift.objects.filter(rotation=rotation).values_list("id", flat=True)) == ids
    assert Handoff.objects.filter(rotation=rotation).count() == 1


def mock_ana_then_bo(rsps):
    """Ana on call since two hours ago, Bo from in an hour."""
    final = [pds.entry(ANA[0], ANA[1], NOW - 2 * H, NOW + H), pds.entry(BO[0], BO[1], NOW + H, NOW + 9 * H)]
    pds.mock_v2(rsps, "PI7DH85", pds.v2_schedule("PI7DH85", final))
    pds.mock_users(rsps, PEOPLE)


def test_a_later_sync_during_a_gap_keeps_the_gap_where_it_began(org, pd_connection, frozen, rsps):
    rotation = bound(org)
    final = [pds.entry(ANA[0], ANA[1], NOW - 5 * H, NOW - H), pds.entry(BO[0], BO[1], NOW + 3 * H, NOW + 8 * H)]
    pds.mock_v2(rsps, "PI7DH85", pds.v2_schedule("PI7DH85", final))
    pds.mock_users(rsps, PEOPLE)
    run(org)
    frozen.move_to(NOW + H)
    rsps.replace(responses.GET, api("/schedules/PI7DH85"), json=pds.v2_schedule("PI7DH85", final[1:]))
    assert run(org).ok
    assert [(s[0], s[1]) for s in stored(rotation) if s[2]][0] == (NOW, NOW + 3 * H)  # not from NOW + H


def test_two_overlapping_syncs_record_a_handoff_once(org, pd_connection, frozen, rsps, monkeypatch):
    rotation = bound(org)
    mock_ana_then_bo(rsps)
    # Both syncs read "no handoff yet" before either writes, as two overlapping workers would.
    monkeypatch.setattr(sync, "last_handoff", lambda rotation: None)
    run(org)
    run(org)
    handoffs = list(Handoff.objects.filter(rotation=rotation))
    assert [(h.at, h.to_label) for h in handoffs] == [(NOW - 2 * H, "Ana Ortiz <ana@acme.example>")]


def test_a_handoff_is_recorded_when_the_person_on_call_changes(org, pd_connection, frozen, rsps):
    rotation = bound(org)
    mock_ana_then_bo(rsps)
    run(org)
    frozen.move_to(NOW + 2 * H)
    run(org)
    assert [(h.at, h.from_label, h.to_label) for h in Handoff.objects.filter(rotation=rotation)] == [
        (NOW + H, "Ana Ortiz <ana@acme.example>", "Bo Chen <bo.chen@acme.example>"),
        (NOW - 2 * H, "", "Ana Ortiz <ana@acme.example>"),
    ]


def test_a_429_is_recorded_pauses_the_key_until_pagerdutys_reset_and_the_next_sync_succeeds(
    org, pd_connection, frozen, rsps
):
    rotation = bound(org)
    other = bound(org, schedule_id="POTHER1", name="Other")
    limited = pds.mock_v2(
        rsps,
        "PI7DH85",
        {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
        status=429,
        headers={"ratelimit-reset": "30"},
    )
    pds.mock_v2(rsps, "POTHER1", pds.v2_schedule("POTHER1", [pds.entry(CY[0], CY[1], NOW - H, NOW + H)]))
    pds.mock_users(rsps, PEOPLE)

    from rotations.tasks import start_sync

    start_sync()  # eager: the throttled schedule is left for later; PagerDuty's 429 is for the whole key
    rotation.refresh_from_db()
    other.refresh_from_db()
    assert other.last_sync_ok is None  # background work on this key waits for PagerDuty's ratelimit-reset
    assert rotation.last_sync_ok is False
    # Shown on the page later: no "Try again in 30 seconds" that goes stale there.
    assert rotation.last_sync_error == "PagerDuty is rate-limiting requests (429). The sync will resume by itself."
    assert rotation.sync_state == "queued"  # it resumes later
    assert len(limited.calls) == 1

    frozen.shift(31)  # PagerDuty's reset has passed: the organization's queue goes on
    from rotations.tasks import drain_schedules

    drain_schedules(org.pk)
    other.refresh_from_db()
    assert other.last_sync_ok is True

    rsps.replace(
        responses.GET,
        api("/schedules/PI7DH85"),
        json=pds.v2_schedule("PI7DH85", [pds.entry(ANA[0], ANA[1], NOW - H, NOW + H)]),
    )
    assert run(org).ok
    rotation.refresh_from_db()
    assert (rotation.last_sync_ok, rotation.last_sync_error, rotation.sync_state) == (True, "", "idle")


def test_a_429_without_a_wait_is_retried_by_the_client_and_succeeds(org, pd_connection, frozen, rsps):
    bound(org)
    url = api("/schedules/PI7DH85")
    rsps.add(responses.GET, url, json={"error": {"message": "Rate Limit Exceeded", "code": 2020}}, status=429)
    rsps.add(responses.GET, url, json=pds.v2_schedule("PI7DH85", [pds.entry(ANA[0], ANA[1], NOW - H, NOW + H)]))
    pds.mock_users(rsps, PEOPLE)
    assert run(org).ok


def test_the_task_retries_a_throttled_sync_after_the_wait_pagerduty_asked_for(
    org, pd_connection, frozen, rsps, monkeypatch
):
    from celery.exceptions import Retry

    from rotations import tasks

    bound(org)
    pds.mock_v2(
        rsps, "PI7DH85", {"error": {"message": "Rate Limit Exceeded"}}, status=429, headers={"ratelimit-reset": "42"}
    )
    seen = {}

    def fake_retry(*, exc, countdown):
        seen["countdown"] = countdown
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(tasks.sync_schedule, "retry", fake_retry)
    with pytest.raises(Retry):
        tasks.sync_schedule.run(org.pk, "PI7DH85")
    assert seen["countdown"] == 43


def test_a_revoked_key_keeps_the_last_shifts_and_shows_the_error_on_the_rotation_and_the_card(
    org, pd_connection, frozen, rsps, admin_client
):
    rotation = synced_once(org, rsps)
    before = stored(rotation)
    rsps.replace(
        responses.GET, api("/schedules/PI7DH85"), json={"error": {"message": "Unauthorized", "code": 2006}}, status=401
    )

    result = run(org)

    assert result.ok is False and result.error_code == "pagerduty_unauthorized"
    assert stored(rotation) == before
    rotation.refresh_from_db()
    assert "Unauthorized" in rotation.last_sync_error
    assert PagerDutyConnection.objects.get(organization=org).status == "invalid"
    card = admin_client.get("/settings/integrations/").content.decode()
    assert "Platform</a>: sync failed" in card
    page = admin_client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert "Ana Ortiz" in page and "Unauthorized: Invalid or expired API token" in page


def test_a_deleted_schedule_is_shown_as_deleted_not_as_an_empty_rotation(
    org, pd_connection, frozen, rsps, admin_client
):
    rotation = synced_once(org, rsps)
    rsps.replace(responses.GET, api("/schedules/PI7DH85"), json=pds.NOT_FOUND, status=404)
    pds.mock_v3(rsps, "PI7DH85", pds.NOT_FOUND, status=404)

    assert run(org).ok is False
    rotation.refresh_from_db()
    assert rotation.pagerduty_schedule_missing is True
    page = admin_client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert 'data-testid="schedule-deleted"' in page
    assert "The PagerDuty schedule this rotation follows was deleted. Last known: " in page and "Ana Ortiz" in page
    sentence = re.sub(r"<[^>]+>", "", page.split('data-testid="now-on-call">')[1].split("</p>")[0])
    assert sentence.endswith("Last known: Ana Ortiz.")  # the full stop right after the name, no space before it
    api_json = admin_client.get(f"/api/rotations/{rotation.pk}/current").json()
    assert api_json["scheduleDeleted"] is True and api_json["onCall"][0]["name"] == "Ana Ortiz"


def test_an_oauth_connection_needing_reauthorization_keeps_the_last_known_schedule(org, frozen, rsps):
    pds.connect(org, status=PagerDutyConnection.Status.NEEDS_REAUTH)
    rotation = bound(org)
    Shift.objects.create(
        rotation=rotation, start=NOW - H, end=NOW + H, person_name="Ana Ortiz", pagerduty_user_id=ANA[0]
    )

    result = run(org)  # no HTTP at all: `rsps` would fail on any request

    assert result.ok is False
    rotation.refresh_from_db()
    assert "needs re-authorization" in rotation.last_sync_error
    assert Shift.objects.filter(rotation=rotation).count() == 1


def test_an_unmatched_pagerduty_user_is_shown_and_can_be_added_in_one_click(
    org, pd_connection, frozen, rsps, admin_client
):
    rotation = synced_once(org, rsps, on_call=ZED)

    page = admin_client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert 'data-testid="unmatched"' in page
    assert "Zed Quinn &lt;zed@elsewhere.example&gt;" in page
    assert "Zed Quinn <small>(not a member: zed@elsewhere.example)</small>" in page  # never "nobody"

    admin_client.post(f"/rotations/{rotation.pk}/members/", {"name": "Zed Quinn", "email": "zed@elsewhere.example"})

    page = admin_client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert 'data-testid="unmatched"' not in page
    assert Shift.objects.get(rotation=rotation, is_gap=False).member.email == "zed@elsewhere.example"
    assert run(org).changed is False  # the new member matches on the next sync too


def test_each_sync_is_kept_in_the_sync_history(org, pd_connection, frozen, rsps):
    bound(org)
    pds.mock_v2(rsps, "PI7DH85", pds.NOT_FOUND, status=404)
    pds.mock_v3(rsps, "PI7DH85", pds.NOT_FOUND, status=404)
    run(org)
    assert list(SyncRun.objects.values_list("schedule_id", "ok", "error_code")) == [
        ("PI7DH85", False, "pagerduty_not_found")
    ]


def test_pagerduty_being_down_keeps_the_last_shifts_and_the_task_retries_with_backoff(
    org, pd_connection, frozen, rsps, monkeypatch
):
    from celery.exceptions import Retry

    from rotations import tasks

    rotation = bound(org)
    Shift.objects.create(
        rotation=rotation, start=NOW - H, end=NOW + H, person_name="Ana Ortiz", pagerduty_user_id=ANA[0]
    )
    pds.mock_v2(rsps, "PI7DH85", {"error": {"message": "oops"}}, status=503)
    delays = []
    monkeypatch.setattr(
        tasks.sync_schedule, "retry", lambda *, exc, countdown: delays.append(countdown) or Retry(exc=exc)
    )
    with pytest.raises(Retry):
        tasks.sync_schedule.run(org.pk, "PI7DH85")
    assert delays == [30]
    assert tasks.retry_delay(3, pd_unavailable()) == 240 and tasks.retry_delay(10, pd_unavailable()) == 900
    rotation.refresh_from_db()
    assert "PagerDuty is having trouble (HTTP 503)" in rotation.last_sync_error
    assert Shift.objects.filter(rotation=rotation).count() == 1


def pd_unavailable():
    from integrations.pagerduty.client import Unavailable

    return Unavailable("down")


def test_native_rotations_record_their_handoffs_from_the_beat(native, frozen):
    assert sync.record_handoffs() == 1
    assert sync.record_handoffs() == 0  # nothing changed
    frozen.move_to(dt.datetime(2026, 3, 6, 15, tzinfo=dt.UTC))  # after the 09:00 New York handoff
    assert sync.record_handoffs() == 1
    latest = Handoff.objects.filter(rotation=native).first()
    assert (latest.at, latest.from_label, latest.to_label) == (
        dt.datetime(2026, 3, 6, 14, tzinfo=dt.UTC),
        "Bo Chen <bo@acme.example>",
        "Cy Diaz <cy@acme.example>",
    )


def test_an_oauth_token_pagerduty_no_longer_refreshes_keeps_the_last_known_schedule(org, frozen, rsps, admin_client):
    from tests.pd_oauth import make_oauth_connection, mock_token

    connection = make_oauth_connection(org)
    rotation = bound(org)
    Shift.objects.create(
        rotation=rotation, start=NOW - H, end=NOW + H, person_name="Ana Ortiz", pagerduty_user_id=ANA[0]
    )
    pds.mock_v2(rsps, "PI7DH85", {"error": {"message": "Unauthorized", "code": 2006}}, status=401)
    mock_token(rsps, status=400, json={"error": "invalid_grant", "error_description": "refresh token revoked"})

    result = run(org)

    connection.refresh_from_db()
    assert connection.status == "needs_reauth"
    assert result.ok is False
    rotation.refresh_from_db()
    assert "needs re-authorization" in rotation.last_sync_error
    assert Shift.objects.filter(rotation=rotation).count() == 1
    assert "Ana Ortiz" in admin_client.get(f"/rotations/{rotation.pk}/").content.decode()


def without_final_schedule(body: dict) -> dict:
    del body["schedule"]["final_schedule"]
    return body


def with_unreadable_time(body: dict) -> dict:
    body["schedule"]["final_schedule"]["rendered_schedule_entries"][0]["end"] = "tomorrow morning"
    return body


def with_nameless_entry(body: dict) -> dict:
    del body["schedule"]["final_schedule"]["rendered_schedule_entries"][0]["user"]
    return body


@pytest.mark.parametrize(
    ("spoil", "said"),
    [
        (without_final_schedule, "PagerDuty sent schedule PI7DH85 without its final schedule (final_schedule)"),
        (with_unreadable_time, "with a time Roster cannot read (end 'tomorrow morning')"),
        (with_nameless_entry, "with an on-call entry that names no person (user.id)"),
    ],
)
def test_a_classic_schedule_roster_cannot_read_is_a_sync_error_on_the_rotation_and_the_card_not_nobody_on_call(
    org, pd_connection, frozen, rsps, admin_client, spoil, said
):
    from integrations.pagerduty.client import UnreadableResponse

    rotation = synced_once(org, rsps)
    before = stored(rotation)
    spoilt = spoil(pds.v2_schedule("PI7DH85", [pds.entry(BO[0], BO[1], NOW - H, NOW + 5 * H)]))
    rsps.replace(responses.GET, api("/schedules/PI7DH85"), json=spoilt)

    with pytest.raises(UnreadableResponse):  # retried by the task like an outage
        run(org)

    assert stored(rotation) == before
    rotation.refresh_from_db()
    assert rotation.last_sync_ok is False
    assert said in rotation.last_sync_error
    assert rotation.last_sync_error.endswith("Showing the last known schedule; the sync will try again.")
    assert SyncRun.objects.get(ok=False).error_code == "pagerduty_unreadable_response"
    card = admin_client.get("/settings/integrations/").content.decode()
    assert "Platform</a>: sync retrying — PagerDuty sent schedule PI7DH85" in card
    assert 'data-testid="pd-status">Active<' in card  # one schedule's answer, not the connection's health
    page = admin_client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert said.replace("'", "&#x27;") in page
    current = admin_client.get(f"/api/rotations/{rotation.pk}/current").json()
    assert current["gap"] is False and [p["name"] for p in current["onCall"]] == ["Ana Ortiz"]


def test_a_shift_based_schedule_answered_without_its_final_schedule_is_a_sync_error_not_nobody_on_call(
    org, pd_connection, frozen, rsps, admin_client
):
    from integrations.pagerduty.client import UnreadableResponse

    rotation = bound(org, schedule_id="PS1A2B3C", kind="v3")
    Shift.objects.create(
        rotation=rotation, start=NOW - H, end=NOW + H, person_name="Ana Ortiz", pagerduty_user_id=ANA[0]
    )
    body = pds.v3_schedule("PS1A2B3C", [])
    del body["schedule"]["final_schedule"]  # e.g. `include[]=final_schedule` ignored
    pds.mock_v3(rsps, "PS1A2B3C", body)

    with pytest.raises(UnreadableResponse):
        run(org, "PS1A2B3C")

    rotation.refresh_from_db()
    assert rotation.last_sync_ok is False
    assert "PagerDuty sent schedule PS1A2B3C without its final schedule (final_schedule)" in rotation.last_sync_error
    assert not Shift.objects.filter(rotation=rotation, is_gap=True).exists()
    current = admin_client.get(f"/api/rotations/{rotation.pk}/current").json()
    assert [p["name"] for p in current["onCall"]] == ["Ana Ortiz"]
