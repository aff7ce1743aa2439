"""Cover requests on PagerDuty-bound rotations, against the fake PagerDuty (tests/fake_pagerduty.py):
the override is written exactly once and the schedule re-read at once; a refused write keeps the
request open with a sentence; a taker PagerDuty does not know is refused before anything is written;
a swap is both overrides or neither; PagerDuty busy → pending, then the task finishes it once;
cancelling removes the override as PagerDuty allows (deleted, cut, past)."""

from __future__ import annotations

import contextlib
import datetime as dt
from unittest import mock

import pytest
import time_machine

from covers import services
from covers.models import CoverRequest
from integrations.pagerduty.models import PagerDutyConnection
from rotations import sync
from rotations.models import DueSchedule, Member, Rotation, Shift
from tests.conftest import new_member
from tests.factories import API_KEY
from tests.rotations.fake_schedules import FakeSchedule, install, users_by_query

from .conftest import ACTOR

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
USERS = {
    "PANA": ("Ana Ortiz", "ana@acme.example"),
    "PBO": ("Bo Chen", "bo@acme.example"),
    "PDAN": ("Dan Moe", "dan@acme.example"),
}
SCHEDULES = {"v2": "PCLASSIC", "v3": "PSHIFTS"}


@pytest.fixture
def fake(fake_pagerduty):
    fake_pagerduty.valid_keys[API_KEY] = {"id": "PANA", "name": "Ana Ortiz", "email": "ana@acme.example"}
    install(
        fake_pagerduty,
        schedules={
            "PCLASSIC": FakeSchedule(users=["PANA", "PBO"], time_zone="UTC"),
            "PSHIFTS": FakeSchedule(users=["PANA", "PBO"], kind="v3", time_zone="UTC"),
        },
        users=USERS,
    )
    fake_pagerduty.route("GET", r"/users", users_by_query)
    return fake_pagerduty


def bound(org, kind: str = "v2") -> Rotation:
    rotation = Rotation.objects.create(
        organization=org,
        name="Payments",
        time_zone="UTC",
        pagerduty_schedule_id=SCHEDULES[kind],
        pagerduty_schedule_kind=kind,
    )
    for position, (name, email) in enumerate(
        [("Ana Ortiz", "ana@acme.example"), ("Bo Chen", "bo@acme.example"), ("Dan Moe", "dan@acme.example")]
        + [("Eve Nopd", "eve@acme.example")]
    ):
        Member.objects.create(rotation=rotation, name=name, email=email, position=position)
    sync.sync_schedule(organization_id=org.pk, schedule_id=SCHEDULES[kind])
    rotation.refresh_from_db()
    return rotation


@pytest.fixture
def classic(org, pd_connection, fake):
    return bound(org, "v2")


def person(rotation, email) -> Member:
    return rotation.members.get(email=email)


def ana_turn(rotation, skip: int = 1) -> tuple[dt.datetime, dt.datetime]:
    """One of Ana's stored shifts from PagerDuty, a few turns ahead."""
    ana = person(rotation, "ana@acme.example")
    shifts = Shift.objects.filter(rotation=rotation, member=ana, start__gt=dt.datetime.now(dt.UTC)).order_by("start")
    shift = shifts[skip]
    return shift.start, shift.end


def bo_turn(rotation) -> tuple[dt.datetime, dt.datetime]:
    bo = person(rotation, "bo@acme.example")
    shift = Shift.objects.filter(rotation=rotation, member=bo, start__gt=dt.datetime.now(dt.UTC)).order_by("start")[3]
    return shift.start, shift.end


def stored_person_at(rotation, moment) -> str | None:
    shift = Shift.objects.filter(rotation=rotation, start__lte=moment, end__gt=moment).first()
    return shift.person_name if shift and not shift.is_gap else None


def ask(rotation, window=None) -> CoverRequest:
    start, end = window or ana_turn(rotation)
    return services.cover_request_create(
        rotation=rotation, requester=person(rotation, "ana@acme.example"), start=start, end=end, actor=ACTOR
    )


def take(rotation, made, email="dan@acme.example", swap=None) -> CoverRequest:
    return services.cover_request_take(cover_request_id=made.pk, taker=person(rotation, email), swap=swap, actor=ACTOR)


def writes(fake) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.log if r.method != "GET"]


