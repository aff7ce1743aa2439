"""The rotation pages' schedule picker, timeline and forms as a person sees them: errors beside the
field they are about with what was typed kept, searchable time zones, one timeline."""

import datetime as dt
import re

import pytest

from rotations import services
from rotations.forms import TIME_ZONES
from rotations.models import Override, Rotation, Shift, Skip, SyncRun
from tests.conftest import NOW
from tests.factories import PagerDutyConnectionFactory

from .fake_schedules import install_list, many_schedules
from .test_pages import beside, page

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


@pytest.fixture
def picker(native, fake_pagerduty):
    schedules, teams = many_schedules(132)
    install_list(fake_pagerduty, schedules, teams=teams)
    PagerDutyConnectionFactory(organization=native.organization, api_key="u+fakeUserKey0001")
    return f"/rotations/{native.pk}/schedules/"


def names(html):
    return re.findall(r'<strong class="schedule-name">([^<]+)</strong>', html)


def test_the_picker_shows_132_schedules_25_at_a_time_with_their_time_zone_and_team(admin_client, picker):
    html = page(admin_client, picker)
    assert "132 schedules. Showing 1–25." in html and "Page 1 of 6" in html
    assert len(names(html)) == 25
    assert "Classic · Europe/Berlin · Team: Ops" in html
    last = page(admin_client, picker + "?page=6")
    assert len(names(last)) == 7 and "Showing 126–132." in last
    assert names(last)[-1] == "Shift schedule 131"
    assert "Shift-based</span>" in last  # PagerDuty's v3 list gives no time zone or team: none is made up


def test_a_search_lists_only_the_schedules_of_both_kinds_whose_name_matches(admin_client, picker):
    html = page(admin_client, picker + "?q=schedule+07")
    assert names(html) == [f"Classic schedule 07{n}" for n in (0, 2, 3, 4, 6, 7, 8)] + [
        f"Shift schedule 07{n}" for n in (1, 5, 9)
    ]
    assert "10 schedules matching “schedule 07”." in html and "Page 1" not in html


def test_the_next_page_of_a_search_keeps_the_search(admin_client, picker):
    html = page(admin_client, picker + "?q=classic")
    assert "99 schedules matching “classic”." in html
    assert 'href="?q=classic&amp;page=2">Next</a>' in html
    second = page(admin_client, picker + "?q=classic&page=2")
    assert names(second)[0] == "Classic schedule 033" and "Shift" not in "".join(names(second))


