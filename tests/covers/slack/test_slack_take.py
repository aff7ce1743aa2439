"""The Take it button (action `cover_take`, value = the cover request's id): Slack gets its answer at
once, the take is queued (it may write to PagerDuty), and the person who clicked is told through the
click's response_url, only them: it is theirs, who was faster, or why PagerDuty refused."""

import datetime as dt

import pytest

from accounts.actor import Actor
from covers import services
from covers.models import CoverRequest
from rotations.models import Member
from tests.covers import test_pagerduty as pd
from tests.covers.slack.conftest import HANDOFF, SECRET, when

pytestmark = pytest.mark.django_db
fake = pd.fake  # the fake PagerDuty with two schedules (PCLASSIC, PSHIFTS)
DAY = dt.timedelta(days=1)


@pytest.fixture
def asked(platform) -> CoverRequest:
    """Grace asks for cover on the first day of her next turn."""
    grace = platform.members.get(email="grace@acme.example")
    return services.cover_request_create(
        rotation=platform, requester=grace, start=HANDOFF, end=HANDOFF + DAY, actor=Actor(label="test")
    )


def answers(fake) -> list[dict]:
    return [r["body"] for r in fake.responses]


def test_taking_it_makes_it_yours_and_says_so_only_to_you(sender, slack_app, asked):
    response = sender.click(asked.pk, user="U0ADA")

    assert response.status_code == 200 and response.content == b""  # Slack's 3 seconds: nothing to wait for
    asked.refresh_from_db()
    assert (asked.status, asked.taker_email, asked.taken_by) == (
        "taken",
        "ada@acme.example",
        "ada@acme.example (Slack)",
    )
    assert answers(slack_app) == [
        {
            "response_type": "ephemeral",
            "replace_original": False,
            "text": f"It's yours: you are on call for *Platform* from {when(HANDOFF)} to {when(HANDOFF + DAY)} "
            "instead of <@U0GRACE>.",
        }
    ]
    assert slack_app.responses[0]["path"].startswith("/hooks/actions/T0ACME/")


def test_a_requester_slack_does_not_know_is_named(sender, slack_app, asked):
    del slack_app.users["grace@acme.example"]  # Grace left the workspace, or uses another email there
    sender.click(asked.pk, user="U0ADA")
    assert answers(slack_app)[0]["text"].endswith(" instead of Grace Hopper.")


def test_the_slower_of_two_is_told_who_was_faster(sender, slack_app, asked, platform):
    Member.objects.create(rotation=platform, name="Admin", email="admin@acme.example", position=2)
    sender.click(asked.pk, user="U0ADA")
    sender.click(asked.pk, user="U0ADM")

    asked.refresh_from_db()
    assert asked.taker_email == "ada@acme.example"
    assert [a["text"] for a in answers(slack_app)][1] == "Ada Lovelace took it first."


def test_a_second_click_by_the_taker_says_it_is_already_theirs(sender, slack_app, asked):
    sender.click(asked.pk, user="U0ADA")
    sender.click(asked.pk, user="U0ADA")  # a double click, or the button still there while PagerDuty is written

    assert [a["text"] for a in answers(slack_app)][1] == "You already took it."


def test_the_requester_cannot_take_their_own(sender, slack_app, asked):
    sender.click(asked.pk, user="U0GRACE")
    assert answers(slack_app)[0]["text"] == "You asked for this cover: someone else has to take it."
    asked.refresh_from_db()
    assert asked.status == "open"


def test_someone_not_in_the_rotation_is_told(sender, slack_app, asked):
    sender.click(asked.pk, user="U0ADM")
    assert answers(slack_app)[0]["text"] == (
        "You are not a member of Platform in Roster (as admin@acme.example), so you cannot take its shifts."
    )


def test_a_person_slack_does_not_know_gets_a_sentence(sender, slack_app, asked):
    sender.click(asked.pk, user="U0GHOST")
    assert answers(slack_app)[0]["text"] == (
        "Slack shows Roster no email address for you (guest and bot accounts may have none), so Roster cannot "
        "tell which rotation member you are: use Roster's pages instead, <https://roster.example.com/rotations/|"
        "Rotations>."
    )
    asked.refresh_from_db()
    assert asked.status == "open"


def test_a_request_that_is_gone_or_another_organizations_is_said(sender, slack_app, asked, other_org):
    from tests.factories import RotationFactory

    theirs = RotationFactory(organization=other_org, name="Globex", members=[("Gus", "gus@globex.example")])
    hidden = CoverRequest.objects.create(
        organization=other_org,
        rotation=theirs,
        requester_name="Gus",
        requester_email="gus@globex.example",
        start=HANDOFF,
        end=HANDOFF + DAY,
        created_by="test",
    )
    for value in (hidden.pk, 999999, "not-a-number"):
        sender.click(value, user="U0ADA")
    assert [a["text"] for a in answers(slack_app)] == ["That cover request no longer exists in Roster."] * 3
    hidden.refresh_from_db()
    assert hidden.status == "open"