# --- take ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["v2", "v3"])
def test_taking_writes_one_override_and_the_rotation_shows_the_taker_at_once(org, pd_connection, fake, kind):
    rotation = bound(org, kind)
    made = ask(rotation)

    taken = take(rotation, made)

    (override,) = fake.overrides_of(SCHEDULES[kind])
    assert (override.user_id, override.start, override.end) == ("PDAN", made.start, made.end)
    # Just claimed, nothing can have been written: the take creates without listing overrides first.
    assert not [r for r in fake.log if r.method == "GET" and r.path.endswith("/overrides")]
    assert (taken.status, taken.apply_state, taken.pagerduty_override_id) == ("taken", "applied", override.id)
    # The schedule was re-read in the same call: the stored shifts show Dan without waiting for beat.
    assert stored_person_at(rotation, made.start + H) == "Dan Moe"
    if kind == "v3":
        assert override.overridden_user_id == "PANA"
    pd_connection.refresh_from_db()
    assert pd_connection.capabilities["write_overrides"] == "yes"  # the card's "Write overrides: yes"


@contextlib.contextmanager
def django_on_commit_dropped():
    """What runs after the commit (the queued re-read) does not run."""
    with mock.patch("django.db.transaction.on_commit"):
        yield


def schedule_reads(fake) -> int:
    """Reads of a whole synced window (a v3 override's write reads only the shift it replaces)."""

    def days(r) -> float:
        since, until = (dt.datetime.fromisoformat(r.param(p).replace("Z", "+00:00")) for p in ("since", "until"))
        return (until - since) / dt.timedelta(days=1)

    reads = [r for r in fake.log if r.method == "GET" and "/schedules/" in r.path and "overrides" not in r.path]
    return sum(1 for r in reads if days(r) >= 2)


@pytest.mark.parametrize("kind", ["v2", "v3"])
@pytest.mark.parametrize("part", ["whole shift", "middle of a shift"])
def test_the_take_shows_the_override_without_reading_the_schedule_and_the_queued_re_read_agrees(
    org, pd_connection, fake, kind, part, django_capture_on_commit_callbacks
):
    rotation = bound(org, kind)
    start, end = ana_turn(rotation)
    if part == "middle of a shift":
        start, end = start + 2 * H, end - 2 * H
    made = ask(rotation, (start, end))
    reads_before = schedule_reads(fake)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        take(rotation, made)

    assert schedule_reads(fake) == reads_before  # nothing re-read inside the take
    people = [
        (s.start, s.end, s.person_name)
        for s in Shift.objects.filter(rotation=rotation, start__lt=end + H, end__gt=start - H)
    ]
    assert (start, end, "Dan Moe") in people
    if part == "middle of a shift":  # Ana keeps the edges of her turn, as PagerDuty's final schedule shows
        assert (made.start - 2 * H, start, "Ana Ortiz") in people and (end, made.end + 2 * H, "Ana Ortiz") in people
    due = DueSchedule.objects.get(organization=org, schedule_id=SCHEDULES[kind])
    assert due.priority == DueSchedule.Priority.NOW
    assert queued  # the drain that re-reads it, once the take commits

    run = sync.sync_schedule(organization_id=org.pk, schedule_id=SCHEDULES[kind])  # the confirming re-read

    assert run.ok and not run.changed  # PagerDuty shows what the take already showed
    assert stored_person_at(rotation, start + H) == "Dan Moe"


@pytest.mark.parametrize("kind", ["v2", "v3"])
def test_a_shift_under_way_asked_from_now_is_taken_minutes_later_and_pagerduty_gets_the_rest(
    org, pd_connection, fake, kind
):
    rotation = bound(org, kind)
    start, end = ana_turn(rotation)
    asked_at, take_at = start + H, start + H + dt.timedelta(minutes=4, seconds=10, microseconds=300)
    with time_machine.travel(asked_at, tick=False):
        made = ask(rotation, (asked_at, end))  # Ana falls ill an hour into her turn
    with time_machine.travel(take_at, tick=False):
        assert services.cover_requests_expire() == 0
        taken = take(rotation, made)

    (override,) = fake.overrides_of(SCHEDULES[kind])
    assert (override.user_id, override.start, override.end) == ("PDAN", take_at.replace(microsecond=0), end)
    assert (taken.status, taken.apply_state, taken.start, taken.end) == ("taken", "applied", override.start, end)
    assert stored_person_at(rotation, take_at + H) == "Dan Moe"
    assert stored_person_at(rotation, asked_at) == "Ana Ortiz"


