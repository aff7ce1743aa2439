"""The rotation JSON's `slack` object: GET shows every key (null when unset), PATCH any subset, null
turns a part off; validated like the page; null when Slack is not connected."""

import pytest

from accounts.models import AuditEvent
from notifications.models import RotationSlack
from tests.conftest import bearer
from tests.integrations.slack_flow import make_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, token_auth):
    def call(method, path, body=None):
        kwargs = dict(token_auth)
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return getattr(client, method)(f"/api/rotations/{path}", **kwargs)

    return call


EMPTY = {
    "userGroupId": None,
    "topicChannelId": None,
    "topicTemplate": None,
    "messageChannelId": None,
    "messageTemplates": {"onDuty": None, "offDuty": None, "reminder": None},
    "reminderHours": None,
    "permanentMemberIds": [],
    "gapBehaviour": "keep",
    "linked": 0,
    "total": 2,
    "unlinked": ["ada@acme.example", "grace@acme.example"],
}


def test_without_slack_the_rotation_json_says_slack_is_null_and_a_patch_is_refused(api, team):
    assert api("get", f"{team.pk}/").json()["slack"] is None
    response = api("patch", f"{team.pk}/", {"slack": {"userGroupId": "S0ONCALL"}})
    assert response.status_code == 409 and response.json()["code"] == "not_connected"


def test_a_script_sets_part_of_the_slack_settings_and_null_turns_a_part_off(api, team, org, fake_slack):
    make_connection(org, fake_slack)
    assert api("get", f"{team.pk}/").json()["slack"] == EMPTY

    response = api(
        "patch",
        f"{team.pk}/",
        {
            "slack": {
                "userGroupId": "S0ONCALL",
                "messageChannelId": "C0OPS",
                "messageTemplates": {"onDuty": "{person} is on call"},
                "reminderHours": 2,
            }
        },
    )
    assert response.status_code == 200, response.content
    slack = response.json()["slack"]
    assert (slack["userGroupId"], slack["messageChannelId"], slack["reminderHours"]) == ("S0ONCALL", "C0OPS", 2)
    assert slack["messageTemplates"] == {"onDuty": "{person} is on call", "offDuty": None, "reminder": None}

    slack = api("patch", f"{team.pk}/", {"slack": {"userGroupId": None, "name": "ignored?"}})
    assert slack.status_code == 400 and slack.json()["errors"] == {"slack.name": ["slack has no key “name”."]}
    slack = api("patch", f"{team.pk}/", {"slack": {"userGroupId": None}}).json()["slack"]
    assert slack["userGroupId"] is None and slack["messageChannelId"] == "C0OPS"

    assert api("patch", f"{team.pk}/", {"slack": None}).json()["slack"] == EMPTY
    assert AuditEvent.objects.filter(provider="slack", action="rotation_settings").count() == 3


