"""Upcoming shifts (notifications/upcoming.py): reminders made once per (shift, reminder) for native
and PagerDuty-bound rotations, skipped when their shift is gone, and moved shifts found by
diffing a snapshot. Driven through a test channel registered with the two extension points."""

import datetime as dt

import pytest
from django.conf import settings

from notifications import registry, services, tasks, upcoming
from notifications.models import Notification, ShiftSnapshot
from rotations import services as rotations
from rotations.models import Member, Rotation, Shift
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
REMINDER = registry.Kind("test.reminder", "Test reminder")
MOVED = registry.Kind("test.moved", "Test shift moved")


class Reminders(registry.Channel):
    """A channel reminding each person `hours` before their shifts of the rotations in `leads`."""

    key = "test"
    kinds = (REMINDER, MOVED)

    def __init__(self):
        self.lead_times: dict[int, dt.timedelta] = {}
        self.watching: set[int] = set()
        self.sent: list[tuple[str, str]] = []
        self.changes: list[registry.ShiftChange] = []

    def leads(self):
        return dict(self.lead_times)

    def watched(self):
        return set(self.watching)

    def plan_upcoming(self, rotation, shift):
        if shift.lead <= self.lead_times[rotation.pk]:
            yield registry.Planned("test", f"person:{shift.person.key}", REMINDER.key, {"who": shift.person.name})

    def plan_shift_changed(self, rotation, change):
        self.changes.append(change)
        yield registry.Planned("test", f"person:{change.person.key}", MOVED.key, {"who": change.person.name})

    def send(self, row):
        self.sent.append((row.kind, row.payload["who"]))


@pytest.fixture
def reminders():
    channel = Reminders()
    registry.register(channel)
    yield channel
    registry.unregister("test")


def rows(rotation):
    return list(Notification.objects.filter(rotation=rotation).order_by("source_at").values_list("source", "status"))


def test_a_reminder_is_made_once_when_the_shift_is_within_the_lead_and_sent_once(rotation, reminders, frozen):
    reminders.lead_times[rotation.pk] = 2 * H
    assert tasks.upcoming()["reminders"] == 0  # Bo starts tomorrow 09:00: not within 2 hours yet

    frozen.move_to(dt.datetime(2026, 3, 7, 7, 30, tzinfo=dt.UTC))
    tasks.upcoming()
    frozen.move_to(dt.datetime(2026, 3, 7, 7, 31, tzinfo=dt.UTC))
    assert tasks.upcoming()["reminders"] == 0  # the next minute's scan makes nothing new

    bo = Member.objects.get(email="bo@acme.example")
    assert rows(rotation) == [(f"shift:2026-03-07T09:00:00+00:00:m{bo.pk}", "sent")]
    assert reminders.sent == [("test.reminder", "Bo Chen")]
    row = Notification.objects.get()
    assert row.payload["shift"] == {
        "start": "2026-03-07T09:00:00+00:00",
        "end": "2026-03-08T09:00:00+00:00",
        "person": {"key": f"m{bo.pk}", "name": "Bo Chen", "email": "bo@acme.example"},
    }
    assert row.payload["rotation"] == {"id": rotation.pk, "name": "Platform"}


def test_a_pagerduty_bound_rotation_reminds_from_its_stored_shifts(org, reminders, frozen):
    rotation = rotations.rotation_create(organization=org, name="Bound", time_zone="UTC", members=[])
    Rotation.objects.filter(pk=rotation.pk).update(pagerduty_schedule_id="PI7DH85", last_sync_ok=True)
    Shift.objects.create(rotation=rotation, start=NOW - H, end=NOW + H, person_name="Ana", pagerduty_user_id="PA")
    # Two PagerDuty entries of Bo back to back (a layer boundary) are one shift, one reminder.
    Shift.objects.create(rotation=rotation, start=NOW + H, end=NOW + 3 * H, person_name="Bo", pagerduty_user_id="PB")
    Shift.objects.create(
        rotation=rotation, start=NOW + 3 * H, end=NOW + 5 * H, person_name="Bo", pagerduty_user_id="PB"
    )
    Shift.objects.create(rotation=rotation, start=NOW + 5 * H, end=NOW + 9 * H, is_gap=True)
    reminders.lead_times[rotation.pk] = 6 * H

    tasks.upcoming()
    tasks.upcoming()

    assert rows(rotation) == [("shift:2026-03-06T13:00:00+00:00:pd:PB", "sent")]
    assert reminders.sent == [("test.reminder", "Bo")]


def test_a_reminder_whose_shift_moved_before_it_was_delivered_is_skipped_with_the_reason(rotation, reminders, frozen):
    reminders.lead_times[rotation.pk] = 24 * H
    made = upcoming.upcoming_scan()  # the worker is down: nothing delivers it yet
    cy = rotation.members.get(email="cy@acme.example")
    rotations.override_create(rotation=rotation, member_id=cy.pk, start=NOW + 20 * H, end=NOW + 22 * H)

    outcome = services.notification_deliver(notification_id=made[0])

    assert outcome.status == "skipped" and reminders.sent == []
    assert Notification.objects.get(pk=made[0]).last_error == (
        "Not sent: this shift no longer exists (it moved, or someone else took it)."
    )


def test_a_reminder_delivered_after_its_shift_started_is_skipped(rotation, reminders, frozen):
    reminders.lead_times[rotation.pk] = 24 * H
    made = upcoming.upcoming_scan()
    frozen.move_to(NOW + 22 * H)

    assert services.notification_deliver(notification_id=made[0]).status == "skipped"
    assert "already started" in Notification.objects.get(pk=made[0]).last_error