def test_when_a_taken_shift_begins_the_minute_beat_hands_off_to_the_taker_without_a_re_read(classic, fake):
    made = ask(classic)
    with django_on_commit_dropped():
        take(classic, made)
    reads = schedule_reads(fake)

    with time_machine.travel(made.start + dt.timedelta(minutes=1), tick=False):
        sync.record_handoffs()

    assert classic.handoffs.order_by("-at").first().to_label == "Dan Moe <dan@acme.example>"
    assert schedule_reads(fake) == reads


def test_a_read_only_connection_keeps_the_request_open_and_says_why_with_a_link(classic, fake, pd_connection):
    fake.read_only_keys.add(API_KEY)
    made = ask(classic)

    with pytest.raises(services.CoverError) as refused:
        take(classic, made)

    assert (refused.value.code, refused.value.status) == ("write_refused", 409)
    made.refresh_from_db()
    assert (made.status, made.apply_state, made.taker_name) == ("open", "refused", "")
    assert "the connection may only read" in made.apply_message
    assert made.apply_message.endswith(
        "You can change the schedule in PagerDuty instead: https://acme.pagerduty.com/schedules/PCLASSIC"
    )
    assert refused.value.message == made.apply_message
    assert fake.overrides_of("PCLASSIC") == []
    pd_connection.refresh_from_db()
    assert pd_connection.capabilities["write_overrides"] == "no"


def test_a_taker_pagerduty_does_not_know_is_refused_before_anything_is_written(classic, fake):
    made = ask(classic)

    with pytest.raises(services.CoverError) as refused:
        take(classic, made, "eve@acme.example")

    assert (refused.value.code, refused.value.status) == ("no_pagerduty_user", 409)
    assert refused.value.message.startswith("Eve Nopd has no PagerDuty user with the email eve@acme.example")
    assert writes(fake) == []
    made.refresh_from_db()
    assert made.status == "open"


def test_a_connection_that_needs_reauthorization_is_refused_in_words(classic, fake, pd_connection):
    PagerDutyConnection.objects.filter(pk=pd_connection.pk).update(status=PagerDutyConnection.Status.NEEDS_REAUTH)
    made = ask(classic)

    with pytest.raises(services.CoverError) as refused:
        take(classic, made)

    assert refused.value.code == "write_refused"
    assert "re-authorization" in refused.value.message
    assert writes(fake) == []
    assert CoverRequest.objects.get().status == "open"


# --- swap ---------------------------------------------------------------------------------------


def test_a_swap_writes_both_overrides(classic, fake):
    made = ask(classic)
    given = bo_turn(classic)

    taken = take(classic, made, "bo@acme.example", swap=given)

    overrides = {(o.user_id, o.start, o.end) for o in fake.overrides_of("PCLASSIC")}
    assert overrides == {("PBO", made.start, made.end), ("PANA", *given)}
    assert taken.pagerduty_override_id and taken.swap_override_id
    assert stored_person_at(classic, given[0] + H) == "Ana Ortiz"
    assert stored_person_at(classic, made.start + H) == "Bo Chen"
    assert not sync.sync_schedule(organization_id=classic.organization_id, schedule_id="PCLASSIC").changed


