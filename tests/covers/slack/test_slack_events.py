"""Slack's request URL (/integrations/slack/events/): only requests Slack signed with the app's
signing secret are answered; `/roster help`, `/roster who` and `url_verification` answer at once."""

import time

import pytest

from tests.covers.slack.conftest import HANDOFF, SECRET, when
from tests.fake_slack import SlackSender

pytestmark = pytest.mark.django_db

URL = "/integrations/slack/events/"


def test_the_url_is_not_found_while_no_signing_secret_is_set(client, settings, fake_slack):
    settings.SLACK_SIGNING_SECRET = ""
    response = SlackSender(client, fake_slack, signing_secret="anything").command("help")
    assert response.status_code == 404


def test_a_request_signed_with_another_secret_is_refused(sender):
    response = sender.form({"command": "/roster", "text": "who", "team_id": "T0ACME"}, secret="not-the-secret")
    assert response.status_code == 401
    assert b"not signed by Slack" in response.content


def test_a_request_signed_over_five_minutes_ago_is_refused(sender):
    response = sender.command("help", timestamp=int(time.time()) - 6 * 60)
    assert response.status_code == 401


def test_an_unsigned_request_is_refused(client, sender):
    response = client.post(URL, data="command=%2Froster&text=help", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 401
    response = client.post(
        URL,
        data="command=%2Froster&text=help",
        content_type="application/x-www-form-urlencoded",
        headers={"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=00"},
    )
    assert response.status_code == 401


def test_only_post(sender, client):
    response = client.get(URL)
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_a_signed_body_changed_on_the_way_is_refused(sender, client):
    good = sender.command("help")
    assert good.status_code == 200
    stamp = str(int(time.time()))
    from slack_sdk.signature import SignatureVerifier

    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body="command=%2Froster&text=help")
    response = client.post(
        URL,
        data="command=%2Froster&text=who",
        content_type="application/x-www-form-urlencoded",
        headers={"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature},
    )
    assert response.status_code == 401


def test_url_verification_echoes_the_challenge(sender):
    response = sender.event(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
    )
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_the_app_uninstalled_from_the_workspace_asks_for_reconnect(sender, connection):
    response = sender.event(
        {"type": "event_callback", "team_id": "T0ACME", "event": {"type": "app_uninstalled"}, "event_id": "Ev1"}
    )
    assert response.status_code == 200
    connection.refresh_from_db()
    assert connection.status == "needs_reauth"
    assert connection.last_error.startswith("Slack no longer accepts Roster's token (token_revoked)")


def test_only_a_revoked_bot_token_asks_for_reconnect(sender, connection):
    user_tokens_only = {"type": "tokens_revoked", "tokens": {"oauth": ["U0ADA"], "bot": []}}
    sender.event({"type": "event_callback", "team_id": "T0ACME", "event": user_tokens_only})
    connection.refresh_from_db()
    assert connection.status == "active"
    bot_token = {"type": "tokens_revoked", "tokens": {"bot": ["U0ROSTER"]}}
    sender.event({"type": "event_callback", "team_id": "T0ACME", "event": bot_token})
    connection.refresh_from_db()
    assert connection.status == "needs_reauth"


def test_an_unsigned_uninstall_changes_nothing(client, connection):
    body = '{"type": "event_callback", "team_id": "T0ACME", "event": {"type": "app_uninstalled"}}'
    response = client.post(URL, data=body, content_type="application/json")
    assert response.status_code == 401
    connection.refresh_from_db()
    assert connection.status == "active"


def test_other_events_are_acknowledged(sender):
    response = sender.event({"type": "event_callback", "team_id": "T0ACME", "event": {"type": "app_home_opened"}})
    assert response.status_code == 200


def test_help_is_an_ephemeral_message(sender):
    for text in ("help", "", "HELP"):
        answer = sender.command(text).json()
        assert answer["response_type"] == "ephemeral"
        assert "`/roster who`" in answer["text"] and "`/roster cover`" in answer["text"]


def test_an_unknown_word_gets_the_help(sender, platform):
    answer = sender.command("dance").json()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Roster does not know `dance`.")
    assert "`/roster who`" in answer["text"]


def test_a_workspace_no_organization_connected_is_told_how(sender, platform):
    answer = sender.command("who", team="T0OTHER").json()
    assert answer == {
        "response_type": "ephemeral",
        "text": "This Slack workspace is not connected to Roster: an admin clicks *Add to Slack* on Settings → "
        "Integrations.",
    }


def test_who_lists_every_rotation_now_and_next(sender, platform, database, slack_app):
    answer = sender.command("who").json()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].splitlines() == [
        "*Database*: now Admin; no handoff in the coming two weeks",
        f"*Platform*: now Ada Lovelace; next Grace Hopper from {when(HANDOFF)}",
    ]
    assert slack_app.log == []  # nothing asked of Slack


