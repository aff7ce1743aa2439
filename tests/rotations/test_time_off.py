"""Time off (issue 25): recording it (service, page, API) and native rotations passing over the person's turns."""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from rotations import cadence, selectors
from rotations.models import Rotation, TimeOff
from rotations.time_off.services import TimeOffError, time_off_create, time_off_delete
from tests.conftest import NOW, bearer, new_member
from tests.factories import daily_rotation

NY = ZoneInfo("America/New_York")
H = dt.timedelta(hours=1)


def ny(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=NY)


@pytest.fixture
def ana(org) -> User:
    """Ana Ortiz signs in with her address written with capitals; the rotation stores it lower-case."""
    return new_member(org, "Ana@Acme.example")


@pytest.fixture
def ana_client(client, ana):
    client.force_login(ana)
    return client


def on_call(rotation: Rotation, *, since: dt.datetime, days: int) -> list[tuple[dt.datetime, str]]:
    """Who is on call in each turn overlapping `days` days from `since` (a turn starts at 09:00)."""
    until = since + days * 24 * H - 2 * H
    found = selectors.rotation_for(rotation.organization, rotation.pk, now=since, until=until)
    slots = selectors.timeline(found, since=since, until=until)
    return [(s.start.astimezone(NY), s.who.name if s.who else "") for s in slots]


# --- native rotations pass over the person's turns -------------------------------------------------


def test_the_next_member_takes_the_turn_during_time_off_and_the_order_continues(native, ana):
    # Daily at 09:00 New York from 1 March: Ana, Bo, Cy, ... 7 March is Ana's; 8 March Bo's; 9 March Cy's.
    assert [who for _, who in on_call(native, since=ny(7, 10), days=3)] == ["Ana Ortiz", "Bo Chen", "Cy Diaz"]

    time_off_create(organization=native.organization, user=ana, start=ny(7, 0), end=ny(7, 23), note="Dentist")

    assert on_call(native, since=ny(7, 10), days=3) == [
        (ny(7, 9), "Bo Chen"),
        (ny(8, 9), "Cy Diaz"),
        (ny(9, 9), "Ana Ortiz"),
    ]
    # Before the time off nothing changed.
    assert [who for _, who in on_call(native, since=ny(6, 10), days=1)] == ["Cy Diaz"]


def test_two_people_away_the_same_turn_pass_it_to_the_third(native, ana, org):
    bo = new_member(org, "bo@acme.example")
    time_off_create(organization=org, user=ana, start=ny(7, 8), end=ny(7, 12))
    time_off_create(organization=org, user=bo, start=ny(7, 8), end=ny(8, 12))

    assert [who for _, who in on_call(native, since=ny(7, 10), days=3)] == ["Cy Diaz", "Ana Ortiz", "Bo Chen"]


def test_the_rotation_page_says_who_takes_the_turn_and_why(native, ana, admin_client):
    time_off_create(organization=native.organization, user=ana, start=ny(7, 0), end=ny(7, 23))

    page = admin_client.get(f"/rotations/{native.pk}/").content.decode()

    assert 'data-testid="away"><s>Ana Ortiz</s> — time off' in page
    assert "Bo Chen takes the turn" in page


def test_time_off_in_another_organization_or_of_a_non_member_changes_nothing(native, other_org):
    stranger = new_member(other_org, "ana@acme.example.org")
    time_off_create(organization=other_org, user=stranger, start=ny(7, 0), end=ny(7, 23))

    assert [who for _, who in on_call(native, since=ny(7, 10), days=1)] == ["Ana Ortiz"]


