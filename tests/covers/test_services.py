"""Cover requests on a native rotation: ask (each rule names its field), take (atomic: the loser
hears who was faster), swap (both changes or neither), cancel, expire and the warning before."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

from accounts.models import AuditEvent
from covers import services, signals
from covers.models import CoverRequest
from rotations import services as rotation_services
from rotations.models import Override
from tests.conftest import NOW

from .conftest import ACTOR, H, ada, bo, mia, on_call_at, shifts_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    """The (event, id) pairs sent by cover_request_changed."""
    heard: list[tuple[str, int]] = []

    def listener(sender, event, cover_request_id, **kwargs):
        heard.append((event, cover_request_id))

    signals.cover_request_changed.connect(listener, weak=False, dispatch_uid="test-listener")
    yield heard
    signals.cover_request_changed.disconnect(dispatch_uid="test-listener")


def ask(rotation, *, window=None, note="", who=None):
    start, end = window or shifts_of(rotation, who or mia(rotation))[0]
    return services.cover_request_create(
        rotation=rotation, requester=who or mia(rotation), start=start, end=end, note=note, actor=ACTOR
    )


def refused(call) -> services.CoverError:
    with pytest.raises(services.CoverError) as error:
        call()
    return error.value


# --- ask ----------------------------------------------------------------------------------------


def test_asking_for_part_of_a_shift_records_the_request_audits_and_tells_listeners(
    rotation, events, django_capture_on_commit_callbacks
):
    start, end = shifts_of(rotation, mia(rotation))[0]

    with django_capture_on_commit_callbacks(execute=True):
        made = ask(rotation, window=(start + 2 * H, start + 5 * H), note="Dentist")

    assert (made.status, made.requester_name, made.note) == ("open", "Mia Member", "Dentist")
    assert (made.start, made.end) == (start + 2 * H, start + 5 * H)
    assert events == [("created", made.pk)]
    audit = AuditEvent.objects.get(action="cover_request.created")
    assert "Mia Member asked for cover in Platform" in audit.summary


@pytest.mark.parametrize(
    ("change", "field", "code", "status"),
    [
        (lambda s, e: (s, s), "end", "invalid_range", 422),
        (lambda s, e: (NOW - 3 * H, NOW + H), "start", "in_the_past", 409),
        (lambda s, e: (s + dt.timedelta(days=1), e + dt.timedelta(days=1)), "start", "not_on_call", 409),
        (lambda s, e: (s, s + dt.timedelta(days=200)), "end", "too_far_ahead", 409),
    ],
    ids=["ends-before-it-starts", "in-the-past", "not-on-call", "too-far-ahead"],
)
def test_an_ask_against_a_rule_is_refused_naming_the_field(rotation, change, field, code, status):
    start, end = shifts_of(rotation, mia(rotation))[0]

    error = refused(lambda: ask(rotation, window=change(start, end)))

    assert (error.field, error.code, error.status) == (field, code, status)
    assert not CoverRequest.objects.exists()


def test_a_note_over_500_characters_is_refused(rotation):
    assert refused(lambda: ask(rotation, note="x" * 501)).field == "note"


def test_a_member_of_another_rotation_cannot_ask(rotation, org):
    other = rotation_services.rotation_create(
        organization=org, name="Other", time_zone="UTC", members=[("Zed", "zed@acme.example")]
    )
    start, end = shifts_of(rotation, mia(rotation))[0]

    error = refused(
        lambda: services.cover_request_create(
            rotation=rotation, requester=other.members.get(), start=start, end=end, actor=ACTOR
        )
    )

    assert error.field == "requester"


def test_an_overlapping_open_request_of_the_same_person_is_refused(rotation):
    start, end = shifts_of(rotation, mia(rotation))[0]
    ask(rotation, window=(start, start + 4 * H))

    error = refused(lambda: ask(rotation, window=(start + 3 * H, end)))

    assert (error.code, error.status) == ("overlapping_request", 409)
    assert "cancel that request first" in error.message


# --- take ---------------------------------------------------------------------------------------


def test_taking_puts_the_taker_on_call_at_once_audits_and_tells_listeners(
    rotation, events, django_capture_on_commit_callbacks
):
    start, end = shifts_of(rotation, mia(rotation))[0]
    made = ask(rotation, window=(start, start + 6 * H))

    with django_capture_on_commit_callbacks(execute=True):
        taken = services.cover_request_take(cover_request_id=made.pk, taker=bo(rotation), actor=ACTOR)

    assert (taken.status, taken.apply_state, taken.taker_name, taken.taken_by) == (
        "taken",
        "applied",
        "Bo Chen",
        "test",
    )
    assert on_call_at(rotation, start + H) == "Bo Chen"
    assert on_call_at(rotation, start + 7 * H) == "Mia Member"  # only the part asked for
    assert taken.native_override is not None and taken.native_override.member_id == bo(rotation).pk
    assert ("taken", made.pk) in events
    assert AuditEvent.objects.filter(action="cover_request.taken").count() == 1


def test_a_taker_who_lost_the_race_hears_who_was_faster_and_changes_nothing(rotation, monkeypatch):
    """The request read as open, but someone else's claim landed first: the conditional UPDATE (not
    the stale copy) decides."""
    made = ask(rotation)
    stale = services._load(made.pk)
    services.cover_request_take(cover_request_id=made.pk, taker=ada(rotation), actor=ACTOR)
    real_load = services._load
    loads = iter([stale])  # the take reads the request once before claiming: it still looks open
    monkeypatch.setattr(services, "_load", lambda pk: next(loads, None) or real_load(pk))

    error = refused(lambda: services.cover_request_take(cover_request_id=made.pk, taker=bo(rotation), actor=ACTOR))

    assert (error.code, error.status, error.message) == ("already_taken", 409, "Ada Admin took it first.")
    assert CoverRequest.objects.get().taker_name == "Ada Admin"
    assert Override.objects.filter(member=bo(rotation)).count() == 0


def test_nobody_takes_their_own_request(rotation):
    made = ask(rotation)

    error = refused(lambda: services.cover_request_take(cover_request_id=made.pk, taker=mia(rotation), actor=ACTOR))

    assert error.field == "taker"
    assert CoverRequest.objects.get().status == "open"


def test_a_cancelled_request_cannot_be_taken(rotation):
    made = ask(rotation)
    services.cover_request_cancel(cover_request=made, actor=ACTOR)

    error = refused(lambda: services.cover_request_take(cover_request_id=made.pk, taker=bo(rotation), actor=ACTOR))

    assert (error.code, error.status) == ("not_open", 409)


def test_a_request_for_a_shift_that_moved_cannot_be_taken(rotation):
    """Mia asked, then an admin put Ada on call for that day: Bo taking it would take Ada's shift."""
    made = ask(rotation)
    rotation_services.override_create(rotation=rotation, member_id=ada(rotation).pk, start=made.start, end=made.end)

    error = refused(lambda: services.cover_request_take(cover_request_id=made.pk, taker=bo(rotation), actor=ACTOR))

    assert (error.code, error.status) == ("not_on_call", 409)
    assert error.message.startswith("Mia Member is no longer on call in Platform from 2026-03-07 09:00 UTC")
    assert CoverRequest.objects.get().status == "open"
    assert on_call_at(rotation, made.start + H) == "Ada Admin"