def test_a_cancelled_request_says_so(sender, slack_app, asked):
    services.cover_request_cancel(cover_request=asked, actor=Actor(label="test"))
    sender.click(asked.pk, user="U0ADA")
    assert answers(slack_app)[0]["text"] == "This cover request was cancelled."


def test_the_click_is_queued_not_done_while_slack_waits(sender, slack_app, asked, monkeypatch):
    from covers import slack_tasks

    queued = []
    monkeypatch.setattr(slack_tasks.take_cover, "apply_async", lambda args, **kw: queued.append(args))
    response = sender.click(asked.pk, user="U0ADA")
    assert response.status_code == 200
    (args,) = queued
    assert args[:3] == ("T0ACME", "U0ADA", str(asked.pk)) and args[3].startswith(slack_app.hooks_url)
    asked.refresh_from_db()
    assert asked.status == "open" and slack_app.log == []


def test_an_answer_url_that_is_not_slacks_is_never_called(sender, slack_app, asked, settings):
    settings.SLACK_HOOKS_URL = "https://hooks.slack.com/"
    sender.click(asked.pk, user="U0ADA")  # the fake's response_url is not under Slack's
    assert slack_app.responses == []
    asked.refresh_from_db()
    assert asked.status == "taken"


def test_pagerduty_refusing_the_write_is_said_in_its_words(client, slack_app, connection, org, pd_connection, fake):
    """A PagerDuty-bound rotation whose connection may only read: the request stays open, and the
    person who clicked reads why, with the schedule's link."""
    from tests.factories import API_KEY
    from tests.fake_slack import SlackSender

    rotation = pd.bound(org, "v2")
    made = pd.ask(rotation)
    fake.read_only_keys.add(API_KEY)
    slack_app.users["dan@acme.example"] = "U0DAN"

    SlackSender(client, slack_app, signing_secret=SECRET).click(made.pk, user="U0DAN")

    made.refresh_from_db()
    assert (made.status, made.apply_state) == ("open", "refused")
    (answer,) = answers(slack_app)
    assert "the connection may only read" in answer["text"]
    assert answer["text"].endswith(
        "You can change the schedule in PagerDuty instead: https://acme.pagerduty.com/schedules/PCLASSIC"
    )


def test_a_cover_asked_from_now_is_taken_minutes_later_and_runs_from_the_take(sender, slack_app, platform, frozen):
    from tests.covers.slack.test_slack_cover import open_modal

    sender.submit(open_modal(sender, slack_app, user="U0ADA"), {}, user="U0ADA")  # Ada, on call now, falls ill
    (made,) = CoverRequest.objects.all()
    assert made.start <= dt.datetime.now(dt.UTC) and made.end == HANDOFF
    frozen.shift(dt.timedelta(minutes=7))
    took_at = dt.datetime.now(dt.UTC).replace(microsecond=0)

    sender.click(made.pk, user="U0GRACE")

    made.refresh_from_db()
    assert (made.status, made.taker_email, made.end) == ("taken", "grace@acme.example", HANDOFF)
    assert took_at <= made.start <= took_at + dt.timedelta(seconds=5)
    assert answers(slack_app)[-1]["text"] == (
        f"It's yours: you are on call for *Platform* from {when(made.start)} to {when(HANDOFF)} instead of <@U0ADA>."
    )


def test_a_take_pagerduty_puts_off_promises_no_time_and_says_the_taker_will_hear_if_refused(
    client, slack_app, connection, org, pd_connection, fake
):
    """PagerDuty asks Roster to wait ten minutes: the take is accepted and written later, so the answer
    cannot say "within a minute"."""
    from tests.fake_slack import SlackSender

    rotation = pd.bound(org, "v2")
    made = pd.ask(rotation)
    fake.route(
        "POST",
        r"/schedules/(?P<id>\w+)/overrides",
        lambda f, r, m: (429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}}, {"Retry-After": "600"}),
    )
    slack_app.users["dan@acme.example"] = "U0DAN"

    SlackSender(client, slack_app, signing_secret=SECRET).click(made.pk, user="U0DAN")

    made.refresh_from_db()
    assert (made.status, made.apply_state) == ("taken", "pending")
    (answer,) = answers(slack_app)
    assert "within a minute" not in answer["text"]
    assert answer["text"].endswith(
        "PagerDuty is busy, so Roster writes it to PagerDuty as soon as PagerDuty lets it; "
        "if PagerDuty refuses it, you are told and the request is open again."
    )
