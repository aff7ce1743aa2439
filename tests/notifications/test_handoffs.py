"""Every way a handoff happens records one Handoff, and notifications hear of it once."""

import datetime as dt

import pytest

from rotations import services, signals, sync
from rotations.models import Handoff, Rotation, Shift
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def recorded(rotation):
    return list(Handoff.objects.filter(rotation=rotation).order_by("at").values_list("at", "to_label"))


ANA = "Ana Ortiz <ana@acme.example>"
BO = "Bo Chen <bo@acme.example>"
CY = "Cy Diaz <cy@acme.example>"


def test_an_override_in_progress_is_a_handoff_within_a_minute_and_so_is_its_end(rotation, frozen):
    sync.record_handoffs()
    bo = rotation.members.get(email="bo@acme.example")
    services.override_create(rotation=rotation, member_id=bo.pk, start=NOW - H, end=NOW + 2 * H)

    assert sync.record_handoffs() == 1
    assert sync.record_handoffs() == 0
    frozen.move_to(NOW + 2 * H + dt.timedelta(minutes=1))
    assert sync.record_handoffs() == 1

    assert recorded(rotation) == [(NOW - 3 * H, ANA), (NOW - H, BO), (NOW + 2 * H, ANA)]


def test_skipping_the_turn_in_progress_hands_over_to_the_next_person(rotation, frozen):
    sync.record_handoffs()
    services.skip_create(rotation=rotation, turn_start=NOW - 3 * H)

    assert sync.record_handoffs() == 1

    assert recorded(rotation)[-1][1] == BO
    assert Handoff.objects.filter(rotation=rotation).count() == 2


def test_a_bound_rotation_hands_over_from_its_stored_shifts_and_the_next_sync_does_not_record_it_again(org, frozen):
    rotation = services.rotation_create(organization=org, name="Bound", time_zone="UTC", members=[])
    Rotation.objects.filter(pk=rotation.pk).update(pagerduty_schedule_id="PI7DH85", last_sync_ok=True)
    rotation.refresh_from_db()
    Shift.objects.create(rotation=rotation, start=NOW - H, end=NOW + H, person_name="Ana", pagerduty_user_id="PA")
    Shift.objects.create(rotation=rotation, start=NOW + H, end=NOW + 5 * H, person_name="Bo", pagerduty_user_id="PB")

    assert sync.record_handoffs() == 1
    frozen.move_to(NOW + H)
    assert sync.record_handoffs() == 1
    slots = sync.timeline(rotation, since=NOW, until=NOW + 5 * H)
    assert sync.record_handoff(rotation, slots, NOW + H) is None  # what the sync would record: already there

    assert recorded(rotation) == [(NOW - H, "Ana"), (NOW + H, "Bo")]


def test_a_bound_rotation_whose_sync_fails_is_left_to_the_sync(org, frozen):
    rotation = services.rotation_create(organization=org, name="Bound", time_zone="UTC", members=[])
    Rotation.objects.filter(pk=rotation.pk).update(pagerduty_schedule_id="PI7DH85", last_sync_ok=False)
    assert sync.record_handoffs() == 0  # stale shifts might say "nobody": no handoff from them


def test_a_recorded_change_is_not_recorded_again_even_when_its_instant_is_unknown(rotation, frozen):
    slots = sync.timeline(rotation, since=NOW - H, until=NOW + H)
    Handoff.objects.create(rotation=rotation, at=NOW - H, to_label="Someone", to_key="someone")
    # Ana's turn started before the last recorded handoff: the instant falls back to "now".
    first = sync.record_handoff(rotation, slots, NOW)
    again = sync.record_handoff(rotation, slots, NOW + dt.timedelta(seconds=30))

    assert first is not None and first.at == NOW and again is None
    assert Handoff.objects.filter(rotation=rotation).count() == 2


def test_listeners_hear_of_each_new_handoff_once_after_its_commit(rotation, frozen, django_capture_on_commit_callbacks):
    heard = []

    def listener(sender, handoff_id, **kwargs):
        heard.append(handoff_id)

    signals.handoff_recorded.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            sync.record_handoffs()
        assert heard == []  # not before the commit
        for callback in callbacks:
            callback()
        with django_capture_on_commit_callbacks(execute=True):
            sync.record_handoffs()  # nothing changed
            frozen.move_to(NOW + 24 * H)
            sync.record_handoffs()
    finally:
        signals.handoff_recorded.disconnect(listener)
    assert heard == list(Handoff.objects.filter(rotation=rotation).order_by("at").values_list("id", flat=True))
    assert len(heard) == 2


def test_a_failing_listener_does_not_stop_the_others(rotation, django_capture_on_commit_callbacks):
    heard = []

    def broken(sender, handoff_id, **kwargs):
        raise RuntimeError("down")

    def listener(sender, handoff_id, **kwargs):
        heard.append(handoff_id)

    signals.handoff_recorded.connect(broken)
    signals.handoff_recorded.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            sync.record_handoffs()
    finally:
        signals.handoff_recorded.disconnect(broken)
        signals.handoff_recorded.disconnect(listener)
    assert len(heard) == 1
