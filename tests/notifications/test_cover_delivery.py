"""Cover requests' events through the one delivery engine: the listener makes each event's rows
at once, the sweep makes those of events whose listener never ran (found by the request's
timestamps), and the two overlapping make each row, and send each message, once."""

import datetime as dt

import pytest
from django.core import mail

from covers.models import CoverRequest
from notifications import cover_events, email, registry, tasks
from notifications.models import CoverFanout, Notification
from tests.conftest import NOW
from tests.notifications.covers import ask, happen

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(hours=12)
ADA, GRACE = "ada@acme.example", "grace@acme.example"


@pytest.fixture
def everywhere(slack_team):
    """Slack's message channel and Grace's shift emails."""
    email.reminder_set(rotation=slack_team, email=GRACE, actor=None, changes={"shift_moved": True})
    return slack_team


def made():
    return sorted(Notification.objects.values_list("source", "channel", "target", "kind"))


def test_listener_and_sweep_make_each_row_and_message_once(everywhere, fake_slack):
    cover = ask(everywhere, ADA, START, END)
    happen(cover, "taken", by=GRACE)
    for _ in range(2):
        tasks.sweep()
        for event in ("created", "taken"):
            tasks.cover_nudge(event=event, cover_request_id=cover.pk)

    assert made() == [
        (f"cover:{cover.pk}:created", "email", f"email:{GRACE}", "email.cover_offer"),
        (f"cover:{cover.pk}:created", "slack", "channel:C0OPS", "slack.cover_offer"),
        (f"cover:{cover.pk}:taken", "email", f"email:{ADA}", "email.cover_taken"),
        (f"cover:{cover.pk}:taken", "slack", "channel:C0OPS", "slack.cover_outcome"),
    ]
    assert (fake_slack.calls["chat.postMessage"], fake_slack.calls["chat.update"]) == (1, 1)
    assert [m.to for m in mail.outbox] == [[GRACE], [ADA]]
    assert sorted(CoverFanout.objects.values_list("event", "planned")) == [("created", 2), ("taken", 2)]


def test_the_sweep_finds_every_event_no_listener_heard_of_once(everywhere, fake_slack, frozen):
    taken = ask(everywhere, ADA, START, END, tell=False)
    happen(taken, "taken", by=GRACE, tell=False)
    warned = ask(everywhere, ADA, END, END + dt.timedelta(hours=1), tell=False)
    happen(warned, "expiring", tell=False)
    happen(warned, "expired", tell=False)
    cancelled = ask(everywhere, ADA, END + dt.timedelta(hours=1), END + dt.timedelta(hours=2), tell=False)
    happen(cancelled, "cancelled", tell=False)

    assert tasks.sweep()["coverEvents"] == 7
    assert "coverEvents" not in tasks.sweep()  # nothing left

    assert sorted(CoverFanout.objects.values_list("cover_request_id", "event")) == sorted(
        [
            (taken.pk, "created"),
            (taken.pk, "taken"),
            (warned.pk, "created"),
            (warned.pk, "expiring"),
            (warned.pk, "expired"),
            (cancelled.pk, "created"),
            (cancelled.pk, "cancelled"),
        ]
    )
    assert len(fake_slack.messages) == 3  # one message per request, each updated in place
    assert fake_slack.calls["chat.update"] == 3


def test_old_events_and_a_refused_take_make_nothing(everywhere, frozen):
    old = ask(everywhere, ADA, START, END, tell=False)
    frozen.move_to(NOW + dt.timedelta(hours=25))  # a day later: history, not news
    refused = ask(everywhere, ADA, START + dt.timedelta(days=2), END + dt.timedelta(days=2))
    # PagerDuty refused the take: the request went back to open (covers.services).
    CoverRequest.objects.filter(pk=refused.pk).update(taken_at=NOW, apply_state="refused")
    tasks.cover_nudge(event="taken", cover_request_id=refused.pk)

    tasks.sweep()

    assert not Notification.objects.filter(cover_request=old).exists()
    assert set(Notification.objects.filter(cover_request=refused).values_list("source", flat=True)) == {
        f"cover:{refused.pk}:created"
    }


def test_a_listener_that_fails_never_raises_and_the_sweep_makes_the_rows(everywhere, fake_slack, captured_logs):
    class Broken(registry.Channel):
        key = "broken"

        def plan_cover(self, cover, event):
            raise RuntimeError("broken settings")

    registry.register(Broken())
    try:
        cover = ask(everywhere, ADA, START, END)  # one channel's planner fails: the others still plan
    finally:
        registry.unregister("broken")
    assert len(fake_slack.messages) == 1
    assert "A notification planner failed for cover request" in captured_logs.text

    original = cover_events.cover_event_fan_out
    cover_events.cover_event_fan_out = lambda **kwargs: 1 / 0  # the database went away mid-listener
    try:
        happen(cover, "taken", by=GRACE)
    finally:
        cover_events.cover_event_fan_out = original
    assert not Notification.objects.filter(source=f"cover:{cover.pk}:taken").exists()

    tasks.sweep()
    assert Notification.objects.filter(source=f"cover:{cover.pk}:taken").count() == 2
    assert fake_slack.calls["chat.update"] == 1


def test_a_take_waiting_for_pagerduty_is_told_once_applied_and_never_when_refused(everywhere, fake_slack, frozen):
    applied = ask(everywhere, ADA, START, END)
    refused = ask(everywhere, ADA, END, END + dt.timedelta(hours=1))
    happen(applied, "taken", by=GRACE, apply_state="pending")  # PagerDuty busy: the write is retried
    happen(refused, "taken", by=GRACE, apply_state="pending")
    tasks.sweep()
    assert not Notification.objects.filter(source__endswith=":taken").exists()

    CoverRequest.objects.filter(pk=applied.pk).update(apply_state="applied")  # the retry wrote it
    CoverRequest.objects.filter(pk=refused.pk).update(status="open", taken_at=None, apply_state="refused")
    frozen.move_to(NOW + dt.timedelta(minutes=1))
    tasks.sweep()

    assert set(Notification.objects.filter(source__endswith=":taken").values_list("source", flat=True)) == {
        f"cover:{applied.pk}:taken"
    }
    assert fake_slack.calls["chat.update"] == 1 and "Taken by <@U0GRACE>" in str(fake_slack.messages[0]["blocks"])
    assert "Take it" in str(fake_slack.messages[1]["blocks"])  # the refused one is still on offer