def test_who_mentions_the_people_slack_is_known_to_know_without_asking_slack(sender, platform, database, slack_app):
    """Ada and Grace were looked up before (a message, a click): mentions; Admin never was: the name."""
    from django.utils import timezone

    from integrations.slack.models import SlackUser

    for email, user_id in (("ada@acme.example", "U0ADA"), ("grace@acme.example", "U0GRACE")):
        SlackUser.objects.create(team_id="T0ACME", email=email, user_id=user_id, looked_up_at=timezone.now())

    answer = sender.command("who").json()

    assert answer["text"].splitlines() == [
        "*Database*: now Admin; no handoff in the coming two weeks",
        f"*Platform*: now <@U0ADA>; next <@U0GRACE> from {when(HANDOFF)}",
    ]
    assert slack_app.log == []


def test_who_names_one_rotation_whatever_the_case(sender, platform, database):
    answer = sender.command("who plAtform").json()
    assert answer["text"] == f"*Platform*: now Ada Lovelace; next Grace Hopper from {when(HANDOFF)}"


def test_who_with_a_name_no_rotation_has_says_so(sender, platform, database):
    answer = sender.command("who payments").json()
    assert answer["text"] == "No rotation is called “payments”. The rotations: Database, Platform"


def test_who_shows_only_the_workspaces_organization(sender, platform, other_org):
    from tests.factories import RotationFactory

    RotationFactory(organization=other_org, name="Globex secret rotation", members=[("Eve", "eve@globex.example")])
    answer = sender.command("who").json()
    assert "Globex" not in answer["text"] and "Platform" in answer["text"]


def test_names_are_escaped_for_slack(sender, org, frozen):
    from tests.factories import RotationFactory

    RotationFactory(organization=org, name="<!channel> & co", members=[("Ada <b>", "ada@acme.example")])
    answer = sender.command("who").json()
    assert answer["text"].startswith("*&lt;!channel&gt; &amp; co*: now Ada &lt;b&gt;")


def test_the_answer_comes_without_calling_slack_even_when_slack_is_slow(sender, platform, slack_app):
    slack_app.latency = 5
    started = time.monotonic()
    assert sender.command("who").status_code == 200
    assert time.monotonic() - started < 3


def test_a_payload_that_is_not_json_is_a_400(sender):
    assert sender.form({"payload": "{not json"}).status_code == 400
    assert sender.post("[1, 2", "application/json").status_code == 400


def test_an_unknown_button_is_acknowledged_and_ignored(sender, slack_app):
    response = sender.click("12", action_id="something_else")
    assert response.status_code == 200 and response.content == b""
    assert slack_app.responses == [] and slack_app.log == []


def test_a_view_submission_of_another_modal_is_acknowledged(sender):
    response = sender.interaction(
        {"type": "view_submission", "team": {"id": "T0ACME"}, "user": {"id": "U0ADA"}, "view": {"callback_id": "other"}}
    )
    assert response.status_code == 200


def test_the_url_refuses_csrf_free_form_posts_from_a_browser_session(admin_client, slack_app):
    """A signed-in admin's browser cannot post a command: the signature is what counts, not the session."""
    response = admin_client.post(URL, {"command": "/roster", "text": "who", "team_id": "T0ACME"})
    assert response.status_code == 401


def test_odd_shapes_in_a_signed_payload_are_answered_not_a_500(sender, platform):
    odd = [
        {"type": "block_actions", "team": "T0ACME", "user": ["U0ADA"], "actions": "cover_take"},
        {"type": "block_actions", "team": {"id": "T0ACME"}, "user": {"id": "U0ADA"}, "actions": [7, None]},
        {"type": "view_submission", "team": {"id": "T0ACME"}, "user": {"id": "U0ADA"}, "view": []},
    ]
    for payload in odd:
        assert sender.interaction(payload).status_code == 200
    submitted = {
        "type": "view_submission",
        "team": {"id": "T0ACME"},
        "user": {"id": "U0ADA"},
        "view": {"callback_id": "cover_ask", "state": {"values": {"rotation": "x", "start": {"start": 5}}}},
    }
    answer = sender.interaction(submitted).json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"start", "end", "rotation"}
    assert sender.event({"type": "event_callback", "event": "app_uninstalled"}).status_code == 200
