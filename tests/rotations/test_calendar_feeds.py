import datetime as dt

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.actor import Actor
from accounts.models import AuditEvent
from rotations import services
from rotations.calendar import feeds
from tests.factories import RotationFactory

UTC = dt.UTC


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def events(cal) -> list:
    return [c for c in cal.walk("VEVENT")]


def path_of(raw: str) -> str:
    return f"/cal/{raw}.ics"


def _override(rotation, email: str, start: dt.datetime, *, hours: int):
    member = rotation.members.get(email=email)
    services.override_create(rotation=rotation, member_id=member.pk, start=start, end=start + dt.timedelta(hours=hours))


@pytest.fixture
def rotation_feed(native, admin_user):
    return feeds.calendar_feed_create(organization=native.organization, rotation=native, actor=Actor.person(admin_user))


def test_the_rotation_feed_lists_everyone_s_shifts_in_utc_with_dst_right(client, native, rotation_feed):
    _, raw = rotation_feed
    cal = parse(client.get(path_of(raw)))
    text = client.get(path_of(raw)).content.decode()
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in text
    assert "X-PUBLISHED-TTL:PT1H\r\n" in text
    by_start = {e.decoded("DTSTART"): e for e in events(cal)}
    # Ana's turn on Saturday 7 March starts 09:00 EST (14:00Z); Bo's on Sunday 8 March, after the
    # clocks sprang forward, at 09:00 EDT (13:00Z).
    ana = by_start[dt.datetime(2026, 3, 7, 14, 0, tzinfo=UTC)]
    assert str(ana["SUMMARY"]) == "Ana Ortiz on call"
    assert ana.decoded("DTEND") == dt.datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    assert ana["DTSTART"].to_ical().decode().endswith("Z")
    assert str(ana["TRANSP"]) == "TRANSPARENT"
    assert str(ana["URL"]) == f"https://roster.example.com/rotations/{native.pk}/"
    assert "DTSTAMP" in ana and "SEQUENCE" in ana and "VALARM" not in ana.to_ical().decode()
    bo = by_start[dt.datetime(2026, 3, 8, 13, 0, tzinfo=UTC)]
    assert str(bo["SUMMARY"]) == "Bo Chen on call"
    starts = sorted(by_start)
    assert starts[0] == dt.datetime(2026, 2, 4, 12, tzinfo=UTC)  # 30 days back (a gap: before the first turn)
    assert starts[-1] < dt.datetime(2026, 9, 2, 12, tzinfo=UTC)
    assert starts[-1] > dt.datetime(2026, 9, 1, 0, tzinfo=UTC)


def test_the_rotation_feed_shows_gaps_as_nobody_on_call(client, native, rotation_feed):
    _, raw = rotation_feed
    cal = parse(client.get(path_of(raw)))
    first = min(events(cal), key=lambda e: e.decoded("DTSTART"))
    # The rotation started on 1 March: the 30 days before are a gap.
    assert str(first["SUMMARY"]) == "Nobody on call"
    assert first.decoded("DTEND") == dt.datetime(2026, 3, 1, 14, 0, tzinfo=UTC)


def test_uids_survive_a_resync_and_a_moved_shift_gets_a_higher_sequence(client, native, rotation_feed, frozen):
    _, raw = rotation_feed
    before = {e.decoded("DTSTART"): e for e in events(parse(client.get(path_of(raw))))}
    again = {e.decoded("DTSTART"): e for e in events(parse(client.get(path_of(raw))))}
    assert {str(e["UID"]) for e in before.values()} == {str(e["UID"]) for e in again.values()}
    frozen.shift(dt.timedelta(hours=1))
    ana_start = dt.datetime(2026, 3, 7, 14, 0, tzinfo=UTC)
    _override(native, "ana@acme.example", dt.datetime(2026, 3, 8, 13, 0, tzinfo=UTC), hours=7)
    after = {e.decoded("DTSTART"): e for e in events(parse(client.get(path_of(raw))))}
    moved = after[ana_start]
    assert moved.decoded("DTEND") == dt.datetime(2026, 3, 8, 20, 0, tzinfo=UTC)
    assert str(moved["UID"]) == str(before[ana_start]["UID"])
    assert moved.decoded("SEQUENCE") > before[ana_start].decoded("SEQUENCE")

    frozen.shift(dt.timedelta(minutes=5))
    services.override_delete(rotation=native, override_id=native.overrides.get().pk)
    back = {e.decoded("DTSTART"): e for e in events(parse(client.get(path_of(raw))))}[ana_start]
    assert back.decoded("DTEND") == dt.datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    assert str(back["UID"]) == str(moved["UID"])
    assert back.decoded("SEQUENCE") > moved.decoded("SEQUENCE")  # moved back: never a lower SEQUENCE


