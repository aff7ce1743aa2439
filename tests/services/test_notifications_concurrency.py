"""On PostgreSQL, with threads: two workers claiming one notification deliver it once, and two
processes recording the same change record one handoff."""

import datetime as dt

import pytest

from notifications import services
from notifications.models import Notification
from rotations import cadence, sync
from rotations import services as rotation_services
from rotations.models import Handoff
from tests.notifications import channel
from tests.threads import run_together

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql")]
THREADS = 4


outbox = channel.outbox  # the test channel's fixture


@pytest.fixture
def rotation(org):
    # Started yesterday: Ana is on call whatever the time of day the test runs (a rotation starting
    # today would have nobody on call before its 09:00 handoff).
    return rotation_services.rotation_create(
        organization=org,
        name="Platform",
        time_zone="UTC",
        members=[("Ana Ortiz", "ana@acme.example")],
        start_date=dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1),
    )


def a_handoff(rotation) -> Handoff:
    """Recorded without its nudge (which would deliver at once, in-process)."""
    return Handoff.objects.create(rotation=rotation, at=dt.datetime.now(dt.UTC), to_label="Ana", to_key="m1")


def test_workers_claiming_the_same_notification_at_once_deliver_it_once(rotation, outbox, monkeypatch):
    services.notifications_fan_out(handoff_id=a_handoff(rotation).pk)
    row = Notification.objects.get(kind="test.message")
    outcomes = []

    def deliver():
        outcomes.append(str(services.notification_deliver(notification_id=row.pk).status))

    assert not run_together(monkeypatch, services, "_claim", [deliver] * THREADS)

    assert sorted(outcomes) == ["not_due"] * (THREADS - 1) + ["sent"]
    assert [kind for kind, _, _ in outbox.sent] == ["test.message"]
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)


def test_overlapping_fan_outs_make_each_notification_once(rotation, outbox, monkeypatch):
    handoff_id = a_handoff(rotation).pk

    assert not run_together(
        monkeypatch,
        services,
        "notifications_create",
        [lambda: services.notifications_fan_out(handoff_id=handoff_id)] * THREADS,
    )

    assert Notification.objects.count() == 2


def test_syncs_recording_the_same_change_at_once_record_one_handoff(rotation, monkeypatch):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    slots = sync.timeline(rotation, since=now - dt.timedelta(days=1), until=now + dt.timedelta(days=1))
    # The last recorded handoff is after Ana's turn began, so each recorder dates the change "now".
    Handoff.objects.create(rotation=rotation, at=now - dt.timedelta(seconds=10), to_label="Someone", to_key="x")
    moments = [now + dt.timedelta(seconds=i) for i in range(THREADS)]

    assert not run_together(
        monkeypatch,
        cadence,
        "on_call_at",
        [lambda moment=moment: sync.record_handoff(rotation, slots, moment) for moment in moments],
    )

    assert Handoff.objects.filter(rotation=rotation, to_label="Ana Ortiz <ana@acme.example>").count() == 1
