"""Add to Slack from Settings → Integrations: the card, the OAuth v2 flow against the fake Slack, and
every way a callback can fail without changing anything."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from integrations.slack.models import SlackConnection, SlackOAuthLogin
from integrations.slack.oauth import BOT_SCOPES
from tests.conftest import query_of
from tests.integrations.slack_flow import (
    CALLBACK,
    URL,
    add_to_slack,
    callback_path,
    decide_on_slack,
    make_connection,
    start_install,
)

pytestmark = pytest.mark.django_db


def card(client) -> str:
    page = client.get(URL).content.decode()
    start = page.index('id="slack"')
    return page[start : page.index("</article>", start)]


def test_an_admin_sees_the_slack_card_with_add_to_slack_the_scopes_and_the_redirect_url(admin_client, fake_slack):
    html = card(admin_client)
    assert "Not connected" in html
    assert "Add to Slack" in html
    assert "https://roster.example.com/integrations/slack/callback" in html
    for scope in BOT_SCOPES:
        assert f"<code>{scope}</code>" in html


def test_the_slack_card_tells_admins_what_the_operator_must_set_when_the_app_is_missing(admin_client):
    html = card(admin_client)
    assert (
        "Slack isn&#x27;t set up on this Roster server yet: the operator sets SLACK_CLIENT_ID and SLACK_CLIENT_SECRET."
        in html
    )
    assert "Add to Slack</button>" not in html


def test_add_to_slack_refuses_politely_when_the_operator_app_is_missing(admin_client):
    response = admin_client.post("/settings/integrations/slack/install/", follow=True)
    assert "the operator sets SLACK_CLIENT_ID and SLACK_CLIENT_SECRET" in response.content.decode()
    assert not SlackOAuthLogin.objects.exists()


def test_a_member_sees_the_card_but_no_controls(member_client, fake_slack):
    html = card(member_client)
    assert "Not connected" in html
    assert "Add to Slack" not in html
    assert member_client.post("/settings/integrations/slack/install/").status_code == 403


def test_add_to_slack_sends_the_admin_to_slack_with_the_bot_scopes_and_a_state_stored_only_hashed(
    admin_client, fake_slack
):
    location = start_install(admin_client)
    assert location.startswith(fake_slack.authorize_url + "?")
    query = query_of(location)
    assert query["client_id"] == fake_slack.client_id
    assert query["scope"].split(",") == list(BOT_SCOPES)
    assert query["redirect_uri"] == "https://roster.example.com/integrations/slack/callback"
    login = SlackOAuthLogin.objects.get()
    assert len(query["state"]) >= 40
    assert login.state_hash != query["state"] and query["state"] not in login.state_hash


def test_approving_in_slack_connects_the_workspace_and_the_card_shows_it(admin_client, admin_user, org, fake_slack):
    connection = add_to_slack(admin_client, fake_slack)

    assert connection.organization == org
    assert connection.team_name == "Acme Ops" and connection.team_id == "T0ACME"
    assert connection.bot_user_id == "U0ROSTER" and connection.bot_id == "B0ROSTER"
    assert connection.bot_token in fake_slack.tokens
    assert connection.scope_list == list(BOT_SCOPES)
    assert connection.status == "active" and connection.validated_at is not None
    assert connection.connected_by == admin_user
    page = admin_client.get(URL).content.decode()
    assert "Slack connected to the workspace Acme Ops." in page
    html = card(admin_client)
    assert "Acme Ops" in html and "@roster" in html and "<code>chat:write</code>" in html
    assert "Disconnect" in html and "Add to Slack" not in html
    assert connection.bot_token not in page
    assert AuditEvent.objects.get(provider="slack", action="connect").summary == "Added to the Slack workspace Acme Ops"
    assert fake_slack.calls["oauth.v2.access"] == 1
    # Slack gets the same redirect_uri as the authorize URL, and the app's credentials.
    exchange = fake_slack.calls_of("oauth.v2.access")[0]
    assert exchange.params["redirect_uri"] == "https://roster.example.com/integrations/slack/callback"


def assert_nothing_changed(response, fake_slack, *, said: str) -> None:
    """The callback's page says `said`; Roster never exchanged the code with Slack and has no connection."""
    assert said in response.content.decode()
    assert not SlackConnection.objects.exists()
    assert fake_slack.calls["oauth.v2.access"] == 0


def test_a_replayed_callback_changes_nothing(admin_client, fake_slack):
    back = decide_on_slack(fake_slack, start_install(admin_client))
    admin_client.get(callback_path(back))
    first = SlackConnection.objects.get()

    response = admin_client.get(callback_path(back), follow=True)

    assert "This install was already used. Click Add to Slack again. Nothing was changed." in response.content.decode()
    assert fake_slack.calls["oauth.v2.access"] == 1
    assert SlackConnection.objects.get().bot_token == first.bot_token


