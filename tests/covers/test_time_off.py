"""Time off in PagerDuty-bound rotations: beat opens a cover request for each of the person's shifts
inside their time off within ROSTER_TIME_OFF_LEAD_DAYS, exactly once (covers/time_off.py)."""

import datetime as dt

import pytest
from django.conf import settings as django_settings

from accounts.actor import Actor
from accounts.models import Membership
from covers import services as cover_services
from covers import signals
from covers.models import CoverRequest
from covers.time_off import time_off_covers_open
from rotations.models import Member, Override, Rotation, Shift
from rotations.time_off.services import time_off_create
from tests.conftest import new_member

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


@pytest.fixture
def bound(org, frozen) -> Rotation:
    """A rotation following a PagerDuty schedule: daily 12-hour shifts from 08:00 UTC, Mia on even days of
    March, Bo on odd ones; nobody from 20:00 to 08:00."""
    rotation = Rotation.objects.create(
        organization=org, name="Payments", time_zone="UTC", pagerduty_schedule_id="PSCHED1", last_sync_ok=True
    )
    mia = Member.objects.create(rotation=rotation, name="Mia Member", email="member@acme.example", position=0)
    bo = Member.objects.create(rotation=rotation, name="Bo Chen", email="bo@acme.example", position=1)
    for day in range(6, 21):
        start = dt.datetime(2026, 3, day, 8, tzinfo=dt.UTC)
        who = mia if day % 2 == 0 else bo
        Shift.objects.create(
            rotation=rotation,
            start=start,
            end=start + 12 * H,
            member=who,
            pagerduty_user_id=f"P{who.pk}",
            person_name=who.name,
            person_email=who.email,
        )
    return rotation


def mia_away(member_user, start, end, note="Skiing"):
    return time_off_create(
        organization=Membership.objects.get(user=member_user).organization,
        user=member_user,
        start=start,
        end=end,
        note=note,
    )


def requests():
    return [(r.requester_email, r.start, r.end, r.note, r.created_by) for r in CoverRequest.objects.order_by("start")]


def day(n: int, hour: int = 8) -> dt.datetime:
    return dt.datetime(2026, 3, n, hour, tzinfo=dt.UTC)


def test_each_of_the_person_s_shifts_inside_the_time_off_gets_one_request(bound, member_user):
    # Away from 7 March 00:00 to 11 March 14:00: Mia's shifts on 8 and 10 March, not Bo's on 7 and 9.
    mia_away(member_user, day(7, 0), day(11, 14))

    assert time_off_covers_open() == 2
    assert requests() == [
        ("member@acme.example", day(8), day(8, 20), "Time off: Skiing", "system"),
        ("member@acme.example", day(10), day(10, 20), "Time off: Skiing", "system"),
    ]


def test_a_shift_only_partly_inside_the_time_off_is_asked_for_that_part(bound, member_user):
    mia_away(member_user, day(8, 14), day(9, 0), note="")

    assert time_off_covers_open() == 1
    assert requests() == [("member@acme.example", day(8, 14), day(8, 20), "Time off: Mia Member is away.", "system")]


def test_re_runs_make_nothing_new_even_after_the_request_was_cancelled_or_taken(bound, member_user, frozen):
    mia_away(member_user, day(7, 0), day(11, 14))
    assert time_off_covers_open() == 2
    assert time_off_covers_open() == 0

    first = CoverRequest.objects.order_by("start").first()
    cover_services.cover_request_cancel(cover_request=first, actor=Actor(label="member@acme.example"))
    frozen.shift(10 * 60)
    assert time_off_covers_open() == 0
    assert CoverRequest.objects.count() == 2


def test_only_shifts_within_the_lead_days_are_asked_for_then_later_ones_as_days_pass(
    bound, member_user, frozen, settings
):
    assert django_settings.ROSTER_TIME_OFF_LEAD_DAYS == 7  # the default
    settings.ROSTER_TIME_OFF_LEAD_DAYS = 3
    mia_away(member_user, day(7, 0), day(15, 0))  # Mia's shifts on 8, 10, 12 and 14 March

    assert time_off_covers_open() == 1  # before 9 March 12:00: the 8 March shift only
    assert [start for _, start, *_ in requests()] == [day(8)]

    frozen.move_to(day(9, 12))
    assert time_off_covers_open() == 2  # now 10 and 12 March are within three days too
    assert [start for _, start, *_ in requests()] == [day(8), day(10), day(12)]


def test_only_the_person_s_shifts_are_asked_for(bound, member_user, org):
    bo = new_member(org, "someone.else@acme.example")
    time_off_create(organization=org, user=bo, start=day(7, 0), end=day(11, 0))  # not in the rotation
    assert time_off_covers_open() == 0

    mia_away(member_user, day(9, 0), day(10, 0))  # Bo's shift on 9 March only: nothing for Mia to ask
    assert time_off_covers_open() == 0
    assert not CoverRequest.objects.exists()


def test_a_request_the_person_already_opened_is_not_doubled(bound, member_user):
    mia = bound.members.get(email="member@acme.example")
    cover_services.cover_request_create(
        rotation=bound, requester=mia, start=day(8), end=day(8, 20), actor=Actor(label="member@acme.example")
    )
    mia_away(member_user, day(8, 0), day(9, 0))

    assert time_off_covers_open() == 0
    assert CoverRequest.objects.count() == 1


def test_the_request_s_creation_is_announced_after_commit(bound, member_user, django_capture_on_commit_callbacks):
    heard = []

    def listener(sender, event, cover_request_id, **kwargs):
        heard.append((event, cover_request_id))

    signals.cover_request_changed.connect(listener)
    try:
        mia_away(member_user, day(8, 0), day(9, 0))
        with django_capture_on_commit_callbacks(execute=True):
            time_off_covers_open()
    finally:
        signals.cover_request_changed.disconnect(listener)
    assert heard == [("created", CoverRequest.objects.get().pk)]


def test_beat_runs_the_task_every_ten_minutes(bound, member_user):
    from config.celery import app

    app.loader.import_default_modules()
    entry = django_settings.CELERY_BEAT_SCHEDULE["covers-time-off"]
    assert entry["schedule"] == dt.timedelta(minutes=10)
    mia_away(member_user, day(8, 0), day(9, 0))
    assert app.tasks[entry["task"]].delay().get() == 1
    assert CoverRequest.objects.count() == 1


def test_deleting_time_off_cancels_its_requests_nobody_took_and_keeps_a_taken_one(bound, member_user, org, client):
    away = mia_away(member_user, day(7, 0), day(11, 14))
    time_off_covers_open()
    taken, untaken = CoverRequest.objects.order_by("start")
    bo = bound.members.get(email="bo@acme.example")
    bound.pagerduty_schedule_id = ""  # taken as in a rotation Roster writes itself (no PagerDuty here)
    bound.save(update_fields=["pagerduty_schedule_id"])
    Override.objects.create(rotation=bound, member=taken.requester, start=taken.start, end=taken.end)  # still Mia's
    cover_services.cover_request_take(cover_request_id=taken.pk, taker=bo, actor=Actor(label="bo@acme.example"))

    client.force_login(member_user)
    page = client.get("/settings/time-off/").content.decode()
    assert "nobody has taken are cancelled" in page  # what the Delete dialog says
    response = client.post(f"/settings/time-off/{away.pk}/delete/", {"confirm": "on"})

    assert response.status_code == 302
    taken.refresh_from_db()
    untaken.refresh_from_db()
    assert (taken.status, untaken.status) == ("taken", "cancelled")  # Bo still covers 8 March
    assert untaken.cancelled_by == "system (time off deleted)"
