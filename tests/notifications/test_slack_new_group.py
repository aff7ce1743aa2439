""" "Create @handle": an admin makes a new on-duty user group in Slack from the rotation page or the
JSON API; Roster binds it and fills it with whoever is on call; Slack's refusals are shown in plain
words beside the field they are about."""

import pytest

from accounts.models import AuditEvent
from notifications.models import RotationSlack
from tests.integrations.slack_flow import make_connection

pytestmark = pytest.mark.django_db

NO_GROUP_WRITE = "usergroups:read,users:read,users:read.email,chat:write,channels:read,groups:read"


def create(admin_client, rotation, handle, name=""):
    return admin_client.post(f"/rotations/{rotation.pk}/slack/usergroup/", {"handle": handle, "name": name})


def test_an_admin_creates_the_on_duty_group_and_roster_fills_it_with_who_is_on_call(
    team, org, fake_slack, admin_client
):
    make_connection(org, fake_slack)
    page = admin_client.get(f"/rotations/{team.pk}/").content.decode()
    assert "Create @handle…" in page and 'id="slack-new-group-handle"' in page

    response = create(admin_client, team, "@Platform-OnCall")
    assert response.status_code == 302
    (group,) = fake_slack.usergroups.values()
    assert (group["handle"], group["name"], group["users"]) == ("platform-oncall", "Platform on call", ["U0ADA"])
    assert RotationSlack.objects.get(rotation=team).usergroup_id == group["id"]
    assert AuditEvent.objects.filter(provider="slack", action="usergroup_create").count() == 1

    page = admin_client.get(response["Location"]).content.decode()
    assert "Created @platform-oncall in Slack" in page
    assert f'<option value="{group["id"]}" selected>@platform-oncall (Platform on call)</option>' in page


@pytest.mark.parametrize(
    ("setup", "field", "words"),
    [
        ("taken_name", "name", "A Slack user group with that name already exists"),
        ("taken_handle", "handle", "That @handle is already taken in Slack"),
        ("admins_only", "handle", "a Slack admin must allow everyone to manage user groups"),
        ("free_plan", "handle", "User groups need a paid Slack plan."),
        ("no_scope", "handle", "Roster's Slack app lacks a permission it needs (usergroups:write)"),
    ],
)
def test_slacks_refusal_is_shown_beside_the_field_with_the_dialog_open(
    team, org, fake_slack, admin_client, setup, field, words
):
    make_connection(
        org, fake_slack, **({"bot_token": fake_slack.issue_token(NO_GROUP_WRITE)} if setup == "no_scope" else {})
    )
    fake_slack.add_usergroup("S0OPS", "Ops on call", "ops-oncall")
    fake_slack.paid_plan = setup != "free_plan"
    fake_slack.groups_admins_only = setup == "admins_only"
    handle = "ops-oncall" if setup == "taken_handle" else "platform-oncall"

    response = create(admin_client, team, handle, "Ops on call" if setup == "taken_name" else "Platform on call")
    assert response.status_code == 200
    page = response.content.decode()
    error = page.split(f'id="slack-new-group-{field}_error">', 1)[1].split("</span>", 1)[0]
    assert words in error.replace("&#x27;", "'")
    assert '<dialog id="slack-new-group"' in page and " open" in page.split('<dialog id="slack-new-group"', 1)[1][:200]
    assert f'value="{handle}"' in page  # the values are kept
    assert not RotationSlack.objects.filter(rotation=team).exclude(usergroup_id="").exists()
    assert set(fake_slack.usergroups) == {"S0OPS"}


def test_a_handle_slack_would_refuse_is_explained_without_asking_slack(team, org, fake_slack, admin_client):
    make_connection(org, fake_slack)
    page = create(admin_client, team, "platform on call").content.decode()
    assert 'id="slack-new-group-handle_error">A @handle of up to 80 lower-case letters' in page
    assert fake_slack.calls["usergroups.create"] == 0


def test_a_member_cannot_create_a_group(team, org, fake_slack, member_client):
    make_connection(org, fake_slack)
    assert create(member_client, team, "platform-oncall").status_code in (403, 404)
    assert fake_slack.calls["usergroups.create"] == 0


# --- the JSON API -----------------------------------------------------------------------------------


@pytest.fixture
def patch(client, token_auth):
    def call(rotation, slack):
        return client.patch(
            f"/api/rotations/{rotation.pk}/",
            {"slack": slack},
            content_type="application/json",
            **token_auth,
        )

    return call


def test_a_script_creates_the_group_with_patch(team, org, fake_slack, patch):
    make_connection(org, fake_slack)
    response = patch(
        team, {"createUserGroup": {"handle": "platform-oncall", "name": "Platform"}, "topicChannelId": "C0OPS"}
    )
    assert response.status_code == 200, response.content
    (group,) = fake_slack.usergroups.values()
    assert response.json()["slack"]["userGroupId"] == group["id"]
    assert response.json()["slack"]["topicChannelId"] == "C0OPS"
    assert "createUserGroup" not in response.json()["slack"]  # write-only
    assert group["users"] == ["U0ADA"]


def test_slacks_refusal_is_a_409_naming_the_field(team, org, fake_slack, patch):
    make_connection(org, fake_slack)
    fake_slack.add_usergroup("S0OPS", "Platform", "ops-oncall")
    response = patch(team, {"createUserGroup": {"handle": "platform-oncall", "name": "Platform"}})
    assert response.status_code == 409
    assert response.json()["code"] == "slack_refused"
    assert response.json()["errors"] == {
        "slack.createUserGroup.name": [
            "A Slack user group with that name already exists: pick it, or choose another name."
        ]
    }


def test_slack_down_is_a_503(team, org, fake_slack, patch):
    make_connection(org, fake_slack)
    fake_slack.fail_next("usergroups.create", status=500, body={"ok": False})
    response = patch(team, {"createUserGroup": {"handle": "platform-oncall"}})
    assert response.status_code == 503 and response.json()["code"] == "slack_unavailable"
    assert "try again in a minute" in response.json()["message"]


@pytest.mark.parametrize(
    "slack",
    [
        {"createUserGroup": {"handle": "platform-oncall"}, "userGroupId": "S0X"},
        {"createUserGroup": "platform-oncall"},
        {"createUserGroup": {"handle": "platform-oncall", "channels": "C0OPS"}},
        {"createUserGroup": {"handle": "platform-oncall"}, "topicTemplate": "{who}"},
    ],
)
def test_a_malformed_create_changes_nothing_in_slack(team, org, fake_slack, patch, slack):
    make_connection(org, fake_slack)
    response = patch(team, slack)
    assert response.status_code == 400
    assert fake_slack.calls["usergroups.create"] == 0