def test_a_template_slack_would_refuse_is_a_400_naming_the_field(api, team, org, fake_slack):
    make_connection(org, fake_slack)
    response = api("patch", f"{team.pk}/", {"slack": {"topicTemplate": "{who}"}, "name": "Renamed"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["slack.topicTemplate"]
    assert "Unknown placeholder {who}" in response.json()["message"]
    assert not RotationSlack.objects.exists()
    assert api("get", f"{team.pk}/").json()["name"] == "Platform"  # nothing of the PATCH applied


def test_more_permanent_members_than_roster_keeps_is_a_400_not_a_silently_shorter_list(api, team, org, fake_slack):
    make_connection(org, fake_slack)
    ids = [f"U{n:08d}" for n in range(51)]

    response = api("patch", f"{team.pk}/", {"slack": {"permanentMemberIds": ids}})

    assert response.status_code == 400
    assert response.json()["errors"] == {"slack.permanentMemberIds": ["At most 50 permanent members (51 given)."]}
    assert not RotationSlack.objects.exists()
    assert api("patch", f"{team.pk}/", {"slack": {"permanentMemberIds": ids[:50]}}).status_code == 200


def test_a_member_reads_the_slack_settings_and_cannot_change_them(client, member_user, team, org, fake_slack):
    make_connection(org, fake_slack)
    client.force_login(member_user)
    assert client.get(f"/api/rotations/{team.pk}/").json()["slack"]["total"] == 2
    response = client.patch(
        f"/api/rotations/{team.pk}/", {"slack": {"userGroupId": "S0X"}}, content_type="application/json"
    )
    assert response.status_code == 403


def test_changing_the_slack_settings_needs_an_admin_token(client, team, org, fake_slack):
    """They change a whole Slack workspace (the group Roster rewrites, who is always in it, where it
    posts), as only an admin may on the page; a write token still changes the rotation itself."""
    make_connection(org, fake_slack)
    auth = bearer(org, "write")
    body = {"name": "Renamed", "slack": {"userGroupId": "S0ONCALL"}}

    response = client.patch(f"/api/rotations/{team.pk}/", body, content_type="application/json", **auth)

    assert response.status_code == 403
    assert (response.json()["code"], response.json()["requiredScope"]) == ("insufficient_scope", "admin")
    assert not RotationSlack.objects.exists()
    team.refresh_from_db()
    assert team.name == "Platform"  # nothing of the PATCH applied
    renamed = client.patch(f"/api/rotations/{team.pk}/", {"name": "Renamed"}, content_type="application/json", **auth)
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"


def _rotations_with_slack(org, count):
    from integrations.slack.models import SlackUser
    from tests.notifications.conftest import daily

    for email, user_id in (("ada@acme.example", "U0ADA"), ("grace@acme.example", "U0GRACE")):
        SlackUser.objects.get_or_create(
            team_id="T0ACME", email=email, defaults={"user_id": user_id, "looked_up_at": "2026-03-01T00:00:00Z"}
        )
    for n in range(count):
        rotation = daily(org, [("Ada Lovelace", "ada@acme.example"), (f"P{n}", f"p{n}@acme.example")])
        RotationSlack.objects.create(rotation=rotation, usergroup_id=f"S{n:04d}", topic_template="{person}")


QUERIES_FOR_THE_LIST = (
    11  # the token (read, touch), rotations + 5 prefetches (time off); Slack: connection, settings, people
)


def test_the_rotations_list_reads_every_slack_object_in_the_same_number_of_queries(
    api, org, fake_slack, frozen, django_assert_max_num_queries
):
    make_connection(org, fake_slack)
    _rotations_with_slack(org, 1)
    with django_assert_max_num_queries(QUERIES_FOR_THE_LIST):
        one = api("get", "").json()["rotations"]
    assert [r["slack"]["userGroupId"] for r in one] == ["S0000"]
    assert (one[0]["slack"]["linked"], one[0]["slack"]["unlinked"]) == (1, ["p0@acme.example"])

    _rotations_with_slack(org, 19)
    with django_assert_max_num_queries(QUERIES_FOR_THE_LIST):
        twenty = api("get", "").json()["rotations"]
    assert len(twenty) == 20
    assert {r["slack"]["userGroupId"] for r in twenty} == {f"S{n:04d}" for n in range(19)} | {"S0000"}
    assert all(r["slack"]["linked"] == 1 and r["slack"]["total"] == 2 for r in twenty)
    assert all(r["slack"] == api("get", f"{r['id']}/").json()["slack"] for r in twenty[:3])  # as one rotation reads


# --- the Slack section's test message and template preview -----------------------------------------


def test_a_script_sends_a_test_message_as_the_page_does(api, slack_team, fake_slack):
    response = api("post", f"{slack_team.pk}/slack/test-message")

    assert response.status_code == 200
    text = response.json()["text"]
    assert text.startswith("(Test) ") and fake_slack.messages[-1]["text"] == text
    assert AuditEvent.objects.filter(provider="slack", action="test_message").count() == 1


def test_a_test_message_slack_refuses_says_how_to_fix_it(api, slack_team, fake_slack):
    fake_slack.channels["C0OPS"]["is_member"] = False
    response = api("post", f"{slack_team.pk}/slack/test-message")
    assert response.status_code == 409 and response.json()["code"] == "not_sent"
    assert response.json()["message"].startswith("@Roster is not in channel C0OPS: invite it")


def test_a_test_message_without_a_message_channel_says_to_pick_one(api, team, org, fake_slack):
    make_connection(org, fake_slack)
    response = api("post", f"{team.pk}/slack/test-message")
    assert response.status_code == 409
    assert response.json() == {"code": "not_sent", "message": "Pick a message channel first (and connect Slack)."}


def test_a_test_message_while_slack_is_down_is_a_503(api, slack_team, fake_slack):
    fake_slack.fail_next("chat.postMessage", status=503, body={"ok": False, "error": "service_unavailable"})
    response = api("post", f"{slack_team.pk}/slack/test-message")
    assert response.status_code == 503 and response.json()["code"] == "slack_unavailable"


def test_a_script_previews_typed_templates_without_saving_them(api, slack_team):
    body = {"topicTemplate": "On call: {person}", "messageTemplates": {"onDuty": "{who} is on", "offDuty": ""}}
    response = api("post", f"{slack_team.pk}/slack/preview", body)

    assert response.status_code == 200
    previews = response.json()["previews"]
    assert [(p["field"], p["label"], p["error"]) for p in previews] == [
        ("topicTemplate", "Topic", False),
        ("messageTemplates.onDuty", "On duty", True),
        ("messageTemplates.offDuty", "Off duty (default)", False),
    ]
    assert previews[0]["text"] == "On call: <@U0123456789>"
    assert previews[1]["text"].startswith("Unknown placeholder {who}: use {rotation}, {person}")
    assert RotationSlack.objects.get().on_duty_template == ""  # nothing saved


def test_an_empty_preview_shows_what_is_saved_and_null_empties_a_key(api, slack_team):
    saved = api("post", f"{slack_team.pk}/slack/preview", {}).json()["previews"]
    assert [p["label"] for p in saved] == ["On duty (default)", "Off duty (default)"]
    assert api("post", f"{slack_team.pk}/slack/preview", {"messageChannelId": None}).json() == {"previews": []}


def test_the_test_message_and_preview_need_an_admin(client, member_user, slack_team, org, fake_slack):
    write = bearer(org, "write")
    for path in ("test-message", "preview"):
        url = f"/api/rotations/{slack_team.pk}/slack/{path}"
        assert client.post(url, {}, content_type="application/json", **write).status_code == 403
    client.force_login(member_user)
    for path in ("test-message", "preview"):
        url = f"/api/rotations/{slack_team.pk}/slack/{path}"
        assert client.post(url, {}, content_type="application/json").status_code == 403
    assert fake_slack.messages == []


def test_another_organizations_rotation_is_a_404(client, outsider, slack_team, fake_slack):
    client.force_login(outsider)
    for path in ("test-message", "preview"):
        response = client.post(f"/api/rotations/{slack_team.pk}/slack/{path}", {}, content_type="application/json")
        assert response.status_code == 404
    assert fake_slack.messages == []
