"""Handoffs become notifications delivered once, through a test channel (tests/notifications/channel.py).

"The worker is down" means the nudge queued after a handoff's commit never runs (its on-commit
callback is not executed); the beat sweep is then the only way the handoff is found."""

import datetime as dt

import pytest

from accounts.models import AuditEvent
from notifications import registry, services, tasks
from notifications.models import Notification
from rotations import sync
from rotations.models import Handoff
from tests.conftest import NOW, bearer
from tests.notifications.channel import FakeChannel

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)


def statuses(rotation):
    return sorted(
        Notification.objects.filter(rotation=rotation).values_list("handoff__to_label", "kind", "status"),
        key=lambda r: (r[0], r[1]),
    )


def one(kind="test.message"):
    return Notification.objects.get(kind=kind)


def test_a_handoff_is_delivered_once_and_shown_on_the_rotation_page(
    rotation, outbox, member_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert sync.record_handoffs() == 1

    assert outbox.sent == [
        ("test.message", "room:ops", "Ana Ortiz <ana@acme.example>"),
        ("test.state", "group:oncall", "Ana Ortiz <ana@acme.example>"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert sync.record_handoffs() == 0  # nothing changed
        tasks.sweep()
        services.notifications_fan_out(handoff_id=Handoff.objects.get().pk)
    assert len(outbox.sent) == 2

    page = member_client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert 'data-testid="notifications"' in page
    assert page.count(">Sent</span>") == 2
    assert "Test handoff message" in page and "Test on-duty group" in page


def test_a_rotation_with_nothing_sent_says_what_will_show_there(rotation, member_client):
    page = member_client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert "Nothing sent yet." in page


def test_a_handoff_recorded_while_the_worker_was_down_is_delivered_when_it_is_back(rotation, outbox):
    sync.record_handoffs()  # the nudge is lost: its on-commit callback never runs
    assert outbox.sent == [] and not Notification.objects.exists()

    assert tasks.sweep() == {"fannedOut": 1, "stuck": 0, "queued": 2}

    assert [kind for kind, _, _ in outbox.sent] == ["test.message", "test.state"]
    assert tasks.sweep() == {"fannedOut": 0, "stuck": 0, "queued": 0}
    assert len(outbox.sent) == 2


def test_two_handoffs_while_the_worker_is_down_apply_only_the_latest_state(rotation, outbox, frozen, member_client):
    sync.record_handoffs()  # Ana, 6 March
    frozen.move_to(NOW + DAY)
    sync.record_handoffs()  # Bo, 7 March; the worker was down for both

    tasks.sweep()

    assert outbox.sent == [
        ("test.message", "room:ops", "Bo Chen <bo@acme.example>"),
        ("test.state", "group:oncall", "Bo Chen <bo@acme.example>"),
    ]
    assert statuses(rotation) == [
        ("Ana Ortiz <ana@acme.example>", "test.message", "skipped"),
        ("Ana Ortiz <ana@acme.example>", "test.state", "skipped"),
        ("Bo Chen <bo@acme.example>", "test.message", "sent"),
        ("Bo Chen <bo@acme.example>", "test.state", "sent"),
    ]
    page = member_client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert "Not sent: a later handoff happened before it could be delivered" in page
    assert "Not applied: a later handoff set this again" in page


def test_a_kind_that_is_not_supersedable_is_sent_for_every_handoff(rotation, outbox, frozen):
    every = registry.Kind("test.every", "Test event for every handoff", supersedable=False)
    test = registry.channel("test")
    test.kinds = (*test.kinds, every)
    test.plan = lambda handoff: [*FakeChannel.plan(test, handoff), registry.Planned("test", "hook:1", every.key)]

    sync.record_handoffs()  # Ana
    frozen.move_to(NOW + DAY)
    sync.record_handoffs()  # Bo; the worker was down for both
    tasks.sweep()
    assert [to for kind, _, to in outbox.sent if kind == "test.every"] == [
        "Ana Ortiz <ana@acme.example>",
        "Bo Chen <bo@acme.example>",
    ]
    assert [to for kind, _, to in outbox.sent if kind == "test.message"] == ["Bo Chen <bo@acme.example>"]


def test_the_older_handoffs_nudge_arriving_first_never_applies_its_state(rotation, outbox, frozen):
    sync.record_handoffs()
    frozen.move_to(NOW + DAY)
    sync.record_handoffs()  # both recorded while the worker was down
    older, newer = Handoff.objects.order_by("at")

    tasks.fan_out(older.pk)  # the older nudge is processed first
    assert outbox.sent == []
    tasks.fan_out(newer.pk)

    assert outbox.sent == [
        ("test.message", "room:ops", "Bo Chen <bo@acme.example>"),
        ("test.state", "group:oncall", "Bo Chen <bo@acme.example>"),
    ]


def test_a_state_is_applied_at_a_handoff_with_no_newer_state_even_if_a_message_was_skipped(rotation, outbox, frozen):
    sync.record_handoffs()
    services.notifications_fan_out(handoff_id=Handoff.objects.get().pk)
    Notification.objects.filter(kind="test.state").delete()  # the state target was added later
    frozen.move_to(NOW + DAY)
    sync.record_handoffs()
    services.notifications_fan_out(handoff_id=Handoff.objects.get(to_label__startswith="Bo").pk)
    Notification.objects.filter(kind="test.state").update(source_at=NOW)  # as if only the old one existed

    tasks.sweep()

    assert ("test.state", "group:oncall", "Bo Chen <bo@acme.example>") in outbox.sent


def test_overlapping_fan_outs_and_sweeps_never_make_two_rows(rotation, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sync.record_handoffs()
    handoff = Handoff.objects.get()
    for _ in range(3):
        services.notifications_fan_out(handoff_id=handoff.pk)
        tasks.fan_out(handoff.pk)
        tasks.sweep()
    assert Notification.objects.count() == 2
    assert len(outbox.sent) == 2


def test_a_failing_sender_retries_with_backoff_then_gives_up_in_plain_words(rotation, outbox, frozen):
    outbox.failures = [registry.SendError("The service is having trouble (HTTP 503).")] * 5
    sync.record_handoffs()
    services.notifications_fan_out(handoff_id=Handoff.objects.get().pk)
    row = one()
    waits = []
    for _ in range(4):
        outcome = services.notification_deliver(notification_id=row.pk)
        waits.append(outcome.retry_in)
        row.refresh_from_db()
        assert row.status == "pending" and row.last_error == "The service is having trouble (HTTP 503)."
        assert services.notification_deliver(notification_id=row.pk).status == "not_due"  # not before its time
        frozen.move_to(row.next_attempt_at)
    assert waits == [60, 300, 900, 2400]  # about an hour over 5 attempts

    assert services.notification_deliver(notification_id=row.pk).status == "failed"
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 5)
    assert row.last_error == "Gave up after 5 attempts: The service is having trouble (HTTP 503)."
    assert ("test.message", "room:ops", "Ana Ortiz <ana@acme.example>") not in outbox.sent


def test_a_failure_then_a_success_is_sent_once_and_says_after_how_many_attempts(
    rotation, outbox, frozen, member_client
):
    outbox.failures = [registry.SendError("Timed out.")]
    sync.record_handoffs()
    tasks.sweep()
    assert one().status == "pending"
    frozen.move_to(NOW + 4 * MINUTE)  # the retry's own message was lost: the sweep sends it
    tasks.sweep()
    row = one()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    assert [k for k, _, _ in outbox.sent].count("test.message") == 1
    assert "after 2 attempts" in member_client.get(f"/rotations/{rotation.pk}/").content.decode()


def test_the_rotation_page_says_the_zone_of_a_next_try_and_of_a_sent_time(rotation, outbox, frozen, member_client):
    outbox.failures = [registry.SendError("Timed out.")]
    sync.record_handoffs()
    tasks.sweep()
    waiting = member_client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert ">12:01 UTC</time> (attempt 2)" in waiting
    frozen.move_to(NOW + 4 * MINUTE)
    tasks.sweep()
    assert ">12:04 UTC</time>, after 2 attempts" in member_client.get(f"/rotations/{rotation.pk}/").content.decode()


def test_a_rate_limited_send_waits_as_long_as_it_was_asked(rotation, outbox, frozen):
    outbox.failures = [registry.SendError("The service asked Roster to slow down.", retry_after=42)]
    sync.record_handoffs()
    services.notifications_fan_out(handoff_id=Handoff.objects.get().pk)
    row = one()

    outcome = services.notification_deliver(notification_id=row.pk)

    row.refresh_from_db()
    assert outcome.retry_in == 42 and row.next_attempt_at == NOW + dt.timedelta(seconds=42)
    assert row.last_error == "The service asked Roster to slow down."  # the page shows the next try beside it
    frozen.move_to(NOW + dt.timedelta(seconds=41))
    assert services.notification_deliver(notification_id=row.pk).status == "not_due"
    frozen.move_to(NOW + dt.timedelta(seconds=42))
    assert services.notification_deliver(notification_id=row.pk).status == "sent"


def test_a_send_held_in_roster_own_queue_is_no_attempt_and_never_gives_up(rotation, outbox, frozen):
    """A channel's own pacing (Slack's queue, thousands of calls deep) may hold a row many times:
    those holds are not attempts, while the service's own 429s still count towards giving up."""
    holds = registry.Channel.rate_limited_attempts + 5
    outbox.failures = [
        registry.SendError("Queued behind other calls.", retry_after=30, counted=False) for _ in range(holds)
    ]
    sync.record_handoffs()
    services.notifications_fan_out(handoff_id=Handoff.objects.get().pk)
    row = one()
    at = NOW
    for _ in range(holds):
        assert services.notification_deliver(notification_id=row.pk).status == "pending"
        at += dt.timedelta(seconds=30)
        frozen.move_to(at)
    row.refresh_from_db()
    assert row.attempts == 0 and row.last_error == "Queued behind other calls."
    assert services.notification_deliver(notification_id=row.pk).status == "sent"

    outbox.failures = [
        registry.SendError("The service asked Roster to slow down.", retry_after=30) for _ in range(holds)
    ]
    Notification.objects.filter(pk=row.pk).update(status=Notification.Status.PENDING, next_attempt_at=at, attempts=0)
    for _ in range(registry.Channel.rate_limited_attempts):
        outcome = services.notification_deliver(notification_id=row.pk)
        at += dt.timedelta(seconds=30)
        frozen.move_to(at)
    row.refresh_from_db()
    assert outcome.status == row.status == "failed"
    assert row.last_error.startswith(f"Gave up after {registry.Channel.rate_limited_attempts} attempts")


def test_a_permanent_error_is_recorded_in_plain_words_and_not_retried(rotation, outbox, frozen, member_client):
    outbox.failures = [registry.SendError("Roster is not in #ops: invite @Roster to #ops.", permanent=True)]
    sync.record_handoffs()
    tasks.sweep()

    row = one()
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "Roster is not in #ops: invite @Roster to #ops.")
    frozen.move_to(NOW + DAY / 2)
    tasks.sweep()
    assert one().status == "failed"
    page = member_client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert "Roster is not in #ops: invite @Roster to #ops." in page and ">Failed</span>" in page


def test_an_unexpected_sender_error_is_retried_like_a_transient_one(rotation, outbox):
    outbox.failures = [KeyError("oops")]
    sync.record_handoffs()
    tasks.sweep()
    row = one()
    assert (row.status, row.last_error) == ("pending", "An unexpected error occurred.")


def test_a_channel_without_a_sender_fails_and_says_so(rotation, outbox):
    sync.record_handoffs()
    services.notifications_fan_out(handoff_id=Handoff.objects.get().pk)
    registry.unregister("test")  # uninstalled since
    tasks.sweep()
    assert one().last_error == "Roster has no way to send to “test” (that channel is not installed)."


def test_a_broken_planner_does_not_stop_the_other_channels(rotation, outbox):
    class Broken(registry.Channel):
        key = "broken"

        def plan(self, handoff):
            raise ValueError("bad settings")

    registry.register(Broken())
    try:
        sync.record_handoffs()
        tasks.sweep()
    finally:
        registry.unregister("broken")
    assert len(outbox.sent) == 2


def test_the_sweeper_requeues_a_row_a_dead_worker_left_sending(rotation, outbox, frozen):
    sync.record_handoffs()
    services.notifications_fan_out(handoff_id=Handoff.objects.get().pk)
    Notification.objects.update(status="sending", claimed_at=NOW, attempts=1)  # the worker died mid-send
    frozen.move_to(NOW + 5 * MINUTE)
    assert tasks.sweep()["stuck"] == 0  # it may still be sending

    frozen.move_to(NOW + 11 * MINUTE)
    assert tasks.sweep() == {"fannedOut": 0, "stuck": 2, "queued": 2}

    assert Notification.objects.filter(status="sent", attempts=2).count() == 2
    assert len(outbox.sent) == 2
    assert tasks.sweep()["queued"] == 0


def test_a_waiting_row_whose_message_was_lost_is_queued_again(rotation, outbox, frozen, monkeypatch):
    sync.record_handoffs()
    monkeypatch.setattr(tasks.deliver, "apply_async", lambda *a, **k: None)  # the broker swallowed it
    tasks.sweep()
    assert outbox.sent == [] and Notification.objects.filter(queued_at=NOW).count() == 2
    monkeypatch.undo()

    frozen.move_to(NOW + MINUTE)
    assert tasks.sweep()["queued"] == 0  # its message may still be on the way
    frozen.move_to(NOW + 3 * MINUTE)
    assert tasks.sweep()["queued"] == 2
    assert len(outbox.sent) == 2


def test_a_broker_outage_leaves_rows_waiting_for_the_sweep(rotation, outbox, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    sync.record_handoffs()
    monkeypatch.setattr(tasks.deliver, "apply_async", down)
    assert tasks.sweep()["queued"] == 0
    assert Notification.objects.filter(status="pending", queued_at=None).count() == 2
    monkeypatch.undo()
    assert tasks.sweep()["queued"] == 2 and len(outbox.sent) == 2


def test_old_handoffs_are_history_not_news(rotation, outbox, frozen):
    sync.record_handoffs()
    frozen.move_to(NOW + dt.timedelta(hours=services.SCAN_HOURS, minutes=1))
    Handoff.objects.update(recorded_at=NOW)
    Handoff.objects.filter(pk__in=[]).delete()
    assert services.handoffs_to_fan_out(now=NOW + dt.timedelta(hours=services.SCAN_HOURS, minutes=1)).count() == 0


# --- admin and API -----------------------------------------------------------------------------


def test_an_admin_resends_from_django_admin_and_it_is_audited(
    rotation, outbox, frozen, admin_user, client, django_capture_on_commit_callbacks
):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    sync.record_handoffs()
    frozen.move_to(NOW + DAY)
    sync.record_handoffs()
    tasks.sweep()
    skipped = Notification.objects.get(kind="test.message", status="skipped")
    assert client.get("/admin/notifications/notification/").status_code == 200
    assert client.get(f"/admin/notifications/notification/{skipped.pk}/change/").status_code == 200  # read-only

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/notifications/notification/", {"action": "resend", "_selected_action": [skipped.pk]}
        )

    assert response.status_code == 302
    skipped.refresh_from_db()
    assert skipped.status == "sent"  # a resend is sent even though a later handoff superseded it
    assert outbox.sent[-1] == ("test.message", "room:ops", "Ana Ortiz <ana@acme.example>")
    assert AuditEvent.objects.filter(action="notification_resend", summary__contains="Test handoff message").exists()


def test_the_api_lists_a_rotations_notifications_with_their_result(rotation, outbox, org, other_org, client):
    outbox.failures = [registry.SendError("Roster is not in #ops: invite @Roster to #ops.", permanent=True)]
    sync.record_handoffs()
    tasks.sweep()
    body = client.get(f"/api/rotations/{rotation.pk}/notifications", **bearer(org, "read")).json()

    assert {(n["kind"], n["status"], n["lastError"]) for n in body["notifications"]} == {
        ("test.message", "failed", "Roster is not in #ops: invite @Roster to #ops."),
        ("test.state", "sent", None),
    }
    response = client.get(f"/api/rotations/{rotation.pk}/notifications", **bearer(other_org, "read"))
    assert response.status_code == 404
