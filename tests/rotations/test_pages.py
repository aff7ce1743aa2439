"""The Rotations pages as admins, members and outsiders see them."""

import datetime as dt

import pytest
import responses
from django.db import connection
from django.test.utils import CaptureQueriesContext
from responses import matchers

from rotations import services
from rotations.models import Handoff, Member, Override, Rotation, Shift, Skip
from tests.conftest import NOW
from tests.pd_mocks import api, fixture

from . import pd_schedules as pds

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def beside(html, field_id):
    """The markup of one field's paragraph (label, input, help, errors)."""
    return html.split(f'<label for="{field_id}">')[1].split("</p>")[0]


def test_the_nav_links_to_rotations_and_the_list_says_each_cadence(admin_client, native):
    html = page(admin_client, "/rotations/")
    assert '<a href="/rotations/" aria-current="page">Rotations</a>' in html
    assert "Every day at 09:00" in html


def test_an_admin_creates_a_rotation_with_members_and_sees_who_is_on_call(admin_client, org, frozen):
    response = admin_client.post(
        "/rotations/new/",
        {
            "name": "Platform",
            "description": "Primary",
            "time_zone": "Europe/Paris",
            "members": "Ana Ortiz <Ana@Acme.example>\nBo Chen, bo@acme.example\n",
            "cadence_count": "1",
            "cadence_unit": "weeks",
            "handoff_time": "10:00",
            "start_date": "2026-03-02",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "Rotation “Platform” created." in html
    rotation = Rotation.objects.get(organization=org)
    assert list(rotation.members.values_list("name", "email")) == [
        ("Ana Ortiz", "ana@acme.example"),
        ("Bo Chen", "bo@acme.example"),
    ]
    assert 'data-testid="now-on-call">' in html and "Ana Ortiz" in html.split('data-testid="now-on-call">')[1][:200]
    assert "Mon 9 Mar 10:00 CET" in html  # next handoff, in the rotation's time zone


def test_an_unknown_time_zone_is_refused(admin_client, org):
    html = admin_client.post(
        "/rotations/new/",
        {
            "name": "X",
            "time_zone": "Mars/Olympus",
            "cadence_count": "1",
            "cadence_unit": "days",
            "handoff_time": "09:00",
            "start_date": "2026-03-01",
        },
    ).content.decode()
    field = beside(html, "id_time_zone")  # the message is beside its field
    assert "“Mars/Olympus” is not a time zone (use an IANA name such as Europe/Paris)." in field
    assert 'value="Mars/Olympus"' in field  # what was typed is kept
    assert not Rotation.objects.exists()


def test_a_native_rotations_handoffs_stay_at_nine_local_across_dst(admin_client, native):
    html = page(admin_client, f"/rotations/{native.pk}/")
    upcoming = html.split('data-testid="upcoming"')[1].split("</ol>")[0]
    assert "Sat 7 Mar 09:00 EST" in upcoming and "Sun 8 Mar 09:00 EDT" in upcoming
    assert upcoming.count('<li class="turn') == 15  # the turn in progress and the 14 starting in the next 14 days


def test_skipping_a_turn_passes_it_to_the_next_person(admin_client, native, frozen):
    # Daily turns from 1 March: Ana, Bo, Cy, Ana, Bo, Cy, then 7 March is Ana's: skip it.
    turn = dt.datetime(2026, 3, 7, 14, tzinfo=dt.UTC)
    admin_client.post(f"/rotations/{native.pk}/skip/", {"turn_start": turn.isoformat()})
    assert Skip.objects.filter(rotation=native, turn_start=turn).exists()
    shifts = admin_client.get(
        f"/api/rotations/{native.pk}/shifts?since=2026-03-07T15:00:00Z&until=2026-03-09T15:00:00Z"
    ).json()["shifts"]
    assert [s["person"]["name"] for s in shifts] == ["Bo Chen", "Cy Diaz", "Ana Ortiz"]


def test_a_one_off_override_replaces_the_person_for_its_interval(admin_client, native, frozen):
    bo = native.members.get(email="bo@acme.example")
    admin_client.post(
        f"/rotations/{native.pk}/overrides/", {"member": bo.pk, "start": "2026-03-06T06:00", "end": "2026-03-06T08:00"}
    )
    override = Override.objects.get(rotation=native)
    assert (override.start, override.end) == (
        dt.datetime(2026, 3, 6, 11, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 6, 13, tzinfo=dt.UTC),
    )
    html = page(admin_client, f"/rotations/{native.pk}/")
    assert "Bo Chen" in html.split('data-testid="now-on-call">')[1][:120]


def test_members_see_rotations_without_controls_and_cannot_change_them(member_client, native):
    html = page(member_client, f"/rotations/{native.pk}/")
    assert "Ana Ortiz" in html and "Add member" not in html and "Skip</button>" not in html
    assert (
        member_client.post(f"/rotations/{native.pk}/members/", {"name": "M", "email": "m@acme.example"}).status_code
        == 403
    )
    assert native.members.count() == 3


def test_an_admin_of_another_organization_cannot_see_or_change_a_rotation(outsider_client, native):
    assert outsider_client.get(f"/rotations/{native.pk}/").status_code == 404
    assert outsider_client.post(f"/rotations/{native.pk}/delete/").status_code == 404
    assert "Platform" not in page(outsider_client, "/rotations/")
    assert Rotation.objects.filter(pk=native.pk).exists()


def confirm_refused(client, url, dialog):
    """The page again with the dialog open, saying why beside its box, once."""
    response = client.post(url)
    html = response.content.decode()
    assert response.status_code == 200
    opened = html.split(f'<dialog id="{dialog}" class="dialog" aria-labelledby="{dialog}-title" open>')[1]
    assert "Tick the box to confirm." in opened.split("</dialog>")[0] and html.count("Tick the box to confirm.") == 1


def test_a_confirmation_posted_without_its_box_ticked_changes_nothing_and_says_why(admin_client, native, frozen):
    bo = native.members.get(email="bo@acme.example")
    override = services.override_create(rotation=native, member_id=bo.pk, start=NOW + H, end=NOW + 2 * H)
    url = f"/rotations/{native.pk}/"
    confirm_refused(admin_client, f"{url}overrides/{override.pk}/delete/", f"override-remove-{override.pk}")
    Rotation.objects.filter(pk=native.pk).update(pagerduty_schedule_id="PI7DH85")
    confirm_refused(admin_client, f"{url}delete/", "rotation-delete")
    confirm_refused(admin_client, f"{url}unbind/", "rotation-unbind")
    confirm_refused(admin_client, f"{url}members/{bo.pk}/remove/", f"member-remove-{bo.pk}")
    native.refresh_from_db()
    assert native.is_bound and native.members.count() == 3 and Override.objects.exists()
    dialog = page(admin_client, url).split('<dialog id="rotation-delete"')[1].split("</dialog>")[0]
    assert "cover requests" in dialog and "calendar URLs stop working" in dialog
    admin_client.post(f"{url}members/{bo.pk}/remove/", {"confirm": "on"})
    assert admin_client.post(f"{url}delete/", {"confirm": "on"}).url == "/rotations/"
    assert not Rotation.objects.exists()


def mock_schedule_pages(rsps, pages=3):
    """The v2 list over `pages` pages (offset pagination, `more`), plus one v3 page."""
    template = fixture("schedules_list.json")["schedules"][0]
    for n in range(pages):
        body = {
            "schedules": [
                {
                    **template,
                    "id": f"PV2{n:04d}",
                    "name": f"Classic {n}",
                    "summary": f"Classic {n}",
                    "time_zone": "Europe/Berlin",
                    "teams": [{"id": "PT1", "type": "team_reference", "summary": "Ops"}],
                }
            ],
            "limit": 1,
            "offset": n,
            "more": n < pages - 1,
        }
        rsps.add(
            responses.GET,
            api("/schedules"),
            json=body,
            match=[matchers.query_param_matcher({"limit": "100", "offset": str(n), "query": "eng"})],
        )
    v3 = fixture("schedules_v3_list.json")
    rsps.add(
        responses.GET,
        api("/v3/schedules"),
        json=v3,
        match=[matchers.query_param_matcher({"limit": "100", "offset": "0", "query": "eng"})],
    )


def test_the_schedule_picker_lists_every_page_of_classic_and_shift_based_schedules(admin_client, native, rsps):
    pds.connect(native.organization)
    mock_schedule_pages(rsps)
    html = page(admin_client, f"/rotations/{native.pk}/schedules/?q=eng")
    for name in ("Classic 0", "Classic 1", "Classic 2", "Engineering On-Call"):
        assert name in html
    assert "Europe/Berlin" in html and "Team: Ops" in html and "Shift-based" in html
    assert "4 schedules matching “eng”." in html


def test_following_a_schedule_syncs_it_and_makes_the_cadence_read_only(
    admin_client, native, rsps, frozen, django_capture_on_commit_callbacks
):
    pds.connect(native.organization)
    pds.mock_v3(rsps, "PS1A2B3C", pds.v3_schedule("PS1A2B3C", [pds.assignment(NOW - H, NOW + 5 * H, "PANA001")]))
    pds.mock_users(rsps, {"PANA001": ("Ana Ortiz", "ana@acme.example")})
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/rotations/{native.pk}/bind/",
            {"schedule_id": "PS1A2B3C", "schedule_name": "Engineering On-Call", "schedule_kind": "v3"},
        )
    native.refresh_from_db()
    assert (native.pagerduty_schedule_id, native.last_sync_ok, native.sync_state) == ("PS1A2B3C", True, "idle")
    html = page(admin_client, f"/rotations/{native.pk}/")
    assert "Who is on call and when follows the PagerDuty schedule Engineering On-Call." in html
    assert 'name="cadence_count"' not in html  # no disabled cadence fields while bound
    response = admin_client.post(
        f"/rotations/{native.pk}/edit/",
        {
            "name": "Platform",
            "time_zone": "America/New_York",
            "cadence_count": "3",
            "cadence_unit": "days",
            "handoff_time": "11:00",
            "start_date": "2026-03-01",
        },
        follow=True,
    )
    native.refresh_from_db()
    assert (native.cadence_count, native.handoff_time) == (1, dt.time(9, 0))  # disabled fields ignore input
    assert "Rotation saved." in response.content.decode()


def test_sync_now_shows_the_sync_running_until_the_worker_finishes(
    admin_client, native, rsps, frozen, django_capture_on_commit_callbacks
):
    pds.connect(native.organization)
    Rotation.objects.filter(pk=native.pk).update(pagerduty_schedule_id="PI7DH85", pagerduty_schedule_kind="v2")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        admin_client.post(f"/rotations/{native.pk}/sync/")
    html = page(admin_client, f"/rotations/{native.pk}/")
    assert 'data-testid="sync-running"' in html and "Sync running…</button>" in html
    pds.mock_v2(rsps, "PI7DH85", pds.v2_schedule("PI7DH85", []))
    for callback in queued:
        callback()  # what the worker does
    html = page(admin_client, f"/rotations/{native.pk}/")
    assert 'data-testid="sync-running"' not in html and "Sync now</button>" in html


def test_sync_now_with_the_task_queue_down_says_so_instead_of_failing(
    admin_client, native, frozen, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from rotations.tasks import sync_schedule

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(sync_schedule, "apply_async", broker_down)
    pds.connect(native.organization)
    Rotation.objects.filter(pk=native.pk).update(pagerduty_schedule_id="PI7DH85", pagerduty_schedule_kind="v2")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/rotations/{native.pk}/sync/")
    assert response.status_code == 302
    html = page(admin_client, f"/rotations/{native.pk}/")
    assert 'data-testid="sync-running"' not in html
    assert "The sync could not be queued" in html


def test_an_override_beyond_the_calendar_is_refused_without_a_server_error(admin_client, native, frozen):
    member = native.members.first()
    with pytest.raises(services.RotationError, match="between the years 1900 and 2999"):
        services.override_create(
            rotation=native,
            member_id=member.pk,
            start=dt.datetime(9999, 12, 31, 20, tzinfo=dt.UTC),
            end=dt.datetime(9999, 12, 31, 23, tzinfo=dt.UTC),
        )
    assert not Override.objects.exists()


def test_unbinding_returns_the_rotation_to_its_cadence_keeping_members(admin_client, native):
    Rotation.objects.filter(pk=native.pk).update(pagerduty_schedule_id="PI7DH85")
    Shift.objects.create(rotation=native, start=NOW, end=NOW + H, person_name="Zed")
    admin_client.post(f"/rotations/{native.pk}/unbind/", {"confirm": "on"})
    native.refresh_from_db()
    assert not native.is_bound and native.members.count() == 3 and not Shift.objects.exists()


def test_disconnecting_pagerduty_warns_then_unbinds_rotations_keeping_members(admin_client, org, native):
    pds.connect(org)
    other = services.rotation_create(
        organization=org, name="Second", time_zone="UTC", members=[("Cy", "cy@acme.example")]
    )
    Rotation.objects.filter(pk__in=[native.pk, other.pk]).update(pagerduty_schedule_id="PI7DH85")
    html = page(admin_client, "/settings/integrations/?dialog=pagerduty-disconnect")
    assert (
        "“Platform” and “Second” follow PagerDuty schedules and will return to their own cadence; once "
        "PagerDuty is connected again, each rotation&#x27;s page offers to follow its schedule again." in html
    )
    admin_client.post("/settings/integrations/pagerduty/disconnect/", {"confirm": "on"})
    assert not Rotation.objects.exclude(pagerduty_schedule_id="").exists()
    assert Member.objects.filter(rotation=native).count() == 3
    from accounts.models import AuditEvent

    assert "2 rotations returned to their own cadence" in AuditEvent.objects.get(action="disconnect").summary


def make_rotations(org, count, shifts_each):
    for i in range(count):
        rotation = services.rotation_create(
            organization=org,
            name=f"R{i}",
            time_zone="Europe/Paris",
            members=[(f"P{i}", f"p{i}@acme.example"), (f"Q{i}", f"q{i}@acme.example")],
        )
        Override.objects.create(rotation=rotation, member=rotation.members.first(), start=NOW + H, end=NOW + 2 * H)
        if i % 2:
            Rotation.objects.filter(pk=rotation.pk).update(pagerduty_schedule_id=f"PS{i}")
            Shift.objects.bulk_create(
                [
                    Shift(
                        rotation=rotation,
                        start=NOW + k * H,
                        end=NOW + (k + 1) * H,
                        member=rotation.members.first() if k % 2 else None,
                        person_name="X",
                        is_gap=k % 3 == 0,
                    )
                    for k in range(shifts_each)
                ]
            )
            Handoff.objects.create(rotation=rotation, at=NOW - H, to_label="X")


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_rotations_list_renders_in_a_constant_number_of_queries(admin_client, org, frozen):
    make_rotations(org, 1, 2)
    few = queries(admin_client, "/rotations/")
    make_rotations(org, 12, 40)
    assert queries(admin_client, "/rotations/") == few


def test_a_rotation_page_renders_in_a_constant_number_of_queries(admin_client, org, frozen):
    make_rotations(org, 2, 2)
    bound = Rotation.objects.exclude(pagerduty_schedule_id="").first()
    few = queries(admin_client, f"/rotations/{bound.pk}/")
    Shift.objects.bulk_create(
        [
            Shift(
                rotation=bound, start=NOW + k * H, end=NOW + (k + 1) * H, person_name=f"N{k}", pagerduty_user_id=f"U{k}"
            )
            for k in range(100, 300)
        ]
    )
    for k in range(10):
        Member.objects.create(rotation=bound, name=f"M{k}", email=f"m{k}@acme.example", position=10 + k)
        Handoff.objects.create(rotation=bound, at=NOW - (k + 2) * H, to_label=f"M{k}")
    assert queries(admin_client, f"/rotations/{bound.pk}/") == few


def test_the_picker_lists_classic_schedules_when_the_account_has_no_shift_based_ones(admin_client, native, rsps):
    pds.connect(native.organization)
    rsps.add(responses.GET, api("/schedules"), json=fixture("schedules_list.json"))
    rsps.add(responses.GET, api("/v3/schedules"), json={"error": {"message": "Not Found", "code": 2100}}, status=404)
    html = page(admin_client, f"/rotations/{native.pk}/schedules/")
    assert "Daily Engineering Rotation" in html and "America/New_York" in html and "1 schedule." in html


def test_the_picker_says_why_when_pagerduty_refuses_the_key(admin_client, native, rsps):
    pds.connect(native.organization)
    rsps.add(responses.GET, api("/schedules"), json={"error": {"message": "Unauthorized", "code": 2006}}, status=401)
    html = page(admin_client, f"/rotations/{native.pk}/schedules/")
    assert "Unauthorized: Invalid or expired API token" in html


def test_a_sync_lost_on_the_way_does_not_show_as_running_for_ever(admin_client, native, frozen):
    Rotation.objects.filter(pk=native.pk).update(
        pagerduty_schedule_id="PI7DH85", sync_state="queued", sync_requested_at=NOW
    )
    assert 'data-testid="sync-running"' in page(admin_client, f"/rotations/{native.pk}/")
    frozen.move_to(NOW + dt.timedelta(minutes=11))
    html = page(admin_client, f"/rotations/{native.pk}/")
    assert 'data-testid="sync-running"' not in html and "Sync now</button>" in html


def test_skipping_a_turn_at_an_impossible_time_is_refused_without_a_server_error(admin_client, native, frozen):
    response = admin_client.post(
        f"/rotations/{native.pk}/skip/", {"turn_start": "2026-13-01T09:00:00-05:00"}, follow=True
    )
    assert response.status_code == 200
    assert "Choose a turn to skip." in response.content.decode()
    assert not native.skips.exists()


def test_a_first_turn_at_the_edge_of_the_calendar_is_refused_so_pages_and_handoffs_keep_working(
    admin_client, org, other_org, frozen
):
    # 0001-01-01 00:00 in Tokyo is before year 1 in UTC: it used to be saved, then every rotations
    # page of the organization and the handoff beat (for every organization) raised OverflowError.
    form = {
        "name": "Ops",
        "time_zone": "Asia/Tokyo",
        "cadence_count": "1",
        "cadence_unit": "weeks",
        "handoff_time": "00:00",
        "start_date": "0001-01-01",
        "members": "Ana <ana@acme.example>",
    }
    response = admin_client.post("/rotations/new/", form)
    assert response.status_code == 200
    assert "The first turn must be between the years 1900 and 2999." in response.content.decode()
    assert not Rotation.objects.exists()
    assert admin_client.get("/rotations/").status_code == 200


def test_editing_the_first_turn_to_the_year_9999_is_refused(admin_client, native, frozen):
    form = {
        "name": "Platform",
        "description": "",
        "time_zone": "America/New_York",
        "cadence_count": "1",
        "cadence_unit": "days",
        "handoff_time": "23:00",
        "start_date": "9999-12-31",
    }
    page = admin_client.post(f"/rotations/{native.pk}/edit/", form, follow=True).content.decode()
    assert "The first turn must be between the years 1900 and 2999." in page
    native.refresh_from_db()
    assert native.start_date == dt.date(2026, 3, 1)


def test_a_skip_at_the_end_of_the_calendar_is_refused_so_the_rotations_list_keeps_working(admin_client, native, frozen):
    response = admin_client.post(
        f"/rotations/{native.pk}/skip/", {"turn_start": "9999-12-31T23:00:00-12:00"}, follow=True
    )
    assert "That is not a turn of this rotation." in response.content.decode()
    assert not native.skips.exists()
    assert admin_client.get("/rotations/").status_code == 200


def test_the_rotations_list_says_who_takes_over_at_the_next_handoff(admin_client, native, frozen):
    row = page(admin_client, "/rotations/").split('data-label="Next handoff">')[1].split("</td>")[0]
    assert "Fri 6 Mar 09:00 EST</time>" in row and "Cy Diaz" in row


def test_a_member_is_not_told_to_add_people_with_a_form_only_admins_have(member_client, admin_user, org):
    empty = services.rotation_create(organization=org, name="New", time_zone="UTC")
    html = page(member_client, f"/rotations/{empty.pk}/")
    assert "No members yet." in html and "add people below" not in html
    member_client.force_login(admin_user)
    assert "No members yet: add people below" in page(member_client, f"/rotations/{empty.pk}/")


def test_removing_an_override_or_undoing_a_skip_that_is_gone_says_it_was_already_gone(admin_client, native, frozen):
    url = f"/rotations/{native.pk}/"
    page = admin_client.post(f"{url}overrides/{2**31}/delete/", {"confirm": "on"}, follow=True).content.decode()
    assert "That override was already removed; nothing changed." in page and "Override removed." not in page
    page = admin_client.post(f"{url}skips/{2**31}/delete/", follow=True).content.decode()
    assert "That skip was already undone; nothing changed." in page and "Skip undone" not in page


def test_skip_from_a_page_left_open_after_that_turn_ended_is_refused_and_the_order_stays(admin_client, native, frozen):
    response = admin_client.post(f"/rotations/{native.pk}/skip/", {"turn_start": "2026-03-04T09:00:00-05:00"})
    assert "That turn is over: skip the current turn or a later one." in response.content.decode()
    assert not native.skips.exists()


@pytest.mark.parametrize(
    ("name", "members", "said"),
    [
        ("x" * 201, (), "A rotation name can be at most 200 characters."),
        ("Platform", [("y" * 201, "bo@example.com")], "A name can be at most 200 characters."),
    ],
    ids=["rotation", "member"],
)
def test_a_name_longer_than_can_be_stored_is_refused_not_cut(org, name, members, said):
    with pytest.raises(services.RotationError, match=said):
        services.rotation_create(organization=org, name=name, time_zone="UTC", members=members)
    assert not Rotation.objects.filter(organization=org).exists() and not Member.objects.exists()