def test_the_person_feed_lists_my_shifts_in_every_rotation_of_the_organization(client, org, native, admin_user):
    RotationFactory(organization=org, name="Database", members=[("Admin", "ADMIN@acme.example")])
    RotationFactory(organization=org, name="Nobody I know", members=[("Zed", "zed@acme.example")])
    services.member_add(rotation=native, name="Admin", email="admin@acme.example")
    _, raw = feeds.calendar_feed_create(organization=org, user=admin_user, actor=Actor.person(admin_user))
    summaries = {str(e["SUMMARY"]) for e in events(parse(client.get(path_of(raw))))}
    assert summaries == {"On call: Platform", "On call: Database"}


def test_an_alarm_chosen_on_the_feed_reminds_before_each_shift(client, native, admin_user):
    _, raw = feeds.calendar_feed_create(
        organization=native.organization, rotation=native, alarm_minutes=30, actor=Actor.person(admin_user)
    )
    shift = [e for e in events(parse(client.get(path_of(raw)))) if str(e["SUMMARY"]) != "Nobody on call"][0]
    alarm = shift.walk("VALARM")[0]
    assert alarm.decoded("TRIGGER") == -dt.timedelta(minutes=30)


def test_a_client_holding_the_etag_gets_304_until_a_shift_changes(client, native, rotation_feed, frozen):
    _, raw = rotation_feed
    first = client.get(path_of(raw))
    frozen.shift(dt.timedelta(minutes=20))  # the same hour: the same feed
    again = client.get(path_of(raw), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    stale = client.get(path_of(raw), headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200
    _override(native, "bo@acme.example", dt.datetime(2026, 3, 10, 0, 0, tzinfo=UTC), hours=6)
    changed = client.get(path_of(raw), headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_unknown_and_revoked_feeds_are_a_404_revealing_nothing(client, native, rotation_feed, admin_user):
    feed, raw = rotation_feed
    unknown = client.get(path_of("cal_nope"))
    assert unknown.status_code == 404
    assert feeds.calendar_feed_revoke(organization=native.organization, rotation=native, actor=Actor.person(admin_user))
    revoked = client.get(path_of(raw))
    assert revoked.status_code == 404
    assert revoked.content == unknown.content
    assert b"Platform" not in revoked.content


def test_regenerating_replaces_the_url_and_every_change_is_audited(client, native, rotation_feed, admin_user):
    old, old_raw = rotation_feed
    new, new_raw = feeds.calendar_feed_create(
        organization=native.organization, rotation=native, actor=Actor.person(admin_user)
    )
    assert client.get(path_of(old_raw)).status_code == 404
    assert client.get(path_of(new_raw)).status_code == 200
    feeds.calendar_feed_revoke(organization=native.organization, rotation=native, actor=Actor.person(admin_user))
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor_label", "summary"))
    assert [a[0] for a in actions[-3:]] == [
        "calendar_feed.created",
        "calendar_feed.regenerated",
        "calendar_feed.revoked",
    ]
    assert all(a[1] == "admin@acme.example" for a in actions[-3:])
    assert f"…{new.last4}" in actions[-1][2]
    assert new_raw not in str(actions) and old_raw not in str(actions)
    assert old.token_hash != old_raw and len(old.token_hash) == 64


def _person_feed_query_count(client, org, admin_user, rotations: int) -> int:
    for n in range(rotations):
        RotationFactory(
            organization=org,
            name=f"R{n}",
            cadence_unit="days",
            members=[("Admin", "admin@acme.example"), (f"P{n}", f"p{n}@acme.example")],
        )
    _, raw = feeds.calendar_feed_create(organization=org, user=admin_user, actor=None)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path_of(raw))
    assert len(events(parse(response))) >= 90 * rotations  # every other day for 210 days
    return len(queries)


@pytest.mark.django_db
def test_a_person_feed_over_ten_rotations_costs_as_many_queries_as_over_one(client, frozen):
    from accounts.models import Membership, User
    from accounts.services import organization_create

    one = organization_create(name="One", admin_email="admin@acme.example", password="x-Very-long-pass-1")
    one_admin = User.objects.get(email="admin@acme.example")
    few = _person_feed_query_count(client, one, one_admin, 1)
    ten = organization_create(name="Ten", admin_email="admin2@acme.example", password="x-Very-long-pass-1")
    Membership.objects.create(organization=ten, user=one_admin, role=Membership.Role.MEMBER)  # a feed's owner is one
    many = _person_feed_query_count(client, ten, one_admin, 10)  # matched by email in Ten
    assert many == few


def test_head_answers_like_get_without_a_body(client, rotation_feed):
    _, raw = rotation_feed
    got = client.get(path_of(raw))
    head = client.head(path_of(raw))
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Type"] == got["Content-Type"] and head["ETag"] == got["ETag"]
    assert client.head(path_of(raw), headers={"If-None-Match": got["ETag"]}).status_code == 304
    assert client.head(path_of("cal_nope")).status_code == 404


def _by_uid(client, raw) -> dict:
    return {str(e["UID"]): e for e in events(parse(client.get(path_of(raw))))}


def test_a_turn_trimmed_by_an_override_keeps_its_uid_with_new_times_and_a_higher_sequence(
    client, native, rotation_feed, frozen
):
    _, raw = rotation_feed
    bo_start = dt.datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # Bo's turn, Sunday 09:00 EDT to Monday 09:00
    before = _by_uid(client, raw)
    (uid,) = [u for u, e in before.items() if e.decoded("DTSTART") == bo_start]
    frozen.shift(dt.timedelta(minutes=10))
    _override(native, "cy@acme.example", bo_start, hours=3)  # Cy covers Bo's first three hours
    after = _by_uid(client, raw)
    trimmed = after[uid]
    assert str(trimmed["SUMMARY"]) == "Bo Chen on call"
    assert trimmed.decoded("DTSTART") == bo_start + dt.timedelta(hours=3)
    assert trimmed.decoded("DTEND") == before[uid].decoded("DTEND")
    assert trimmed.decoded("SEQUENCE") > before[uid].decoded("SEQUENCE")
    assert len(after) == len(before) + 1  # the override is one new event; nothing else appeared or vanished
    assert set(before) <= set(after)
    assert _by_uid(client, raw)[uid].decoded("SEQUENCE") == trimmed.decoded("SEQUENCE")  # stable when unchanged


def test_a_skipped_turn_keeps_its_uid_and_names_who_took_it(client, native, rotation_feed, frozen):
    _, raw = rotation_feed
    bo_start = dt.datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    before = _by_uid(client, raw)
    (uid,) = [u for u, e in before.items() if e.decoded("DTSTART") == bo_start]
    frozen.shift(dt.timedelta(minutes=10))
    services.skip_create(rotation=native, turn_start=bo_start)
    after = _by_uid(client, raw)
    assert set(after) == set(before)
    assert str(after[uid]["SUMMARY"]) == "Cy Diaz on call" and after[uid].decoded("DTSTART") == bo_start
    assert after[uid].decoded("SEQUENCE") > before[uid].decoded("SEQUENCE")