def refuse_second_override(fake) -> list[str]:
    """PagerDuty refuses the second override created from now on (a swap's shift given back)."""
    posts: list[str] = []
    real = next(h for m, p, h in fake._routes if m == "POST" and p.pattern == r"^/schedules/(?P<id>\w+)/overrides$")

    def second_refused(fake_, request, match):
        posts.append(request.path)
        if len(posts) == 2:
            return 400, {"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["Overlaps"]}}
        return real(fake_, request, match)

    fake.route("POST", r"/schedules/(?P<id>\w+)/overrides", second_refused)
    return posts


def test_a_swap_whose_second_override_pagerduty_refuses_removes_the_first_and_reopens(classic, fake):
    made = ask(classic)
    posts = refuse_second_override(fake)

    with pytest.raises(services.CoverError) as refused:
        take(classic, made, "bo@acme.example", swap=bo_turn(classic))

    assert refused.value.code == "write_refused"
    assert len(posts) == 2
    assert fake.overrides_of("PCLASSIC") == []  # the first one was taken back
    made.refresh_from_db()
    assert (made.status, made.apply_state, made.pagerduty_override_id) == ("open", "refused", "")
    assert "PagerDuty refused to change schedule PCLASSIC" in made.apply_message


def test_a_half_done_swap_pagerduty_will_not_undo_is_kept_as_a_cover_and_says_so(classic, fake):
    made = ask(classic)
    given = bo_turn(classic)
    refuse_second_override(fake)
    fake.route(
        "DELETE",
        r"/schedules/(?P<id>\w+)/overrides/(?P<override>\w+)",
        lambda fake_, request, match: (403, {"error": {"message": "Access Denied", "code": 2010}}),
    )

    taken = take(classic, made, "bo@acme.example", swap=given)

    (override,) = fake.overrides_of("PCLASSIC")  # what PagerDuty holds: Bo covers Ana, nothing given back
    assert (override.user_id, override.start, override.end) == ("PBO", made.start, made.end)
    assert (taken.status, taken.apply_state, taken.pagerduty_override_id) == ("taken", "applied", override.id)
    assert (taken.swap_start, taken.swap_end, taken.swap_override_id) == (None, None, "")
    assert taken.apply_message.startswith("Bo Chen covers ") and "but the swap is not made" in taken.apply_message
    assert stored_person_at(classic, made.start + H) == "Bo Chen"
    assert stored_person_at(classic, given[0] + H) == "Bo Chen"  # Bo keeps his own shift


# --- transient trouble: pending, then exactly once ------------------------------------------------


def test_an_answer_lost_to_a_503_leaves_it_pending_and_the_task_adopts_the_override_once(
    classic, fake, django_capture_on_commit_callbacks
):
    made = ask(classic)
    real = next(h for m, p, h in fake._routes if m == "POST" and p.pattern == r"^/schedules/(?P<id>\w+)/overrides$")
    failures = []

    def created_then_503(fake_, request, match):
        answer = real(fake_, request, match)  # PagerDuty made it...
        if not failures:
            failures.append(request.path)
            return 503, {"error": {"message": "Service Unavailable"}}  # ...but the answer was lost
        return answer

    fake.route("POST", r"/schedules/(?P<id>\w+)/overrides", created_then_503)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        pending = take(classic, made)
    assert (pending.status, pending.apply_state, pending.pagerduty_override_id) == ("taken", "pending", "")

    for callback in queued:  # the apply task (in-process), then the signal
        callback()

    made.refresh_from_db()
    (override,) = fake.overrides_of("PCLASSIC")
    assert (made.apply_state, made.pagerduty_override_id) == ("applied", override.id)
    assert len([w for w in writes(fake) if w.startswith("POST")]) == 1  # adopted, not created again
    assert stored_person_at(classic, made.start + H) == "Dan Moe"


def test_a_worker_that_died_after_pagerduty_created_the_override_leaves_one_override(classic, fake):
    made = ask(classic)
    dan = person(classic, "dan@acme.example")
    CoverRequest.objects.filter(pk=made.pk).update(
        status="taken", taker=dan, taker_name=dan.name, taker_email=dan.email, apply_state="pending"
    )
    fake.override("PCLASSIC", made.start, made.end, "PDAN")  # written before the worker died; id never stored

    from covers import tasks

    assert tasks.apply_cover.delay(made.pk).get() == "applied"
    assert tasks.apply_cover.delay(made.pk).get() == "applied"  # a duplicate message changes nothing

    (override,) = fake.overrides_of("PCLASSIC")
    made.refresh_from_db()
    assert made.pagerduty_override_id == override.id
    assert not [w for w in writes(fake) if w.startswith("POST")]


def test_pagerduty_throttling_the_take_leaves_it_pending_for_the_task(classic, fake):
    made = ask(classic)
    fake.route(
        "POST",
        r"/schedules/(?P<id>\w+)/overrides",
        lambda f, r, m: (429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}}, {"Retry-After": "30"}),
    )

    pending = take(classic, made)

    assert (pending.status, pending.apply_state) == ("taken", "pending")
    assert fake.overrides_of("PCLASSIC") == []


# --- cancel -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pagerduty_now", "said"),
    [
        (None, "The override was deleted from PagerDuty’s schedule."),
        (lambda start, end: start + H, "The override was in progress: it was cut at"),
        (lambda start, end: end + H, "The override was already over, so it is left in PagerDuty."),
    ],
    ids=["deleted", "cut", "past"],
)
def test_cancelling_a_taken_request_removes_its_override_as_pagerduty_allows(classic, fake, pagerduty_now, said):
    made = ask(classic)
    take(classic, made)
    if pagerduty_now is not None:  # PagerDuty's clock: the override has started, or is over
        fake.now = lambda: pagerduty_now(made.start, made.end)

    cancelled = services.cover_request_cancel(cover_request=made, actor=ACTOR)

    assert cancelled.status == "cancelled"
    assert cancelled.apply_message.startswith(said)
    if pagerduty_now is None:
        assert fake.overrides_of("PCLASSIC") == []
        assert stored_person_at(classic, made.start + H) == "Ana Ortiz"  # re-read at once


