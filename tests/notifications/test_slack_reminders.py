"""The Slack reminder before a shift: the rotation's reminder template as a direct message to the
person, `reminderHours` before their shift, once (against tests/fake_slack.py)."""

import datetime as dt

import pytest

from notifications import services, tasks, upcoming
from notifications.models import Notification
from notifications.slack.settings import rotation_slack_update
from rotations import services as rotations
from tests.conftest import NOW
from tests.integrations.slack_flow import make_connection
from tests.notifications.conftest import daily

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


@pytest.fixture
def reminding(team, org, fake_slack):
    """Ada on call on 6 March, Grace from 09:00 on the 7th; a reminder 24 hours before."""
    make_connection(org, fake_slack)
    rotation_slack_update(
        rotation=team,
        actor=None,
        changes={
            "reminder_hours": 24,
            "reminder_template": "{person}: your {rotation} shift starts {since}, until {until}; then {next}.",
        },
    )
    return team


def dms(fake_slack):
    return [(m["channel"], m["text"]) for m in fake_slack.messages if m["channel"].startswith("D")]


def test_the_person_gets_the_reminder_template_as_a_direct_message_once(reminding, fake_slack, frozen):
    tasks.upcoming()
    frozen.move_to(NOW + dt.timedelta(minutes=1))
    tasks.upcoming()

    assert dms(fake_slack) == [
        (
            "D0GRACE",
            "<@U0GRACE>: your Platform shift starts Sat 7 Mar 09:00 UTC, until Sun 8 Mar 09:00 UTC; then <@U0ADA>.",
        )
    ]
    assert fake_slack.calls["chat.postMessage"] == 1
    row = Notification.objects.get(kind="slack.reminder")
    assert (row.target, row.status) == ("dm:grace@acme.example", "sent")


def test_without_reminder_hours_no_reminder_is_sent(reminding, fake_slack, frozen):
    rotation_slack_update(rotation=reminding, actor=None, changes={"reminder_hours": None})
    tasks.upcoming()
    assert dms(fake_slack) == [] and not Notification.objects.exists()


def test_the_default_text_is_used_without_a_template(reminding, fake_slack, frozen):
    rotation_slack_update(rotation=reminding, actor=None, changes={"reminder_template": ""})
    tasks.upcoming()
    assert dms(fake_slack) == [
        (
            "D0GRACE",
            "Reminder: your Platform on-call shift starts Sat 7 Mar 09:00 UTC (until Sun 8 Mar 09:00 UTC). "
            f"https://roster.example.com/rotations/{reminding.pk}/",
        )
    ]


def test_slack_asking_to_wait_is_retried_and_the_reminder_is_posted_once(reminding, fake_slack, frozen):
    fake_slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "30"})
    tasks.upcoming()
    row = Notification.objects.get(kind="slack.reminder")
    assert row.status == "pending"

    frozen.move_to(NOW + dt.timedelta(minutes=3))
    tasks.upcoming()
    tasks.sweep()

    assert len(dms(fake_slack)) == 1 and Notification.objects.get(kind="slack.reminder").status == "sent"


def test_someone_slack_does_not_know_gets_no_reminder_and_is_not_planned_again(org, fake_slack, frozen):
    rotation = daily(org, [("Ada Lovelace", "ada@acme.example"), ("Nemo Nobody", "nemo@acme.example")])
    make_connection(org, fake_slack)
    rotation_slack_update(rotation=rotation, actor=None, changes={"reminder_hours": 24})

    tasks.upcoming()
    row = Notification.objects.get(kind="slack.reminder")
    assert row.status == "failed"
    assert row.last_error == (
        "No Slack user has the email nemo@acme.example, so Nemo Nobody gets no reminder: "
        "use the same email in Slack and in Roster."
    )
    frozen.move_to(NOW + 2 * 24 * H)  # Nemo's next shift, on the 9th
    tasks.upcoming()
    assert Notification.objects.filter(kind="slack.reminder").count() == 1 and dms(fake_slack) == []


def test_a_reminder_whose_shift_was_overridden_is_skipped_not_posted(reminding, fake_slack, frozen):
    made = upcoming.upcoming_scan()  # the worker is down
    ada = reminding.members.get(email="ada@acme.example")
    rotations.override_create(rotation=reminding, member_id=ada.pk, start=NOW + 20 * H, end=NOW + 22 * H)

    assert services.notification_deliver(notification_id=made[0]).status == "skipped"
    assert dms(fake_slack) == []


def test_a_rotation_name_with_mrkdwn_characters_shows_literally_in_the_reminder(reminding, fake_slack, frozen):
    reminding.name = "R&D <!here>"
    reminding.save()

    tasks.upcoming()

    assert dms(fake_slack) == [
        (
            "D0GRACE",
            "<@U0GRACE>: your R&amp;D &lt;!here&gt; shift starts Sat 7 Mar 09:00 UTC, until Sun 8 Mar 09:00 UTC; "
            "then <@U0ADA>.",
        )
    ]