def test_the_timeline_reads_time_off_in_a_fixed_number_of_queries(org, native, ana):
    def queries(rotations: int) -> int:
        for n in range(rotations - Rotation.objects.count()):
            daily_rotation(org, [("Ana Ortiz", "ana@acme.example"), ("Bo Chen", "bo@acme.example")], name=f"R{n}")
        with CaptureQueriesContext(connection) as ctx:
            for rotation in selectors.rotations_for(org, now=NOW):
                selectors.timeline(rotation, since=NOW, until=NOW + 14 * 24 * H)
                selectors.native_turns(rotation, now=NOW)
        return len(ctx.captured_queries)

    time_off_create(organization=org, user=ana, start=ny(7, 0), end=ny(7, 23))
    few = queries(2)
    time_off_create(organization=org, user=ana, start=ny(12, 0), end=ny(14, 23))
    assert queries(6) == few


DAILY = cadence.Cadence(start_date=dt.date(2026, 3, 1), handoff_time=dt.time(9), period_days=1, tz=ZoneInfo("UTC"))


def utc(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=dt.UTC)


def whose(**kwargs) -> list[str]:
    slots = cadence.turns(DAILY, ["A", "B", "C"], since=utc(1), until=utc(7), **kwargs)
    return [s.who for s in slots]


def test_time_off_after_a_skip_passes_over_the_person_the_skip_left_the_turn_to():
    assert whose() == ["A", "B", "C", "A", "B", "C"]
    assert whose(skipped=[utc(2)]) == ["A", "C", "A", "B", "C", "A"]
    # B's turn moved to 4 March by the skip; B is away then: C takes it, and the order goes on from C.
    assert whose(skipped=[utc(2)], away={"B": [(utc(4, 12), utc(4, 13))]}) == ["A", "C", "A", "C", "A", "B"]


def test_when_everyone_is_away_the_turn_stays_with_its_person():
    everyone = {p: [(utc(3, 10), utc(3, 11))] for p in "ABC"}
    assert whose(away=everyone) == ["A", "B", "C", "A", "B", "C"]


def test_the_rotation_page_names_the_skipped_person_after_time_off_moved_the_order():
    order = cadence.Order(DAILY, ["A", "B", "C"], skipped=[utc(4)], away={"B": [(utc(2, 10), utc(2, 11))]})
    assert [order.who(k) for k in range(5)] == ["A", "C", "A", "C", "A"]
    assert order.away(1) == ["B"] and order.skipped(3) == "B" and order.skipped(2) is None


# --- the service's rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "note", "field", "words"),
    [
        (NOW + 2 * H, NOW + H, "", "end", "must end after it starts"),
        (NOW - 2 * H, NOW + H, "", "start", "cannot start in the past"),
        (NOW - 3 * H, NOW - H, "", "end", "over already"),
        (NOW + H, NOW + 400 * 24 * H, "", "end", "at most a year"),
        (NOW + 800 * 24 * H, NOW + 801 * 24 * H, "", "start", "at most two years ahead"),
        (NOW + H, NOW + 2 * H, "Away.\n\nBack soon.", "note", "one paragraph"),
        (NOW + H, NOW + 2 * H, "x" * 501, "note", "at most 500 characters"),
    ],
)
def test_a_refused_time_off_names_the_field(frozen, org, ana, start, end, note, field, words):
    with pytest.raises(TimeOffError) as refused:
        time_off_create(organization=org, user=ana, start=start, end=end, note=note)
    assert refused.value.field == field and words in refused.value.message
    assert not TimeOff.objects.exists()


def test_overlapping_time_off_is_refused_and_an_outsider_records_none(frozen, org, ana, outsider):
    time_off_create(organization=org, user=ana, start=NOW + H, end=NOW + 5 * H)
    with pytest.raises(TimeOffError) as overlapping:
        time_off_create(organization=org, user=ana, start=NOW + 4 * H, end=NOW + 9 * H)
    assert overlapping.value.code == "overlapping" and overlapping.value.field == "start"
    with pytest.raises(TimeOffError) as outside:
        time_off_create(organization=org, user=outsider, start=NOW + H, end=NOW + 5 * H)
    assert outside.value.code == "not_a_member"
    assert TimeOff.objects.count() == 1


