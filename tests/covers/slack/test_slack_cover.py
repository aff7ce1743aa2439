"""`/roster cover` opens the `cover_ask` modal for the person who typed it (matched to a rotation member
by their Slack email), with their next shift preselected; anyone Roster cannot match gets a sentence."""

import datetime as dt

import pytest

from config.links import public_url
from covers.models import CoverRequest
from integrations.slack.models import SlackConnection
from tests.covers.slack.conftest import HANDOFF, NOW, SECRET, when

pytestmark = pytest.mark.django_db
WEEK = dt.timedelta(days=7)


def opened(fake) -> tuple[str, dict]:
    assert len(fake.views) == 1, fake.views
    return fake.views[0]["user"], fake.views[0]["view"]


def inputs(view: dict) -> dict:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def test_cover_opens_the_modal_with_the_persons_next_shift(sender, slack_app, platform, database):
    response = sender.command("cover", user="U0GRACE")
    assert response.status_code == 200 and response.content == b""  # the modal is the answer
    user, view = opened(slack_app)
    assert user == "U0GRACE"
    assert view["callback_id"] == "cover_ask" and view["title"]["text"] == "Ask for cover"
    fields = inputs(view)
    assert fields["rotation"]["options"] == [
        {"text": {"type": "plain_text", "text": "Platform"}, "value": str(platform.pk)}
    ]
    assert fields["rotation"]["initial_option"]["value"] == str(platform.pk)
    assert fields["start"] == {
        "type": "datetimepicker",
        "action_id": "start",
        "initial_date_time": int(HANDOFF.timestamp()),
    }
    assert fields["end"]["initial_date_time"] == int((HANDOFF + WEEK).timestamp())
    assert fields["note"]["max_length"] == 500
    # nobody may be asked (no Slack channel chosen, nobody chose shift emails): the form promises only what is sure
    assert view["blocks"][0]["text"]["text"] == (
        "The first of the rotation's other members to take it is on call instead of you."
    )


def test_someone_on_call_now_gets_the_rest_of_their_shift(sender, slack_app, platform):
    sender.command("cover", user="U0ADA")
    fields = inputs(opened(slack_app)[1])
    assert abs(fields["start"]["initial_date_time"] - NOW.timestamp()) < 60
    assert fields["end"]["initial_date_time"] == int(HANDOFF.timestamp())


def test_the_rotation_and_times_can_be_typed(sender, slack_app, platform, database, org):
    from tests.factories import RotationFactory

    RotationFactory(
        organization=org, name="Berlin", time_zone="Europe/Berlin", members=[("Grace", "grace@acme.example")]
    )
    sender.command("cover berlin 2026-12-15 09:00 2026-12-16", user="U0GRACE")
    fields = inputs(opened(slack_app)[1])
    assert [o["text"]["text"] for o in fields["rotation"]["options"]] == ["Berlin", "Platform"]
    assert fields["rotation"]["initial_option"]["text"]["text"] == "Berlin"
    # in the rotation's time zone; a date alone runs to the end of that day
    assert fields["start"]["initial_date_time"] == int(dt.datetime(2026, 12, 15, 8, 0, tzinfo=dt.UTC).timestamp())
    assert fields["end"]["initial_date_time"] == int(dt.datetime(2026, 12, 16, 23, 0, tzinfo=dt.UTC).timestamp())


def test_a_rotation_the_person_is_not_in_is_refused(sender, slack_app, platform, database):
    answer = sender.command("cover database", user="U0GRACE").json()
    assert answer == {
        "response_type": "ephemeral",
        "text": "You are in no rotation called “database”. Yours: Platform",
    }
    assert slack_app.views == []


def test_a_time_roster_cannot_read_is_refused(sender, slack_app, platform):
    answer = sender.command("cover platform 2026-13-45", user="U0GRACE").json()
    assert answer["text"] == "“2026-13-45” is not a date Roster can read: write e.g. 2026-12-10 09:00."


def test_a_slack_person_in_no_rotation_is_told_so(sender, slack_app, platform):
    slack_app.users["stranger@acme.example"] = "U0STRANGER"
    answer = sender.command("cover", user="U0STRANGER").json()
    assert answer == {
        "response_type": "ephemeral",
        "text": "You are not a member of any rotation in Roster (as stranger@acme.example): an admin adds you on "
        "the rotation's page.",
    }
    assert slack_app.views == []