def test_a_state_roster_never_issued_changes_nothing(admin_client, fake_slack):
    start_install(admin_client)
    response = admin_client.get(f"{CALLBACK}?code=anything&state=forged-state-value", follow=True)
    assert_nothing_changed(response, fake_slack, said="unknown state")


def test_a_state_from_another_browser_session_changes_nothing(admin_client, admin_user, fake_slack):
    back = decide_on_slack(fake_slack, start_install(admin_client))
    other_browser = Client()
    other_browser.force_login(admin_user)  # the same person, a new session

    response = other_browser.get(callback_path(back), follow=True)

    assert_nothing_changed(response, fake_slack, said="started in another browser session")


def test_a_state_started_for_another_organization_changes_nothing(admin_client, outsider, fake_slack):
    back = decide_on_slack(fake_slack, start_install(admin_client))
    outsider_client = Client()
    outsider_client.force_login(outsider)

    response = outsider_client.get(callback_path(back), follow=True)

    assert_nothing_changed(response, fake_slack, said="unknown state")


def test_an_install_older_than_ten_minutes_is_refused(admin_client, fake_slack):
    back = decide_on_slack(fake_slack, start_install(admin_client))
    SlackOAuthLogin.objects.update(created_at=timezone.now() - timedelta(minutes=11))

    response = admin_client.get(callback_path(back), follow=True)

    assert_nothing_changed(response, fake_slack, said="The install expired")


def test_cancelling_in_slack_lands_back_on_the_card_unconnected(admin_client, fake_slack):
    back = decide_on_slack(fake_slack, start_install(admin_client), allow=False)

    response = admin_client.get(callback_path(back), follow=True)

    assert "Slack access was denied: Roster was not added to the workspace. Nothing was changed." in (
        response.content.decode()
    )
    assert not SlackConnection.objects.exists()
    assert SlackOAuthLogin.objects.get().used_at is not None  # the state cannot be used afterwards


def test_an_error_slack_sends_back_is_never_repeated_as_html(admin_client, fake_slack):
    start_install(admin_client)
    response = admin_client.get(f"{CALLBACK}?error=<script>alert(1)</script>&state=x", follow=True)
    page = response.content.decode()
    assert "Slack did not add Roster to the workspace (unknown). Nothing was changed." in page
    assert "<script>alert(1)" not in page and "alert(1)" not in page


def test_slack_refusing_the_code_exchange_shows_fixed_words(admin_client, fake_slack, settings):
    settings.SLACK_CLIENT_SECRET = "not-the-secret"
    back = decide_on_slack(fake_slack, start_install(admin_client))

    page = admin_client.get(callback_path(back), follow=True).content.decode()

    assert (
        "Slack did not complete the install: Slack refused SLACK_CLIENT_SECRET: the operator must set the Slack "
        "app&#x27;s current Client Secret. Nothing was changed." in page
    )
    assert not SlackConnection.objects.exists()


def test_reconnecting_replaces_the_dead_token_and_clears_the_reason(admin_client, fake_slack):
    first = add_to_slack(admin_client, fake_slack)
    SlackConnection.objects.update(status="needs_reauth", last_error="Slack no longer accepts Roster's token")
    assert "Reconnect Slack" in card(admin_client)

    second = add_to_slack(admin_client, fake_slack)

    assert second.pk == first.pk and second.bot_token != first.bot_token
    assert second.status == "active" and second.last_error == ""
    assert AuditEvent.objects.filter(provider="slack", action="reconnect").count() == 1


def test_reconnecting_to_another_workspace_is_refused_and_keeps_the_rotations_workspace(admin_client, fake_slack):
    first = add_to_slack(admin_client, fake_slack)
    SlackConnection.objects.update(status="needs_reauth", last_error="Slack no longer accepts Roster's token")
    fake_slack.team_id, fake_slack.team_name = "T0OTHER", "Other Co"

    back = decide_on_slack(fake_slack, start_install(admin_client))
    page = admin_client.get(callback_path(back), follow=True).content.decode()

    assert (
        "You added Roster to the Slack workspace Other Co, but Roster is connected to Acme Ops, whose user "
        "groups and channels your rotations use. To use another workspace, disconnect Slack first, then add "
        "it. Nothing was changed." in page.replace("&#x27;", "'")
    )
    connection = SlackConnection.objects.get()
    assert (connection.team_id, connection.bot_token, connection.status) == ("T0ACME", first.bot_token, "needs_reauth")
    assert not AuditEvent.objects.filter(provider="slack", action="reconnect").exists()