# --- swap ---------------------------------------------------------------------------------------


def test_a_swap_gives_the_takers_shift_back_to_the_requester(rotation):
    made = ask(rotation)
    given = shifts_of(rotation, ada(rotation))[0]

    taken = services.cover_request_take(cover_request_id=made.pk, taker=ada(rotation), swap=given, actor=ACTOR)

    assert (taken.swap_start, taken.swap_end) == given
    assert on_call_at(rotation, made.start + H) == "Ada Admin"
    assert on_call_at(rotation, given[0] + H) == "Mia Member"
    assert AuditEvent.objects.filter(action="cover_request.swapped").count() == 1


def test_a_swap_of_a_shift_the_taker_does_not_have_is_refused_and_nothing_changes(rotation):
    made = ask(rotation)
    not_hers = shifts_of(rotation, bo(rotation))[1]

    error = refused(
        lambda: services.cover_request_take(cover_request_id=made.pk, taker=ada(rotation), swap=not_hers, actor=ACTOR)
    )

    assert (error.field, error.code) == ("swap", "not_on_call")
    assert CoverRequest.objects.get().status == "open"
    assert not Override.objects.exists()


def test_a_swap_is_both_changes_or_neither(rotation, monkeypatch):
    made = ask(rotation)
    given = shifts_of(rotation, ada(rotation))[0]
    real = rotation_services.override_create
    calls = []

    def second_fails(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise rotation_services.RotationError("The schedule changed meanwhile.")
        return real(**kwargs)

    monkeypatch.setattr(rotation_services, "override_create", second_fails)

    error = refused(
        lambda: services.cover_request_take(cover_request_id=made.pk, taker=ada(rotation), swap=given, actor=ACTOR)
    )

    assert error.message == "The schedule changed meanwhile."
    assert len(calls) == 2
    assert not Override.objects.exists()  # the first one too
    assert CoverRequest.objects.get().status == "open"
    assert on_call_at(rotation, made.start + H) == "Mia Member"


# --- cancel -------------------------------------------------------------------------------------


def test_cancelling_an_open_request(rotation, events, django_capture_on_commit_callbacks):
    made = ask(rotation)

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = services.cover_request_cancel(cover_request=made, actor=ACTOR)

    assert (cancelled.status, cancelled.cancelled_by) == ("cancelled", "test")
    assert events == [("cancelled", made.pk)]
    assert AuditEvent.objects.filter(action="cover_request.cancelled").count() == 1
    assert refused(lambda: services.cover_request_cancel(cover_request=made, actor=ACTOR)).code == "not_open"


def test_a_cancel_that_meets_a_take_says_who_took_it_and_the_cover_stands(rotation, monkeypatch):
    """Mia pressed Cancel on her open request as Bo took it: Bo's cover is not silently undone
    (nor is a time off request's, when the time off is deleted at that moment)."""
    made = ask(rotation)
    stale = services._load(made.pk)
    services.cover_request_take(cover_request_id=made.pk, taker=bo(rotation), actor=ACTOR)
    real_load = services._load
    loads = iter([stale])
    monkeypatch.setattr(services, "_load", lambda pk: next(loads, None) or real_load(pk))

    error = refused(lambda: services.cover_request_cancel(cover_request=stale, actor=ACTOR))

    assert (error.code, error.message) == ("already_taken", "Bo Chen took it first.")
    assert CoverRequest.objects.get().status == "taken"
    assert on_call_at(rotation, made.start + H) == "Bo Chen"


@pytest.mark.parametrize(
    ("later", "said", "who_then"),
    [
        (dt.timedelta(0), "The override was deleted from the schedule.", "Mia Member"),
        (dt.timedelta(hours=24), "The override was in progress: it was cut at 2026-03-07 12:00 UTC.", "Mia Member"),
        (dt.timedelta(days=2), "The override was already over, so it is left in the schedule.", "Bo Chen"),
    ],
    ids=["future-deleted", "in-progress-cut", "past-left"],
)
def test_cancelling_a_taken_request_undoes_its_override_as_far_as_time_allows(rotation, frozen, later, said, who_then):
    made = ask(rotation)
    services.cover_request_take(cover_request_id=made.pk, taker=bo(rotation), actor=ACTOR)
    frozen.move_to(NOW + later)

    cancelled = services.cover_request_cancel(cover_request=CoverRequest.objects.get(), actor=ACTOR)

    assert cancelled.status == "cancelled"
    assert cancelled.apply_message == said
    if later == dt.timedelta(hours=24):  # Bo covered until now; Mia has the rest back
        assert on_call_at(rotation, NOW + later - H) == "Bo Chen"
        assert on_call_at(rotation, NOW + later + H) == "Mia Member"
    else:
        assert on_call_at(rotation, made.start + H) == who_then


# --- expire -------------------------------------------------------------------------------------


def test_an_hour_before_the_start_nobody_took_it_is_said_once_then_it_expires_at_its_end(
    rotation, events, django_capture_on_commit_callbacks
):
    made = ask(rotation)
    taken = ask(rotation, who=ada(rotation))
    services.cover_request_take(cover_request_id=taken.pk, taker=bo(rotation), actor=ACTOR)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.cover_requests_warn_expiring(now=made.start - 2 * H) == 0
        assert services.cover_requests_warn_expiring(now=made.start - 30 * dt.timedelta(minutes=1)) == 1
        assert services.cover_requests_warn_expiring(now=made.start - 20 * dt.timedelta(minutes=1)) == 0
        assert services.cover_requests_expire(now=made.end - dt.timedelta(seconds=1)) == 0
        assert services.cover_requests_expire(now=made.end) == 1
        assert services.cover_requests_expire(now=made.end + H) == 0

    made.refresh_from_db()
    assert (made.status, made.expired_at) == ("expired", made.end)
    assert [e for e in events if e[0] in ("expiring", "expired")] == [("expiring", made.pk), ("expired", made.pk)]
    assert CoverRequest.objects.get(pk=taken.pk).status == "taken"  # a taken one never expires
    assert AuditEvent.objects.filter(action="cover_request.expired").count() == 1


def test_a_request_asked_from_now_is_taken_minutes_later_and_covered_from_the_take_to_its_end(rotation):
    start, end = shifts_of(rotation, bo(rotation), since=NOW - 3 * H)[0]  # Bo's turn under way: he falls ill
    made = ask(rotation, window=(NOW, end), who=bo(rotation))
    assert start < NOW
    take_at = NOW + dt.timedelta(minutes=7, seconds=3, microseconds=500)

    with time_machine.travel(take_at, tick=False):
        assert services.cover_requests_expire() == 0
        taken = services.cover_request_take(cover_request_id=made.pk, taker=mia(rotation), actor=ACTOR)

    cover_start = take_at.replace(microsecond=0)
    assert (taken.status, taken.start, taken.end) == ("taken", cover_start, end)
    override = Override.objects.get(pk=taken.native_override_id)
    assert (override.member.name, override.start, override.end) == ("Mia Member", cover_start, end)
    assert on_call_at(rotation, NOW + 5 * dt.timedelta(minutes=1)) == "Bo Chen"
    assert on_call_at(rotation, end - H) == "Mia Member"


def test_a_request_asked_from_the_next_minute_gets_no_nobody_took_it_yet_warning(rotation):
    _, end = shifts_of(rotation, bo(rotation), since=NOW - 3 * H)[0]
    made = ask(rotation, window=(NOW + dt.timedelta(minutes=1), end), who=bo(rotation))

    assert services.cover_requests_warn_expiring(now=NOW + dt.timedelta(seconds=20)) == 0
    assert services.cover_requests_warn_expiring(now=made.start + H) == 0
    assert CoverRequest.objects.get(pk=made.pk).expiry_warned_at is None


def test_a_request_under_way_can_be_taken_until_its_end_then_it_expires(rotation):
    made = ask(rotation)

    with time_machine.travel(made.end - dt.timedelta(seconds=1), tick=False):
        assert services.cover_requests_expire() == 0
    with time_machine.travel(made.end, tick=False):
        error = refused(lambda: services.cover_request_take(cover_request_id=made.pk, taker=bo(rotation), actor=ACTOR))
        assert services.cover_requests_expire() == 1

    assert (error.code, error.status, error.message) == (
        "not_open",
        409,
        "This cover request ended before anyone took it.",
    )
    made.refresh_from_db()
    assert (made.status, made.expired_at) == ("expired", made.end)


def test_the_beat_task_runs_every_minute_and_does_both(rotation, settings):
    from covers import tasks

    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "covers.tasks.expire")
    assert entry["schedule"] == dt.timedelta(minutes=1)
    made = ask(rotation)
    with time_machine.travel(made.end + H, tick=False):
        assert tasks.expire() == {"warned": 0, "expired": 1, "requeued": 0}


def test_a_window_across_the_skipped_hour_of_spring_forward_is_compared_in_real_time(rotation):
    # New York skips 02:00–03:00 on 8 March: 02:30 and 03:30 that day are both 07:30 UTC.
    new_york = zoneinfo.ZoneInfo("America/New_York")
    start, end = (dt.datetime(2026, 3, 8, hour, 30, tzinfo=new_york) for hour in (2, 3))

    error = refused(lambda: ask(rotation, window=(start, end)))

    assert (error.field, error.code, error.message) == ("end", "invalid_range", "The end must be after the start.")
    assert not CoverRequest.objects.exists()