def test_a_removal_pagerduty_refuses_leaves_the_request_taken(classic, fake):
    made = ask(classic)
    take(classic, made)
    fake.read_only_keys.add(API_KEY)

    with pytest.raises(services.CoverError) as refused:
        services.cover_request_cancel(cover_request=made, actor=ACTOR)

    assert refused.value.code == "write_refused"
    made.refresh_from_db()
    assert made.status == "taken"
    assert len(fake.overrides_of("PCLASSIC")) == 1


# --- through the API ----------------------------------------------------------------------------


def test_the_api_answers_a_refused_write_with_the_sentence_and_the_schedule_link(classic, fake, admin_client):
    fake.read_only_keys.add(API_KEY)
    made = ask(classic)

    answer = admin_client.post(
        f"/api/cover-requests/{made.pk}/take",
        {"takerId": person(classic, "dan@acme.example").pk},
        content_type="application/json",
    )

    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "write_refused" and "may only read" in body["message"]
    assert body["pagerdutyScheduleUrl"] == "https://acme.pagerduty.com/schedules/PCLASSIC"
    shown = admin_client.get(f"/api/cover-requests/{made.pk}").json()
    assert (shown["status"], shown["applyState"], shown["applyMessage"]) == ("open", "refused", body["message"])


def test_the_api_answers_202_while_pagerduty_is_busy(classic, fake, admin_client):
    made = ask(classic)
    fake.route(
        "POST",
        r"/schedules/(?P<id>\w+)/overrides",
        lambda f, r, m: (503, {"error": {"message": "Service Unavailable"}}),
    )

    answer = admin_client.post(
        f"/api/cover-requests/{made.pk}/take",
        {"takerId": person(classic, "dan@acme.example").pk},
        content_type="application/json",
    )

    assert answer.status_code == 202
    assert (answer.json()["status"], answer.json()["applyState"]) == ("taken", "pending")


def test_a_take_on_the_page_while_pagerduty_is_busy_promises_no_time(classic, fake, client, org):
    """The write is retried as PagerDuty allows (its Retry-After) and may be refused in the end: the page
    says what Slack's answer says, not "in a moment"."""
    made = ask(classic)
    fake.route(
        "POST",
        r"/schedules/(?P<id>\w+)/overrides",
        lambda f, r, m: (429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}}, {"Retry-After": "600"}),
    )
    client.force_login(new_member(org, "dan@acme.example"))

    page = client.post(f"/rotations/{classic.pk}/cover-requests/{made.pk}/take/", follow=True).content.decode()

    assert (
        "PagerDuty is busy, so Roster writes it to PagerDuty as soon as PagerDuty lets it; if PagerDuty refuses "
        "it, you are told and the request is open again." in page
    )
    assert "in a moment" not in page


def test_when_the_retries_run_out_what_was_written_is_taken_back_and_the_request_reopens(classic, fake):
    made = ask(classic)
    given = bo_turn(classic)
    real = next(h for m, p, h in fake._routes if m == "POST" and p.pattern == r"^/schedules/(?P<id>\w+)/overrides$")
    posts = []

    def second_unavailable(fake_, request, match):
        posts.append(request.path)
        return (503, {"error": {"message": "Service Unavailable"}}) if len(posts) >= 2 else real(fake_, request, match)

    fake.route("POST", r"/schedules/(?P<id>\w+)/overrides", second_unavailable)
    pending = take(classic, made, "bo@acme.example", swap=given)
    assert (pending.apply_state, len(fake.overrides_of("PCLASSIC"))) == ("pending", 1)  # the cover, not the swap

    services.cover_request_apply_gave_up(cover_request_id=made.pk, error=Exception("PagerDuty could not be reached."))

    made.refresh_from_db()
    assert (made.status, made.apply_state, made.pagerduty_override_id) == ("open", "refused", "")
    assert made.apply_message.startswith("PagerDuty could not be reached for a long time")
    assert fake.overrides_of("PCLASSIC") == []


def test_beat_queues_again_a_pending_apply_whose_message_was_lost(classic, fake):
    import time_machine

    from covers import tasks

    made = ask(classic)
    fake.route("POST", r"/schedules/(?P<id>\w+)/overrides", lambda f, r, m: (503, {"error": {"message": "Down"}}))
    take(classic, made)  # pending; its task message is lost (on_commit never ran here)
    del fake._routes[0]  # PagerDuty is back

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)):
        assert tasks.expire()["requeued"] == 0  # a task may still be waiting to retry
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=21)):
        assert tasks.expire()["requeued"] == 1

    made.refresh_from_db()
    assert made.apply_state == "applied"
    assert len(fake.overrides_of("PCLASSIC")) == 1