def test_ended_time_off_cannot_be_deleted_and_only_its_person_deletes_it(frozen, org, ana, admin_user):
    made = time_off_create(organization=org, user=ana, start=NOW + H, end=NOW + 5 * H)
    with pytest.raises(TimeOffError) as not_hers:
        time_off_delete(organization=org, user=admin_user, time_off_id=made.pk)
    assert not_hers.value.code == "not_found"
    with pytest.raises(TimeOffError) as over:
        time_off_delete(organization=org, user=ana, time_off_id=made.pk, now=NOW + 6 * H)
    assert over.value.code == "time_off_over"
    time_off_delete(organization=org, user=ana, time_off_id=made.pk)
    assert not TimeOff.objects.exists()


def test_leaving_the_organization_deletes_time_off_that_has_not_started(frozen, org, ana, admin_user):
    from accounts.services import membership_remove

    time_off_create(organization=org, user=ana, start=NOW, end=NOW + 5 * H)  # under way
    time_off_create(organization=org, user=ana, start=NOW + 24 * H, end=NOW + 48 * H)
    membership_remove(organization=org, user_id=ana.pk)

    assert list(TimeOff.objects.values_list("start", flat=True)) == [NOW]


def test_calendars_give_the_turns_back_when_time_off_goes_with_a_person_who_left(
    frozen, client, native, ana, admin_user
):
    from accounts.services import membership_remove
    from rotations.calendar.feeds import calendar_feed_create

    _, raw = calendar_feed_create(organization=native.organization, rotation=native, user=admin_user, actor=None)
    time_off_create(organization=native.organization, user=ana, start=ny(10), end=ny(11))
    before = client.get(f"/cal/{raw}.ics")
    frozen.move_to(NOW + dt.timedelta(minutes=10))  # the feed's window moves by the hour: still the same one
    membership_remove(organization=native.organization, user_id=ana.pk)

    after = client.get(f"/cal/{raw}.ics", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200

    def on_the_10th(response) -> str:
        events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
        return next(str(e["summary"]) for e in events if e.decoded("dtstart") == ny(10, 9))

    assert (on_the_10th(before), on_the_10th(after)) == ("Bo Chen on call", "Ana Ortiz on call")


# --- the page ------------------------------------------------------------------------------------------


def test_a_member_adds_time_off_on_the_page_sees_it_listed_and_deletes_it(frozen, ana_client, ana):
    page = ana_client.get("/settings/time-off/")
    assert page.status_code == 200
    assert 'href="/settings/time-off/" aria-current="page"' in page.content.decode()

    added = ana_client.post(
        "/settings/time-off/",
        {"start": "2026-03-10T08:00", "end": "2026-03-12T18:00", "time_zone": "Europe/Paris", "note": "Skiing"},
        follow=True,
    )
    made = TimeOff.objects.get()
    assert made.user == ana and made.start == dt.datetime(2026, 3, 10, 7, tzinfo=dt.UTC) and made.note == "Skiing"
    assert "Time off recorded" in added.content.decode() and "Skiing" in added.content.decode()

    ana_client.post(f"/settings/time-off/{made.pk}/delete/", {"confirm": "on"})
    assert not TimeOff.objects.exists()


def test_deleting_time_off_without_the_box_ticked_keeps_it_and_says_why(frozen, ana_client):
    ana_client.post("/settings/time-off/", {"start": "2026-03-10T08:00", "end": "2026-03-12T18:00", "time_zone": "UTC"})
    made = TimeOff.objects.get()
    response = ana_client.post(f"/settings/time-off/{made.pk}/delete/")
    dialog = f"delete-time-off-{made.pk}"
    opened = response.content.decode().split(f'aria-labelledby="{dialog}-title" open>')[1].split("</dialog>")[0]
    assert response.status_code == 200 and "Tick the box to confirm." in opened
    assert TimeOff.objects.exists()


def test_time_off_across_the_skipped_hour_of_spring_forward_is_compared_in_real_time(frozen, ana_client):
    # Paris skips 02:00–03:00 on 29 March: 02:30 is 01:30 UTC, as is 03:30.
    response = ana_client.post(
        "/settings/time-off/", {"start": "2026-03-29T02:30", "end": "2026-03-29T03:30", "time_zone": "Europe/Paris"}
    )
    assert (
        response.status_code == 200
        and 'id="id_end_error">Time off must end after it starts.' in response.content.decode()
    )
    assert not TimeOff.objects.exists()


def test_the_page_shows_the_service_s_refusal_beside_the_field_and_keeps_the_values(frozen, ana_client):
    page = ana_client.post(
        "/settings/time-off/", {"start": "2026-03-12T08:00", "end": "2026-03-10T08:00", "time_zone": "UTC"}
    ).content.decode()
    assert 'id="id_end_error">Time off must end after it starts.' in page
    assert 'value="2026-03-12T08:00"' in page
    assert not TimeOff.objects.exists()


# --- the API ---------------------------------------------------------------------------------------------


def test_a_member_records_lists_and_deletes_time_off_through_the_api(frozen, ana_client):
    created = ana_client.post(
        "/api/me/time-off",
        {"start": "2026-03-10T08:00:00+01:00", "end": "2026-03-12T18:00:00Z", "note": "Skiing"},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["start"] == "2026-03-10T07:00:00+00:00" and body["note"] == "Skiing"
    assert ana_client.get("/api/me/time-off").json()["timeOff"] == [body]

    assert ana_client.delete(f"/api/me/time-off/{body['id']}").status_code == 204
    assert ana_client.get("/api/me/time-off").json() == {"timeOff": []}
    assert ana_client.delete(f"/api/me/time-off/{body['id']}").status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"start": "2026-03-12T08:00:00Z", "end": "2026-03-10T08:00:00Z"}, "end"),
        ({"start": "2026-03-10T08:00:00", "end": "2026-03-12T08:00:00Z"}, "start"),
        ({"start": "soon", "end": "2026-03-12T08:00:00Z"}, "start"),
        ({"start": "0001-01-01T00:00:00+05:00", "end": "2026-03-12T08:00:00Z"}, "start"),
        ({"start": "2026-03-10T08:00:00Z", "end": "9999-12-31T23:59:00-05:00"}, "end"),
        ({"start": "2026-03-10T08:00:00Z", "end": "2026-03-12T08:00:00Z", "note": "a\nb"}, "note"),
    ],
)
def test_the_api_names_the_refused_field(frozen, ana_client, payload, field):
    refused = ana_client.post("/api/me/time-off", payload, content_type="application/json")
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == [field]