def test_a_refused_install_into_another_workspace_removes_the_app_from_there(admin_client, fake_slack):
    first = add_to_slack(admin_client, fake_slack)
    fake_slack.team_id, fake_slack.team_name = "T0OTHER", "Other Co"

    back = decide_on_slack(fake_slack, start_install(admin_client))
    page = admin_client.get(callback_path(back), follow=True).content.decode().replace("&#x27;", "'")

    (other,) = [t for t in fake_slack.tokens if t != first.bot_token]
    assert [c.token for c in fake_slack.calls_of("apps.uninstall")] == [other]
    assert fake_slack.uninstalled == ["T0OTHER"] and fake_slack.calls["auth.revoke"] == 0
    assert fake_slack.tokens[other]["revoked"] is True
    assert fake_slack.tokens[first.bot_token]["revoked"] is False
    assert "Nothing was changed. Roster removed its app from Other Co." in page
    assert fake_slack.client_secret not in page and other not in page


def test_a_refused_install_revokes_the_token_when_slack_cannot_remove_the_app(admin_client, fake_slack):
    first = add_to_slack(admin_client, fake_slack)
    fake_slack.team_id, fake_slack.team_name = "T0OTHER", "Other Co"
    fake_slack.fail_next("apps.uninstall", body={"ok": False, "error": "bad_client_secret"})

    back = decide_on_slack(fake_slack, start_install(admin_client))
    page = admin_client.get(callback_path(back), follow=True).content.decode().replace("&#x27;", "'")

    (other,) = [t for t in fake_slack.tokens if t != first.bot_token]
    assert fake_slack.tokens[other]["revoked"] is True and fake_slack.tokens[first.bot_token]["revoked"] is False
    assert (
        "Roster revoked its token for Other Co, so it cannot act there, but Slack could not remove the app "
        "(bad_client_secret): to take the app off the workspace's list of apps too, remove it in Slack." in page
    )


def test_a_refused_install_says_when_slack_could_not_revoke_the_other_token(admin_client, fake_slack):
    add_to_slack(admin_client, fake_slack)
    fake_slack.team_id, fake_slack.team_name = "T0OTHER", "Other Co"
    for method in ("apps.uninstall", "auth.revoke"):
        fake_slack.fail_next(method, status=503, body={"ok": False, "error": "service_unavailable"})

    back = decide_on_slack(fake_slack, start_install(admin_client))
    page = admin_client.get(callback_path(back), follow=True).content.decode().replace("&#x27;", "'")

    assert (
        "Roster could neither remove its app from Other Co (http_503) nor revoke its token (http_503): "
        "remove the Roster app from Other Co in Slack." in page
    )
    assert SlackConnection.objects.get().team_id == "T0ACME"


def test_a_refused_install_into_a_workspace_another_organization_uses_leaves_it_alone(
    admin_client, other_org, fake_slack
):
    """Slack gives the app one bot token per workspace: the token of the refused install is theirs."""
    first = add_to_slack(admin_client, fake_slack)
    fake_slack.team_id, fake_slack.team_name = "T0OTHER", "Other Co"
    theirs = make_connection(other_org, fake_slack)

    back = decide_on_slack(fake_slack, start_install(admin_client))
    page = admin_client.get(callback_path(back), follow=True).content.decode().replace("&#x27;", "'")

    assert "You added Roster to the Slack workspace Other Co, but Roster is connected to Acme Ops" in page
    assert "Roster still works in Other Co for another organization, so the app stays there." in page
    assert "Globex" not in page
    assert fake_slack.calls["apps.uninstall"] == 0 and fake_slack.calls["auth.revoke"] == 0
    assert not any(info["revoked"] for info in fake_slack.tokens.values())
    theirs.refresh_from_db()
    assert (theirs.team_id, theirs.status, theirs.last_error) == ("T0OTHER", "active", "")
    assert SlackConnection.objects.get(organization=first.organization).team_id == "T0ACME"


def test_a_link_to_the_callback_cannot_cancel_the_install_the_admin_is_in(admin_client, fake_slack):
    back = decide_on_slack(fake_slack, start_install(admin_client))

    admin_client.get(CALLBACK, {"error": "access_denied", "state": "made-up"})
    admin_client.get(CALLBACK, {"code": "made-up", "state": "made-up"})
    admin_client.get(CALLBACK, {"error": "access_denied", "state": "made-up-é"})  # not ASCII: refused, not a 500
    admin_client.get(callback_path(back))

    assert SlackConnection.objects.get().team_id == "T0ACME"