def test_a_take_the_task_applies_later_is_announced_once_applied(classic, fake, django_capture_on_commit_callbacks):
    """The Slack message, emails and outgoing event of a take follow the schedule's change when the
    task writes it (PagerDuty was busy during the take), not only at the next sweep."""
    from covers import signals, tasks

    made = ask(classic)
    dan = person(classic, "dan@acme.example")
    CoverRequest.objects.filter(pk=made.pk).update(
        status="taken", taker=dan, taker_name=dan.name, taker_email=dan.email, apply_state="pending"
    )
    heard = []

    def listener(sender, event, cover_request_id, **kwargs):
        heard.append((event, cover_request_id))

    signals.cover_request_changed.connect(listener, dispatch_uid="test-taken-after-apply")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.apply_cover.delay(made.pk).get() == "applied"
    finally:
        signals.cover_request_changed.disconnect(dispatch_uid="test-taken-after-apply")

    assert heard == [("taken", made.pk)]


OVERRIDES = r"/schedules/(?P<id>\w+)/overrides"


@pytest.mark.parametrize("ending", ["refused", "gave_up", "applied"])
def test_a_pending_take_that_fails_later_tells_the_taker_and_the_requester_once(
    classic, fake, ending, django_capture_on_commit_callbacks
):
    """The take was accepted as pending (PagerDuty down); what the retry ends in reaches both by email."""
    from django.core import mail

    from covers import tasks

    made = ask(classic)
    fake.route("POST", OVERRIDES, lambda f, r, m: (503, {"error": {"message": "Service Unavailable"}}))
    with django_capture_on_commit_callbacks(execute=True):
        assert take(classic, made).apply_state == "pending"
    del fake._routes[0]  # PagerDuty is back...
    if ending == "refused":
        fake.read_only_keys.add(API_KEY)  # ...and refuses the write

    with django_capture_on_commit_callbacks(execute=True):
        if ending == "gave_up":
            services.cover_request_apply_gave_up(cover_request_id=made.pk, error=Exception("Service Unavailable"))
        else:
            tasks.apply_cover.delay(made.pk).get()
        tasks.apply_cover.delay(made.pk).get()  # a duplicate message tells nobody again

    sent = sorted((m.to[0], m.subject) for m in mail.outbox)
    if ending == "applied":
        assert sent == [("ana@acme.example", "Dan Moe took your cover request in Payments")]
        return
    assert sent == [
        ("ana@acme.example", "Dan Moe's cover in Payments did not happen: you are still on call"),
        ("dan@acme.example", "Your cover for Ana Ortiz in Payments did not happen"),
    ]
    made.refresh_from_db()
    to_ana, to_dan = sorted(mail.outbox, key=lambda m: m.to[0])
    assert "Dan Moe took your request for cover in Payments, but PagerDuty's schedule was not changed" in to_ana.body
    assert "You took Ana Ortiz's request for cover in Payments, but PagerDuty's schedule was not changed" in (
        to_dan.body
    )
    for message in (to_ana, to_dan):
        assert made.apply_message in message.body
    why = "the connection may only read" if ending == "refused" else "PagerDuty could not be reached for a long time"
    assert why in to_dan.body
    assert "It is open again: someone else can take it" in to_ana.body
    assert "It is open again: take it again on the rotation page" in to_dan.body


def test_a_take_refused_while_the_taker_waits_is_told_on_the_spot_not_again_as_failed(
    classic, fake, django_capture_on_commit_callbacks
):
    """The taker's look-up found PagerDuty busy, then the take's own write was refused: the taker reads
    the refusal at once; nobody gets a "did not happen" message about a take nobody was told of."""
    from django.core import mail

    made = ask(classic)
    fake.read_only_keys.add(API_KEY)
    mail.outbox.clear()

    with (
        mock.patch.object(services, "_check_pagerduty_people", return_value=None),  # the look-up was busy
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(services.CoverError) as refused,
    ):
        take(classic, made)

    assert refused.value.code == "write_refused"
    made.refresh_from_db()
    assert (made.status, made.take_failed_at) == ("open", None)
    assert [m.subject for m in mail.outbox if "did not happen" in m.subject] == []
