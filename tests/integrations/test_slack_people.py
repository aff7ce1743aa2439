"""People are matched to Slack users by email (users.lookupByEmail), cached per workspace: a cached
person costs no call, an address Slack did not know is asked again later, and one unmatched
person never stops the others."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from integrations.slack import client as slack
from integrations.slack.models import SlackConnection, SlackUser
from integrations.slack.selectors import slack_match_cached
from integrations.slack.services import connection_disconnect, slack_user_forget, slack_users_match
from tests.integrations.slack_flow import make_connection

pytestmark = pytest.mark.django_db

PEOPLE = ["nobody@acme.example", "Ada@Acme.example", "grace@acme.example"]


@pytest.fixture
def connection(org, fake_slack) -> SlackConnection:
    return make_connection(org, fake_slack)


def test_people_are_matched_by_email_and_the_unknown_are_named(connection, fake_slack):
    match = slack_users_match(connection=connection, emails=PEOPLE)
    assert match.linked == {"ada@acme.example": "U0ADA", "grace@acme.example": "U0GRACE"}
    assert match.unlinked == ["nobody@acme.example"]
    assert (len(match.linked), match.total) == (2, 3)
    assert match.user_ids() == ["U0ADA", "U0GRACE"]
    assert [c.params["email"] for c in fake_slack.calls_of("users.lookupByEmail")] == [
        "nobody@acme.example",
        "ada@acme.example",
        "grace@acme.example",
    ]


def test_a_second_match_asks_slack_nothing(connection, fake_slack):
    slack_users_match(connection=connection, emails=PEOPLE)
    again = slack_users_match(
        connection=connection, emails=["grace@acme.example", "ADA@acme.example", "nobody@acme.example"]
    )
    assert again.linked == {"grace@acme.example": "U0GRACE", "ada@acme.example": "U0ADA"}
    assert fake_slack.calls["users.lookupByEmail"] == 3


def test_an_address_slack_did_not_know_is_asked_again_after_an_hour(connection, fake_slack):
    slack_users_match(connection=connection, emails=["newcomer@acme.example"])
    fake_slack.users["newcomer@acme.example"] = "U0NEW"  # they join Slack

    assert slack_users_match(connection=connection, emails=["newcomer@acme.example"]).unlinked == [
        "newcomer@acme.example"
    ]
    assert fake_slack.calls["users.lookupByEmail"] == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        match = slack_users_match(connection=connection, emails=["newcomer@acme.example"])
    assert match.linked == {"newcomer@acme.example": "U0NEW"}
    assert fake_slack.calls["users.lookupByEmail"] == 2


def test_a_user_slack_refused_is_forgotten_and_looked_up_again(connection, fake_slack):
    slack_users_match(connection=connection, emails=["ada@acme.example"])
    fake_slack.users["ada@acme.example"] = "U0ADA2"  # a new account for the same address

    assert slack_user_forget(team_id=connection.team_id, user_ids=["U0ADA"]) == 1
    match = slack_users_match(connection=connection, emails=["ada@acme.example"])

    assert match.linked == {"ada@acme.example": "U0ADA2"}
    assert fake_slack.calls["users.lookupByEmail"] == 2


def test_the_cache_is_per_workspace(connection, other_org, fake_slack):
    slack_users_match(connection=connection, emails=["ada@acme.example"])
    elsewhere = make_connection(other_org, fake_slack, team_id="T0GLOBEX")
    slack_users_match(connection=elsewhere, emails=["ada@acme.example"])
    assert fake_slack.calls["users.lookupByEmail"] == 2
    assert SlackUser.objects.filter(email="ada@acme.example").count() == 2


def test_a_rate_limit_mid_way_keeps_what_was_found_and_looks_up_the_rest_later(connection, fake_slack):
    slack_users_match(connection=connection, emails=["ada@acme.example"])
    fake_slack.fail_next("users.lookupByEmail", status=429, headers={"Retry-After": "30"})

    match = slack_users_match(connection=connection, emails=["ada@acme.example", "grace@acme.example"])

    assert match.linked == {"ada@acme.example": "U0ADA"} and match.unlinked == ["grace@acme.example"]
    assert not SlackUser.objects.filter(email="grace@acme.example").exists()  # not cached as unknown
    later = slack_users_match(connection=connection, emails=["ada@acme.example", "grace@acme.example"])
    assert later.unlinked == []


def test_a_dead_token_marks_the_connection_for_reconnect(connection, fake_slack):
    fake_slack.revoke_all()
    with pytest.raises(slack.NeedsReauth):
        slack_users_match(connection=connection, emails=["ada@acme.example"])
    connection.refresh_from_db()
    assert connection.status == "needs_reauth"


def test_a_missing_email_permission_is_shown_on_the_card(org, fake_slack):
    narrow = make_connection(org, fake_slack, bot_token=fake_slack.issue_token(scopes="users:read,chat:write"))
    with pytest.raises(slack.Permanent):
        slack_users_match(connection=narrow, emails=["ada@acme.example"])
    narrow.refresh_from_db()
    assert narrow.status == "active"
    assert "lacks a permission it needs (users:read.email)" in narrow.last_error


def test_the_cached_summary_asks_slack_nothing(connection, fake_slack):
    slack_users_match(connection=connection, emails=["ada@acme.example", "nobody@acme.example"])
    calls = fake_slack.calls["users.lookupByEmail"]

    summary = slack_match_cached(
        team_id=connection.team_id, emails=["ada@acme.example", "Nobody@acme.example", "x@y.z"]
    )

    assert summary.linked == {"ada@acme.example": "U0ADA"}
    assert summary.unlinked == ["nobody@acme.example", "x@y.z"]
    assert fake_slack.calls["users.lookupByEmail"] == calls


def test_disconnecting_forgets_the_workspace_people(connection, org, fake_slack):
    slack_users_match(connection=connection, emails=PEOPLE)
    connection_disconnect(organization=org)
    assert not SlackUser.objects.exists()
