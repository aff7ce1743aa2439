"""The cover request flow end to end through covers.services (native rotation): its after-commit
signal reaches notifications, and Slack, email and outgoing webhooks follow each step once."""

import datetime as dt

import pytest
from django.core import mail

from accounts.actor import Actor
from covers import services as covers
from notifications import email, tasks
from notifications.models import Notification
from tests.notifications.covers import member

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC)  # Ada's next turn in `team` (Ada, Grace, Ada...)
END = START + dt.timedelta(days=1)


@pytest.fixture
def slack_team(slack_team):
    """The conftest's, and Grace's email reminders 12 hours ahead."""
    email.reminder_set(rotation=slack_team, email="grace@acme.example", actor=None, changes={"reminder_hours": 12})
    return slack_team


def test_ask_then_take_posts_the_offer_then_updates_it(slack_team, fake_slack, django_capture_on_commit_callbacks):
    ada, grace = member(slack_team, "ada@acme.example"), member(slack_team, "grace@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        cover = covers.cover_request_create(
            rotation=slack_team, requester=ada, start=START, end=END, note="Conference", actor=Actor(label=ada.email)
        )
    [offer] = fake_slack.messages
    [button] = [e for b in offer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert (button["action_id"], button["value"]) == ("cover_take", str(cover.pk))
    assert [m.to for m in mail.outbox] == [["grace@acme.example"]]

    with django_capture_on_commit_callbacks(execute=True):
        covers.cover_request_take(cover_request_id=cover.pk, taker=grace, actor=Actor(label=grace.email))
    tasks.sweep()

    assert fake_slack.messages == [offer] and fake_slack.calls["chat.postMessage"] == 1
    assert not any(b["type"] == "actions" for b in offer["blocks"])
    assert "Taken by <@U0GRACE>" in offer["blocks"][-1]["elements"][0]["text"]
    assert [m.subject for m in mail.outbox][1:] == ["Grace Hopper took your cover request in Platform"]
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_expiry_warns_then_expires_the_offer(slack_team, fake_slack, frozen, django_capture_on_commit_callbacks):
    ada = member(slack_team, "ada@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        covers.cover_request_create(rotation=slack_team, requester=ada, start=START, end=END, actor=Actor(label="x"))
    frozen.move_to(START - dt.timedelta(minutes=50))
    with django_capture_on_commit_callbacks(execute=True):
        assert covers.cover_requests_warn_expiring() == 1
    frozen.move_to(START + dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert covers.cover_requests_expire() == 0  # still open while its shift is under way
    frozen.move_to(END)
    with django_capture_on_commit_callbacks(execute=True):
        assert covers.cover_requests_expire() == 1
    tasks.sweep()

    offer, channel, direct = fake_slack.messages
    assert "Nobody has taken <@U0ADA>'s request" in channel["text"] and direct["channel"] == "D0ADA"
    assert "Use *Take it* on the request in this channel, or <" in channel["text"]
    assert ":hourglass: Expired: nobody took it before it ended." in offer["blocks"][-1]["elements"][0]["text"]
    assert [m.subject for m in mail.outbox] == [
        "Ada Lovelace asks for cover in Platform",
        "Nobody has taken your cover request in Platform yet",
        "Your cover request in Platform expired",
    ]


def test_a_warning_to_a_channel_without_the_offer_points_to_the_page_only(
    slack_team, fake_slack, frozen, django_capture_on_commit_callbacks
):
    """The offer went to another channel (the rotation's channel changed since): there is no Take it here."""
    from notifications.models import CoverSlackMessage

    ada = member(slack_team, "ada@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        covers.cover_request_create(rotation=slack_team, requester=ada, start=START, end=END, actor=Actor(label="x"))
    CoverSlackMessage.objects.update(channel_id="C0ELSEWHERE")
    frozen.move_to(START - dt.timedelta(minutes=50))
    with django_capture_on_commit_callbacks(execute=True):
        covers.cover_requests_warn_expiring()
    tasks.sweep()

    channel = next(m for m in fake_slack.messages if "Nobody has taken <@U0ADA>" in m["text"])
    assert "in this channel" not in channel["text"]
    assert "Take it on <https://roster.example.com/rotations/" in channel["text"]