def test_a_person_s_token_acts_for_its_creator_and_an_operator_s_token_gets_no_person(frozen, client, org, admin_user):
    made = client.post(
        "/api/me/time-off",
        {"start": "2026-03-10T08:00:00Z", "end": "2026-03-11T08:00:00Z"},
        content_type="application/json",
        **bearer(org, "write", created_by=admin_user),
    )
    assert made.status_code == 201 and TimeOff.objects.get().user == admin_user

    operator = bearer(org, "write")
    for answer in (
        client.get("/api/me/time-off", **operator),
        client.post(
            "/api/me/time-off",
            {"start": "2026-03-13T08:00:00Z", "end": "2026-03-14T08:00:00Z"},
            content_type="application/json",
            **operator,
        ),
    ):
        assert answer.status_code == 409 and answer.json()["code"] == "no_person"
    assert TimeOff.objects.count() == 1


def test_deleting_time_off_that_is_already_gone_says_so(frozen, ana_client):
    ana_client.post("/settings/time-off/", {"start": "2026-03-10T08:00", "end": "2026-03-12T18:00", "time_zone": "UTC"})
    made = TimeOff.objects.get()
    TimeOff.objects.all().delete()
    html = ana_client.post(f"/settings/time-off/{made.pk}/delete/", {"confirm": "on"}, follow=True).content.decode()
    assert "That time off was already deleted; nothing changed." in html and "Time off deleted." not in html