def test_a_person_slack_does_not_know_gets_a_sentence_not_an_error(sender, slack_app, platform):
    answer = sender.command("cover", user="U0GHOST").json()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"] == (
        "Slack shows Roster no email address for you (guest and bot accounts may have none), so Roster cannot "
        "tell which rotation member you are: use Roster's pages instead, <https://roster.example.com/rotations/|"
        "Rotations>."
    )


def test_without_the_email_permission_the_card_says_so(sender, slack_app, platform, connection):
    connection.bot_token = slack_app.issue_token("users:read,chat:write,commands")
    connection.scopes = "users:read,chat:write,commands"  # as Slack granted it
    connection.save()
    answer = sender.command("cover", user="U0GRACE").json()
    assert answer["text"] == (
        "Roster may not read email addresses in this Slack workspace, so it cannot tell which rotation member "
        "you are: an admin clicks *Reconnect Slack* on Settings → Integrations to allow it."
    )
    connection.bot_token = slack_app.issue_token("chat:write,commands")
    connection.save()
    answer = sender.command("cover", user="U0GRACE").json()
    assert answer["text"].startswith("Roster cannot tell who you are in Slack: Roster's Slack app lacks a permission")
    connection.refresh_from_db()
    assert "lacks a permission it needs (users:read)" in connection.last_error


@pytest.mark.parametrize("known", [False, True], ids=["looking-the-person-up", "opening-the-form"])
def test_a_dead_token_asks_for_reconnect(sender, slack_app, platform, connection, known):
    """Whichever call finds the token dead (a known person's next command only opens the form), typing it again cannot help."""
    if known:
        sender.command("cover", user="U0GRACE")
    slack_app.revoke_all()
    answer = sender.command("cover", user="U0GRACE").json()
    assert answer["text"] == (
        "Roster's Slack connection no longer works: an admin clicks *Reconnect Slack* on Settings → Integrations."
    )
    connection.refresh_from_db()
    assert connection.status == SlackConnection.Status.NEEDS_REAUTH


def test_a_known_person_costs_one_call(sender, slack_app, platform):
    sender.command("cover", user="U0GRACE")
    sender.command("cover", user="U0GRACE")
    assert slack_app.calls["users.info"] == 1
    assert slack_app.calls["views.open"] == 2


def test_a_modal_slack_refuses_to_open_is_said(sender, slack_app, platform):
    slack_app.fail_next("views.open", body={"ok": False, "error": "expired_trigger_id"})
    answer = sender.command("cover", user="U0GRACE").json()
    assert answer["text"] == "Slack did not open the form (expired_trigger_id): type `/roster cover` again."


def test_a_workspace_another_organization_added_first_opens_the_form_with_the_connection_that_works(
    client, slack_app, other_org, org, platform
):
    """Two organizations in one workspace: the older connection needs Reconnect Slack, Acme's works."""
    from tests.fake_slack import SlackSender
    from tests.integrations.slack_flow import make_connection

    make_connection(other_org, slack_app, status=SlackConnection.Status.NEEDS_REAUTH, bot_token="xoxb-revoked")
    make_connection(org, slack_app)

    response = SlackSender(client, slack_app, signing_secret=SECRET).command("cover", user="U0GRACE")

    assert response.status_code == 200 and response.content == b"", response.content
    assert opened(slack_app)[0] == "U0GRACE"


def test_slack_too_slow_to_say_who_the_person_is_is_said_in_time(sender, slack_app, platform):
    import time

    slack_app.latency = 2.5
    started = time.monotonic()
    answer = sender.command("cover", user="U0GRACE").json()
    assert time.monotonic() - started < 3
    assert answer["text"] == "Slack is busy right now: try again in a moment."


# --- the modal's submit ---------------------------------------------------------------------------


def open_modal(sender, slack_app, user="U0GRACE", text="") -> dict:
    sender.command(f"cover {text}".strip(), user=user)
    return opened(slack_app)[1]