def test_an_override_that_ends_before_it_starts_is_refused_beside_the_end_with_the_values_kept(
    admin_client, native, frozen
):
    bo = native.members.get(email="bo@acme.example")
    response = admin_client.post(
        f"/rotations/{native.pk}/overrides/", {"member": bo.pk, "start": "2026-03-06T18:00", "end": "2026-03-06T10:00"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Override.objects.exists()
    end = beside(html, "override_end")
    assert "An override must end after it starts." in end and 'value="2026-03-06T10:00"' in end and "autofocus" in end
    assert 'value="2026-03-06T18:00"' in beside(html, "override_start")
    assert f'<option value="{bo.pk}" selected>Bo Chen</option>' in beside(html, "override_member")
    assert html.count("An override must end after it starts.") == 1  # beside the field, not also at the top


def test_an_override_that_is_already_over_is_refused_beside_the_end(admin_client, native, frozen):
    """It would rewrite who was on call, after the handoffs were told (a skip of a turn that is over is
    refused the same way); one that started earlier and ends later is allowed, as skipping the current turn is."""
    bo = native.members.get(email="bo@acme.example")
    url = f"/rotations/{native.pk}/overrides/"
    html = admin_client.post(url, {"member": bo.pk, "start": "2026-03-05T06:00", "end": "2026-03-06T07:00"}).content
    assert "That time is over: an override must end later than now." in beside(html.decode(), "override_end")
    assert not Override.objects.exists()
    admin_client.post(url, {"member": bo.pk, "start": "2026-03-06T06:00", "end": "2026-03-06T08:00"})
    assert Override.objects.filter(rotation=native, member=bo).count() == 1


def test_an_override_across_the_skipped_hour_of_spring_forward_is_compared_in_real_time(admin_client, native, frozen):
    # New York skips 02:00–03:00 on 8 March: 02:30 is 07:30 UTC, as is 03:30.
    bo = native.members.get(email="bo@acme.example")
    response = admin_client.post(
        f"/rotations/{native.pk}/overrides/", {"member": bo.pk, "start": "2026-03-08T02:30", "end": "2026-03-08T03:30"}
    )
    assert response.status_code == 200 and not Override.objects.exists()
    assert "An override must end after it starts." in beside(response.content.decode(), "override_end")


def test_an_override_shows_in_the_turn_it_applies_to(admin_client, native, frozen):
    bo = native.members.get(email="bo@acme.example")
    services.override_create(
        rotation=native, member_id=bo.pk, start=dt.datetime(2026, 3, 7, 15, tzinfo=dt.UTC), end=NOW + 30 * H
    )
    html = page(admin_client, f"/rotations/{native.pk}/")
    turns = html.split('data-testid="upcoming"')[1].split('<li class="turn')
    saturday = next(t for t in turns if "Sat 7 Mar 09:00 EST" in t)
    assert "Bo Chen covers 10:00–13:00 EST" in saturday  # 15:00–18:00 UTC in New York
    assert sum('class="cover"' in t for t in turns) == 1


def test_a_skipped_turn_names_who_was_skipped_and_who_takes_it_and_can_be_undone(admin_client, native, frozen):
    # Daily turns from 1 March: 7 March is Ana's.
    turn = dt.datetime(2026, 3, 7, 14, tzinfo=dt.UTC)
    admin_client.post(f"/rotations/{native.pk}/skip/", {"turn_start": turn.isoformat()})
    html = page(admin_client, f"/rotations/{native.pk}/")
    saturday = next(t for t in html.split('<li class="turn') if "Sat 7 Mar 09:00 EST" in t)
    assert "<s>Ana Ortiz</s> — skipped" in saturday and "Bo Chen takes the turn" in saturday
    skip = Skip.objects.get(rotation=native)
    assert f'action="/rotations/{native.pk}/skips/{skip.pk}/delete/"' in saturday and ">Undo</button>" in saturday

    admin_client.post(f"/rotations/{native.pk}/skips/{skip.pk}/delete/")
    html = page(admin_client, f"/rotations/{native.pk}/")
    saturday = next(t for t in html.split('<li class="turn') if "Sat 7 Mar 09:00 EST" in t)
    assert "skipped" not in saturday and '<span class="turn-who">Ana Ortiz</span>' in saturday


def test_members_see_skips_without_undo(member_client, native, frozen):
    services.skip_create(rotation=native, turn_start=dt.datetime(2026, 3, 7, 14, tzinfo=dt.UTC))
    html = page(member_client, f"/rotations/{native.pk}/")
    assert "— skipped" in html and "Undo" not in html
    skip = Skip.objects.get()
    assert member_client.post(f"/rotations/{native.pk}/skips/{skip.pk}/delete/").status_code == 403
    assert Skip.objects.exists()


def test_a_member_with_a_bad_email_is_refused_beside_the_email_with_the_name_kept(admin_client, native):
    html = admin_client.post(f"/rotations/{native.pk}/members/", {"name": "Dan Ng", "email": "dan@"}).content.decode()
    assert "“dan@” is not an email address." in beside(html, "member_email")
    assert 'value="Dan Ng"' in beside(html, "member_name")
    assert native.members.count() == 3


def test_a_member_already_in_the_rotation_is_refused_beside_the_email(admin_client, native):
    html = admin_client.post(
        f"/rotations/{native.pk}/members/", {"name": "Ana again", "email": "ANA@acme.example"}
    ).content.decode()
    assert "ana@acme.example is already a member of this rotation." in beside(html, "member_email")


def test_settings_refused_by_a_rule_show_it_beside_the_field_and_keep_every_value(admin_client, native):
    form = {
        "name": "Platform renamed",
        "description": "Kept",
        "time_zone": "Europe/Paris",
        "cadence_count": "400",
        "cadence_unit": "days",
        "handoff_time": "10:30",
        "start_date": "2026-03-01",
    }
    html = admin_client.post(f"/rotations/{native.pk}/edit/", form).content.decode()
    assert "The cadence count must be a whole number from 1 to 365." in beside(html, "id_cadence_count")
    assert 'value="Platform renamed"' in beside(html, "id_name")
    assert 'value="Europe/Paris"' in beside(html, "id_time_zone") and 'value="10:30"' in beside(html, "id_handoff_time")
    native.refresh_from_db()
    assert (native.name, native.cadence_count) == ("Platform", 1)
    assert "<h1>Platform</h1>" in html  # the page shows what is saved, the form what was typed


def test_creating_with_a_bad_member_line_says_so_beside_the_members(admin_client, org):
    html = admin_client.post(
        "/rotations/new/",
        {
            "name": "Ops",
            "time_zone": "UTC",
            "members": "Ana <ana@acme.example>\nBo <bo@>",
            "cadence_count": "1",
            "cadence_unit": "weeks",
            "handoff_time": "09:00",
        },
    ).content.decode()
    members = beside(html, "id_members")
    assert "“bo@” is not an email address." in members and "Ana &lt;ana@acme.example&gt;" in members
    assert not Rotation.objects.exists()


def test_the_time_zone_field_offers_real_zones_to_search_and_suggests_the_browsers(admin_client, org):
    html = page(admin_client, "/rotations/new/")
    assert 'list="time-zones"' in beside(html, "id_time_zone")
    offered = re.findall(
        r'<option value="([^"]+)">', html.split('<datalist id="time-zones">')[1].split("</datalist>")[0]
    )
    assert offered == TIME_ZONES and "Europe/Paris" in offered and "UTC" in offered
    for fake in ("localtime", "Factory", "posixrules", "Etc/GMT+3", "US/Eastern", "SystemV/EST5"):
        assert fake not in offered
    assert 'data-zone-for="id_time_zone"' in html and "/static/js/rotations.js" in html
    assert "<script>" not in html  # CSP: the suggestion comes from a static file


def bound_with_night_gaps(org):
    rotation = services.rotation_create(
        organization=org, name="Night", time_zone="Europe/Paris", members=[("Ana Ortiz", "ana@acme.example")]
    )
    Rotation.objects.filter(pk=rotation.pk).update(pagerduty_schedule_id="PS1", pagerduty_schedule_name="Days")
    ana = rotation.members.get()
    day0 = dt.datetime(2026, 3, 6, 7, tzinfo=dt.UTC)  # 08:00 in Paris
    shifts = []
    for d in range(15):
        start = day0 + dt.timedelta(days=d)
        who = (
            {"member": ana}
            if d % 2
            else {"person_name": "Zed Quinn", "pagerduty_user_id": "PZED", "person_email": "zed@acme.example"}
        )
        shifts.append(Shift(rotation=rotation, start=start, end=start + 12 * H, **who))
        shifts.append(Shift(rotation=rotation, start=start + 12 * H, end=start + 24 * H, is_gap=True))
    Shift.objects.bulk_create(shifts)
    return rotation


def test_the_sync_history_says_the_zone_of_its_times_as_last_sync_does(admin_client, org, frozen):
    rotation = bound_with_night_gaps(org)
    Rotation.objects.filter(pk=rotation.pk).update(last_sync_at=NOW, last_sync_ok=True)
    SyncRun.objects.create(organization=org, schedule_id="PS1", started_at=NOW, ok=True)
    html = page(admin_client, f"/rotations/{rotation.pk}/")
    last_sync = html.split('data-testid="last-sync"')[1].split("</dl>")[0]
    history = html.split("<summary>Sync history</summary>")[1].split("</ul>")[0]
    assert "2026-03-06 13:00 CET</time> · ok" in last_sync and "2026-03-06 13:00 CET</time> · ok" in history


def test_a_bound_rotation_groups_shifts_by_day_says_a_nightly_gap_once_and_names_an_outsider_once(
    admin_client, org, frozen
):
    rotation = bound_with_night_gaps(org)
    html = page(admin_client, f"/rotations/{rotation.pk}/")
    timeline = html.split('id="timeline-title"')[1].split("</section>")[0]
    assert "No one on call 20:00–08:00 daily (Europe/Paris)." in timeline and timeline.count("No one on call") == 1
    shown, more = timeline.split('<details class="more-days">')
    assert shown.count('<h3 class="day">') == 3 and "Friday 6 March" in shown
    assert "Show 12 more days</summary>" in more
    assert "08:00 CET</time>–<time" in shown and "Zed Quinn" in shown and "Ana Ortiz" in shown
    assert "not a member" not in timeline  # said once, in the section with Add as member
    assert html.count(">Add as member</button>") == 1
    assert 'name="cadence_count"' not in html and "follows the PagerDuty schedule Days" in html


def test_gaps_at_different_hours_stay_in_their_days(admin_client, org, frozen):
    rotation = bound_with_night_gaps(org)
    Shift.objects.filter(rotation=rotation, is_gap=True, start__gt=NOW + 48 * H).delete()
    html = page(admin_client, f"/rotations/{rotation.pk}/")
    timeline = html.split('id="timeline-title"')[1].split("</section>")[0]
    assert "daily" not in timeline and "No one on call</span>" in timeline


def test_a_cadence_unit_the_service_does_not_know_is_refused_beside_the_unit(admin_client, native):
    form = {
        "name": "Platform",
        "time_zone": "UTC",
        "cadence_count": "1",
        "cadence_unit": "months",
        "handoff_time": "09:00",
    }
    html = admin_client.post(f"/rotations/{native.pk}/edit/", form).content.decode()
    assert "The cadence is every N days or every N weeks." in beside(html, "id_cadence_unit")
    native.refresh_from_db()
    assert native.cadence_unit == "days"


def test_an_override_beyond_the_next_14_days_says_who_covers_when_as_it_is_not_on_the_page_yet(
    admin_client, native, frozen
):
    bo = native.members.get(email="bo@acme.example")
    response = admin_client.post(
        f"/rotations/{native.pk}/overrides/",
        {"member": bo.pk, "start": "2026-04-05T10:00", "end": "2026-04-05T12:00"},
        follow=True,
    )
    assert "Override added: Bo Chen covers Sun 5 Apr 10:00–12:00 EDT." in response.content.decode()