def test_a_retried_reminder_is_sent_once(rotation, reminders, frozen):
    reminders.lead_times[rotation.pk] = 24 * H
    failures = [registry.SendError("The mail server is down.")]
    send = reminders.send

    def flaky(row):
        if failures:
            raise failures.pop()
        send(row)

    reminders.send = flaky
    made = upcoming.upcoming_scan()
    assert services.notification_deliver(notification_id=made[0]).status == "pending"
    frozen.move_to(NOW + 2 * H)
    assert upcoming.upcoming_scan() == []  # the row exists: the scan makes nothing
    tasks.sweep()  # the retry is due: the sweep queues it
    tasks.sweep()

    assert reminders.sent == [("test.reminder", "Bo Chen")]
    assert Notification.objects.get().status == "sent"


def test_an_override_moves_shifts_and_each_person_hears_once(rotation, reminders, frozen):
    reminders.watching.add(rotation.pk)
    assert tasks.upcoming()["moved"] == 0  # the first scan takes the snapshot
    assert ShiftSnapshot.objects.filter(rotation=rotation).exists()

    cy = rotation.members.get(email="cy@acme.example")
    rotations.override_create(rotation=rotation, member_id=cy.pk, start=NOW + 24 * H, end=NOW + 30 * H)
    frozen.move_to(NOW + dt.timedelta(minutes=1))
    assert tasks.upcoming()["moved"] == 2  # Bo lost 6 hours, Cy gained them
    frozen.move_to(NOW + dt.timedelta(minutes=2))
    assert tasks.upcoming()["moved"] == 0

    assert sorted(reminders.sent) == [("test.moved", "Bo Chen"), ("test.moved", "Cy Diaz")]
    bo = next(c for c in reminders.changes if c.person.name == "Bo Chen")
    d = dt.datetime
    assert bo.before == ((d(2026, 3, 7, 9, tzinfo=dt.UTC), d(2026, 3, 8, 9, tzinfo=dt.UTC)),)
    assert bo.after == (
        (d(2026, 3, 7, 9, tzinfo=dt.UTC), d(2026, 3, 7, 12, tzinfo=dt.UTC)),
        (d(2026, 3, 7, 18, tzinfo=dt.UTC), d(2026, 3, 8, 9, tzinfo=dt.UTC)),
    )
    assert Notification.objects.filter(source__startswith="moved:1:").count() == 2


def test_a_resync_that_moves_a_shift_is_found_and_time_passing_is_not(org, reminders, frozen):
    rotation = rotations.rotation_create(organization=org, name="Bound", time_zone="UTC", members=[])
    Rotation.objects.filter(pk=rotation.pk).update(pagerduty_schedule_id="PI7DH85", last_sync_ok=True)
    Shift.objects.create(rotation=rotation, start=NOW + H, end=NOW + 5 * H, person_name="Bo", pagerduty_user_id="PB")
    reminders.watching.add(rotation.pk)
    upcoming.shift_changes_scan()
    for hours in (2, 6, 30):  # Bo's shift starts, ends; a day later the snapshot is retaken
        frozen.move_to(NOW + hours * H)
        assert upcoming.shift_changes_scan() == []

    Shift.objects.create(
        rotation=rotation, start=NOW + 40 * H, end=NOW + 44 * H, person_name="Bo", pagerduty_user_id="PB"
    )
    later = Shift.objects.create(
        rotation=rotation, start=NOW + 60 * H, end=NOW + 64 * H, person_name="Bo", pagerduty_user_id="PB"
    )
    made = upcoming.shift_changes_scan()
    assert len(made) == 1  # a re-sync gave Bo two new shifts: one change for Bo
    Shift.objects.filter(pk=later.pk).update(start=NOW + 70 * H, end=NOW + 74 * H)  # the next re-sync moves one
    assert len(upcoming.shift_changes_scan()) == 1

    assert [c.person.key for c in reminders.changes] == ["pd:PB", "pd:PB"]
    assert [len(c.before) for c in reminders.changes] == [0, 1] and [len(c.after) for c in reminders.changes] == [2, 1]
    assert reminders.changes[1].after == ((NOW + 70 * H, NOW + 74 * H),)


def test_the_scan_reads_a_thousand_rotations_in_a_fixed_number_of_queries(
    org, reminders, frozen, django_assert_max_num_queries
):
    made = Rotation.objects.bulk_create(
        [
            Rotation(
                organization=org, name=f"R{i}", time_zone="UTC", cadence_unit="days", start_date=dt.date(2026, 3, 1)
            )
            for i in range(1000)
        ]
    )
    Member.objects.bulk_create([Member(rotation=r, name="Ana", email="ana@acme.example") for r in made])
    reminders.lead_times.update({r.pk: dt.timedelta(minutes=30) for r in made})  # nobody starts within 30 minutes
    reminders.watching.update(r.pk for r in made)
    # One query per installed channel's leads()/watched() (Slack, email, outgoing webhooks), plus the scan's own
    # (the organization's time off: one).
    with django_assert_max_num_queries(10):
        assert upcoming.upcoming_scan() == []
    upcoming.shift_changes_scan()
    with django_assert_max_num_queries(10):
        assert upcoming.shift_changes_scan() == []


def test_the_beat_runs_the_scan_every_minute_and_every_beat_task_is_registered():
    from config.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-upcoming"]
    assert entry["task"] == "notifications.tasks.upcoming" and entry["schedule"] == dt.timedelta(minutes=1)
    assert {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()} <= set(app.tasks)