def test_submitting_the_modal_asks_for_cover(sender, slack_app, platform):
    view = open_modal(sender, slack_app)
    answer = sender.submit(view, {"note": "Dentist on Monday"}, user="U0GRACE").json()

    (made,) = CoverRequest.objects.all()
    assert (made.rotation, made.requester.email, made.start, made.end, made.note, made.status) == (
        platform,
        "grace@acme.example",
        HANDOFF,
        HANDOFF + WEEK,
        "Dentist on Monday",
        "open",
    )
    assert made.created_by == "grace@acme.example (Slack)"
    assert answer["response_action"] == "update"
    assert answer["view"]["title"]["text"] == "Cover asked"
    assert answer["view"]["blocks"][0]["text"]["text"] == (
        f"You asked for cover in *Platform* from {when(HANDOFF)} to {when(HANDOFF + WEEK)}. "
        f"The rotation's other members can take it from <{public_url('rotations:detail', platform.pk)}|its page in "
        "Roster>; you will hear when someone takes it."
    )  # not "its members are told": who hears depends on the rotation's Slack channel and their email choices


def test_a_time_the_person_is_not_on_call_is_shown_under_from(sender, slack_app, platform):
    view = open_modal(sender, slack_app)
    answer = sender.submit(
        view, {"start": NOW + dt.timedelta(hours=2), "end": NOW + dt.timedelta(hours=4)}, user="U0GRACE"
    ).json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["start"]
    assert answer["errors"]["start"].startswith("Grace Hopper is not on call in Platform from ")
    assert CoverRequest.objects.count() == 0


def test_an_end_before_the_start_is_shown_under_to(sender, slack_app, platform):
    view = open_modal(sender, slack_app)
    answer = sender.submit(view, {"end": HANDOFF - dt.timedelta(hours=1)}, user="U0GRACE").json()
    assert answer == {"response_action": "errors", "errors": {"end": "The end must be after the start."}}


def test_a_second_overlapping_ask_is_refused_in_the_modal(sender, slack_app, platform):
    view = open_modal(sender, slack_app)
    sender.submit(view, {}, user="U0GRACE")
    answer = sender.submit(view, {"start": HANDOFF + dt.timedelta(days=1)}, user="U0GRACE").json()
    assert answer["response_action"] == "errors"
    assert answer["errors"]["start"].startswith("Grace Hopper already asked for cover from ")
    assert CoverRequest.objects.count() == 1


def test_empty_times_are_asked_for(sender, slack_app, platform):
    view = open_modal(sender, slack_app)
    answer = sender.submit(view, {"start": None, "end": None}, user="U0GRACE").json()
    assert answer == {
        "response_action": "errors",
        "errors": {"start": "Pick when the cover starts.", "end": "Pick when the cover ends."},
    }


def test_a_rotation_of_another_organization_cannot_be_submitted(sender, slack_app, platform, other_org):
    from tests.factories import RotationFactory

    theirs = RotationFactory(organization=other_org, name="Globex", members=[("Grace", "grace@acme.example")])
    view = open_modal(sender, slack_app)
    view["blocks"][1]["element"]["options"].append(
        {"text": {"type": "plain_text", "text": "x"}, "value": str(theirs.pk)}
    )
    answer = sender.submit(view, {"rotation": theirs.pk}, user="U0GRACE").json()
    assert answer == {"response_action": "errors", "errors": {"rotation": "Pick one of your rotations."}}
    assert CoverRequest.objects.count() == 0


def test_someone_else_submitting_is_asked_as_themselves(sender, slack_app, platform):
    """The modal's payload says who submitted: Ada submitting Grace's times is Ada asking (and refused)."""
    view = open_modal(sender, slack_app)
    answer = sender.submit(view, {}, user="U0ADA").json()
    assert answer["errors"]["start"].startswith("Ada Lovelace is not on call in Platform from ")


def test_a_submitter_no_longer_in_the_rotation_is_told(sender, slack_app, platform):
    view = open_modal(sender, slack_app)
    platform.members.filter(email="grace@acme.example").delete()
    answer = sender.submit(view, {}, user="U0GRACE").json()
    assert answer == {
        "response_action": "errors",
        "errors": {"rotation": "You are not a member of Platform in Roster (as grace@acme.example)."},
    }


def test_a_day_past_the_end_of_the_calendar_is_refused_not_a_crash(sender, slack_app, platform):
    answer = sender.command("cover platform 2026-12-10 9999-12-31", user="U0GRACE").json()
    assert answer["text"] == "“9999-12-31” is not a date Roster can read: write e.g. 2026-12-10 09:00."
