"""A connected Slack workspace: Refresh, a revoked app turning the card into Reconnect Slack, the beat
re-validation, Disconnect (the app removed from the workspace, or its token revoked, before any row lock;
left alone while another organization uses the workspace), and the JSON API."""

import json
import re

import pytest
from django.db import connection as db_connection

from accounts.models import AuditEvent
from integrations.slack import client as slack
from integrations.slack.models import SlackConnection, SlackOAuthLogin
from integrations.slack.services import connection_record_error, connection_revalidate
from integrations.slack.tasks import start_validate_connections
from tests.conftest import bearer
from tests.integrations.slack_flow import (
    URL,
    make_connection,
)
from tests.rotations.test_pages import confirm_refused

pytestmark = pytest.mark.django_db

API = "/api/integrations/slack/"


def card(client) -> str:
    page = client.get(URL).content.decode()
    start = page.index('id="slack"')
    return page[start : page.index("</article>", start)]


def test_refresh_checks_the_token_with_slack_and_updates_last_validated(admin_client, org, fake_slack):
    connection = make_connection(org, fake_slack, team_name="Old name")
    page = admin_client.post(f"{URL}slack/refresh/", follow=True).content.decode()
    assert "Connection refreshed: Slack accepted Roster&#x27;s token." in page
    connection.refresh_from_db()
    assert connection.team_name == "Acme Ops" and connection.validated_at is not None
    assert fake_slack.calls["auth.test"] == 1


def test_a_removed_app_turns_the_card_into_reconnect_slack_with_the_reason(admin_client, org, fake_slack):
    make_connection(org, fake_slack)
    fake_slack.revoke_all()

    page = admin_client.post(f"{URL}slack/refresh/", follow=True).content.decode()

    assert "Refresh failed: Slack no longer accepts Roster&#x27;s token (token_revoked)" in page
    html = card(admin_client)
    assert "Needs re-authorization" in html
    assert "Reconnect Slack</button>" in html
    assert "Action needed:</strong> Slack no longer accepts Roster&#x27;s token (token_revoked)" in html
    assert ">Refresh</button>" not in html
    assert SlackConnection.objects.get().status == "needs_reauth"
    assert AuditEvent.objects.filter(provider="slack", action="needs_reauth").count() == 1
    assert re.search(r'slack-history">\s*<li><time [^>]+>[-\d]{10} [\d:]{5} UTC</time>', html)


def test_a_workspace_missing_permissions_offers_the_reconnect_slack_it_asks_for(admin_client, org, fake_slack):
    make_connection(org, fake_slack, scopes="chat:write,commands")

    html = card(admin_client)

    assert "Reconnect Slack to grant them." in html
    assert "Reconnect Slack</button>" in html and ">Refresh</button>" in html


def test_members_see_who_can_reconnect_slack_not_an_instruction_to_click_it(member_client, org, fake_slack):
    connection = make_connection(org, fake_slack)
    connection_record_error(connection, slack.error_for("token_revoked"))

    html = card(member_client)

    assert "Slack no longer accepts Roster&#x27;s token (token_revoked)" in html
    assert "Click Reconnect Slack" not in html
    assert f"Only an admin can fix this: ask {org_admin(org).email}." in html


@pytest.mark.parametrize(
    ("code", "reason", "advice"),
    [
        (
            "token_revoked",
            "Slack no longer accepts Roster&#x27;s token (token_revoked): the app was removed or its token revoked.",
            "Click Reconnect Slack to add Roster to the workspace again.",
        ),
        (
            "missing_scope",
            "Roster&#x27;s Slack app lacks a permission it needs (users:read.email).",
            "Click Reconnect Slack to grant it (an operator may first need to add it to the Slack app).",
        ),
    ],
)
def test_admins_read_the_reconnect_advice_and_members_never_do(
    client, admin_client, member_user, org, fake_slack, code, reason, advice
):
    connection = make_connection(org, fake_slack)
    connection_record_error(connection, slack.error_for(code, needed="users:read.email"))

    assert f"Action needed:</strong> {reason} {advice}\n" in card(admin_client)
    assert client.get(API, **bearer(org, "admin")).json()["lastError"] == f"{reason} {advice}".replace("&#x27;", "'")
    admin_client.force_login(member_user)
    html = card(admin_client)
    assert f"Action needed:</strong> {reason}\n" in html
    assert "Click Reconnect Slack" not in html and "Only an admin can fix this: ask" in html


def test_the_advice_admins_read_is_today_s_wording_not_the_one_when_the_error_was_recorded(
    client, admin_client, org, fake_slack, monkeypatch
):
    connection = make_connection(org, fake_slack)
    connection_record_error(connection, slack.error_for("token_revoked"))
    reason = "Slack no longer accepts Roster's token (token_revoked): the app was removed or its token revoked."

    monkeypatch.setattr(slack, "REAUTH_HELP", "Click Reconnect Slack, then pick the workspace again.")

    html = card(admin_client)
    assert "Click Reconnect Slack, then pick the workspace again." in html
    assert "Click Reconnect Slack to add Roster" not in html
    assert client.get(API, **bearer(org, "admin")).json()["lastError"] == (
        f"{reason} Click Reconnect Slack, then pick the workspace again."
    )


def test_a_dead_token_seen_by_any_call_marks_the_connection(org, fake_slack):
    connection = make_connection(org, fake_slack)
    try:
        slack.SlackClient(connection.bot_token).auth_revoke()
        slack.SlackClient(connection.bot_token).chat_post_message(channel="C0OPS", text="hi")
    except slack.SlackError as error:
        connection_record_error(connection, error)
    connection.refresh_from_db()
    assert connection.status == "needs_reauth"
    assert connection.last_error_code in slack.NEEDS_REAUTH_CODES
    assert "Click Reconnect Slack" in connection.last_error_for_admins


def test_beat_revalidates_active_connections_and_catches_a_removed_app(org, other_org, fake_slack):
    alive = make_connection(org, fake_slack)
    dead = make_connection(other_org, fake_slack, bot_token="xoxb-long-gone-token")

    assert start_validate_connections.delay().get() == 2

    alive.refresh_from_db()
    dead.refresh_from_db()
    assert alive.status == "active" and alive.validated_at is not None
    assert dead.status == "needs_reauth" and "invalid_auth" in dead.last_error


def test_a_slack_outage_is_shown_but_keeps_the_connection_active(admin_client, org, fake_slack):
    make_connection(org, fake_slack)
    fake_slack.fail_next("auth.test", status=500, body={"ok": False, "error": "internal_error"})

    page = admin_client.post(f"{URL}slack/refresh/", follow=True).content.decode()

    assert "Refresh failed: Slack answered with an error (HTTP 500); Roster will try again." in page
    assert SlackConnection.objects.get().status == "active"


def test_disconnect_asks_for_confirmation_first(admin_client, org, fake_slack):
    make_connection(org, fake_slack)
    html = card(admin_client)
    assert "Disconnect Slack?" in html and "Yes, disconnect Slack" in html
    confirm_refused(admin_client, f"{URL}slack/disconnect/", "slack-disconnect")
    assert SlackConnection.objects.exists()
    assert fake_slack.calls["auth.revoke"] == 0 and fake_slack.calls["apps.uninstall"] == 0


def test_disconnect_removes_the_app_from_the_workspace_then_deletes_the_token(admin_client, org, fake_slack):
    connection = make_connection(org, fake_slack)
    SlackOAuthLogin.objects.create(
        state_hash="x" * 64, organization=org, user=connection.connected_by or org_admin(org)
    )
    dialog = admin_client.get(f"{URL}?dialog=slack-disconnect").content.decode()
    assert "Roster removes its app from Acme Ops and deletes its token." in dialog

    page = admin_client.post(f"{URL}slack/disconnect/", {"confirm": "on"}, follow=True).content.decode()

    assert "Slack disconnected. Roster deleted its token. Roster removed its app from Acme Ops." in page
    (call,) = fake_slack.calls_of("apps.uninstall")
    assert call.params["client_id"] == fake_slack.client_id and call.token == connection.bot_token
    assert fake_slack.uninstalled == ["T0ACME"] and fake_slack.calls["auth.revoke"] == 0
    assert fake_slack.tokens[connection.bot_token]["revoked"] is True
    for secret in (fake_slack.client_secret, connection.bot_token):
        assert secret not in page
    assert not SlackConnection.objects.exists() and not SlackOAuthLogin.objects.exists()
    event = AuditEvent.objects.get(provider="slack", action="disconnect")
    assert event.summary == "Disconnected the Slack workspace Acme Ops (app removed from the workspace at Slack)"
    assert "Add to Slack" in card(admin_client)


def test_disconnect_leaves_the_workspace_to_another_organization_that_uses_it(admin_client, org, other_org, fake_slack):
    """Slack gives an app one bot token per workspace: revoking it, or removing the app, would cut
    the other organization off too."""
    ours = make_connection(org, fake_slack)
    theirs = make_connection(other_org, fake_slack, bot_token=ours.bot_token)
    dialog = admin_client.get(f"{URL}?dialog=slack-disconnect").content.decode()
    assert "Roster still works in Acme Ops for another organization, so the app stays there." in dialog
    assert "Globex" not in dialog

    page = admin_client.post(f"{URL}slack/disconnect/", {"confirm": "on"}, follow=True).content.decode()

    assert (
        "Slack disconnected. Roster deleted its token. Roster still works in Acme Ops for another organization, "
        "so the app stays there." in page
    )
    assert "Globex" not in page
    assert fake_slack.calls["apps.uninstall"] == 0 and fake_slack.calls["auth.revoke"] == 0
    assert fake_slack.tokens[ours.bot_token]["revoked"] is False
    assert list(SlackConnection.objects.all()) == [theirs]
    theirs.refresh_from_db()
    assert theirs.status == "active" and theirs.bot_token == ours.bot_token and theirs.last_error == ""
    assert connection_revalidate(connection=theirs).status == "active"  # Slack still accepts their token
    event = AuditEvent.objects.get(provider="slack", action="disconnect", organization=org)
    assert event.summary == (
        "Disconnected the Slack workspace Acme Ops (app left in the workspace: another organization uses it)"
    )


def test_when_slack_cannot_remove_the_app_disconnect_revokes_the_token_and_says_what_is_left(
    admin_client, org, fake_slack
):
    connection = make_connection(org, fake_slack)
    fake_slack.fail_next("apps.uninstall", body={"ok": False, "error": "invalid_client_id"})

    page = admin_client.post(f"{URL}slack/disconnect/", {"confirm": "on"}, follow=True).content.decode()

    assert fake_slack.calls["apps.uninstall"] == 1 and fake_slack.calls["auth.revoke"] == 1
    assert fake_slack.tokens[connection.bot_token]["revoked"] is True and fake_slack.uninstalled == []
    assert (
        "Slack disconnected. Roster deleted its token. Roster revoked its token for Acme Ops, so it cannot act "
        "there, but Slack could not remove the app (invalid_client_id): to take the app off the workspace&#x27;s "
        "list of apps too, remove it in Slack." in page
    )
    assert not SlackConnection.objects.exists()
    summary = AuditEvent.objects.get(provider="slack", action="disconnect").summary
    assert summary.endswith("(token revoked at Slack; the app could not be removed (invalid_client_id))")


def test_without_the_operators_slack_app_settings_disconnect_revokes_the_token(admin_client, org, fake_slack, settings):
    connection = make_connection(org, fake_slack)
    settings.SLACK_CLIENT_SECRET = ""

    page = admin_client.post(f"{URL}slack/disconnect/", {"confirm": "on"}, follow=True).content.decode()

    assert fake_slack.calls["apps.uninstall"] == 0 and fake_slack.calls["auth.revoke"] == 1
    assert fake_slack.tokens[connection.bot_token]["revoked"] is True
    assert (
        "Roster revoked its token for Acme Ops, so it cannot act there, but it cannot remove the app without the "
        "operator&#x27;s SLACK_CLIENT_ID and SLACK_CLIENT_SECRET: to take the app off the workspace&#x27;s list of "
        "apps too, remove it in Slack." in page
    )


def org_admin(org):
    return org.memberships.get(role="admin").user


def test_disconnect_says_when_slack_no_longer_accepted_the_token(admin_client, org, fake_slack):
    make_connection(org, fake_slack)
    fake_slack.revoke_all()

    page = admin_client.post(f"{URL}slack/disconnect/", {"confirm": "on"}, follow=True).content.decode()

    assert (
        "Slack disconnected. Roster deleted its token. Slack no longer accepted Roster&#x27;s token for Acme Ops "
        "(the app was removed or its token revoked): if Roster is still in the workspace&#x27;s list of apps, "
        "remove it in Slack." in page
    )
    assert not SlackConnection.objects.exists()


def slack_is_down(fake_slack):
    for method in ("apps.uninstall", "auth.revoke"):
        fake_slack.fail_next(method, status=503, body={"ok": False, "error": "service_unavailable"})


def test_disconnect_still_deletes_the_token_when_slack_is_down(admin_client, org, fake_slack):
    make_connection(org, fake_slack)
    slack_is_down(fake_slack)

    admin_client.post(f"{URL}slack/disconnect/", {"confirm": "on"})

    assert not SlackConnection.objects.exists()
    summary = AuditEvent.objects.get(provider="slack", action="disconnect").summary
    assert (
        "Roster could neither remove the app (http_503) nor revoke the token (http_503): remove the app in Slack"
        in summary
    )


def test_the_page_says_when_slack_could_not_revoke_the_token(admin_client, org, fake_slack):
    make_connection(org, fake_slack)
    slack_is_down(fake_slack)

    page = admin_client.post(f"{URL}slack/disconnect/", {"confirm": "on"}, follow=True).content.decode()

    assert "Roster revoked its token" not in page and "Roster removed its app" not in page
    assert (
        "Slack disconnected. Roster deleted its token. Roster could neither remove its app from Acme Ops (http_503) "
        "nor revoke its token (http_503): remove the Roster app from Acme Ops in Slack." in page
    )


def test_disconnecting_twice_says_slack_was_already_disconnected(admin_client, org, fake_slack):
    make_connection(org, fake_slack)
    admin_client.post(f"{URL}slack/disconnect/", {"confirm": "on"})

    page = admin_client.post(f"{URL}slack/disconnect/", {"confirm": "on"}, follow=True).content.decode()

    assert "Slack was already disconnected." in page


@pytest.mark.django_db(transaction=True)
def test_disconnect_calls_slack_before_any_transaction_holds_the_connection_row(
    admin_client, org, fake_slack, monkeypatch
):
    make_connection(org, fake_slack)
    fake_slack.fail_next("apps.uninstall", body={"ok": False, "error": "invalid_client_id"})  # then auth.revoke
    in_transaction = []

    def spy(name):
        real = getattr(slack.SlackClient, name)

        def call(self, **kwargs):
            in_transaction.append((name, db_connection.in_atomic_block))
            return real(self, **kwargs)

        monkeypatch.setattr(slack.SlackClient, name, call)

    spy("apps_uninstall")
    spy("auth_revoke")

    admin_client.post(f"{URL}slack/disconnect/", {"confirm": "on"})

    assert in_transaction == [("apps_uninstall", False), ("auth_revoke", False)]
    assert not SlackConnection.objects.exists()


def test_members_cannot_refresh_or_disconnect(member_client, org, fake_slack):
    make_connection(org, fake_slack)
    assert member_client.post(f"{URL}slack/refresh/").status_code == 403
    assert member_client.post(f"{URL}slack/disconnect/", {"confirm": "on"}).status_code == 403
    assert SlackConnection.objects.exists()
    html = card(member_client)
    assert "Acme Ops" in html and "Disconnect" not in html


# --- JSON API --------------------------------------------------------------------------------------


def test_the_api_shows_the_connection_status_never_the_token(client, org, fake_slack):
    connection = make_connection(org, fake_slack, status="needs_reauth", last_error="Slack no longer accepts it")
    response = client.get(API, **bearer(org, "admin"))
    assert response.status_code == 200
    data = response.json()
    assert data["connected"] is True and data["status"] == "needs_reauth"
    assert data["teamName"] == "Acme Ops" and data["botUserId"] == "U0ROSTER"
    assert data["lastError"] == "Slack no longer accepts it"
    assert "chat:write" in data["scopes"] and data["missingScopes"] == []
    assert connection.bot_token not in response.content.decode()


def test_the_api_says_not_connected_and_what_the_operator_must_set(client, org):
    data = client.get(API, **bearer(org, "admin")).json()
    assert data == {
        "connected": False,
        "status": "not_connected",
        "setupProblem": "Slack isn't set up on this Roster server yet: the operator sets SLACK_CLIENT_ID and "
        "SLACK_CLIENT_SECRET.",
    }


def test_the_api_disconnects_and_removes_the_app(client, org, fake_slack):
    connection = make_connection(org, fake_slack)
    response = client.delete(API, **bearer(org, "admin"))
    assert response.status_code == 200 and response.json()["connected"] is False
    assert response.json()["tokenRevoked"] is True
    assert response.json()["tokenNote"] == "Roster deleted its token. Roster removed its app from Acme Ops."
    assert fake_slack.tokens[connection.bot_token]["revoked"] is True and fake_slack.uninstalled == ["T0ACME"]
    assert fake_slack.client_secret not in response.content.decode()
    assert client.delete(API, **bearer(org, "admin")).json()["code"] == "not_connected"


def test_the_api_says_the_token_is_revoked_when_only_auth_revoke_worked(client, org, fake_slack):
    make_connection(org, fake_slack)
    fake_slack.fail_next("apps.uninstall", body={"ok": False, "error": "bad_client_secret"})
    data = client.delete(API, **bearer(org, "admin")).json()
    assert data["tokenRevoked"] is True
    assert data["tokenNote"].startswith("Roster deleted its token. Roster revoked its token for Acme Ops")


def test_the_api_says_the_token_still_works_for_another_organization(client, org, other_org, fake_slack):
    ours = make_connection(org, fake_slack)
    make_connection(other_org, fake_slack, bot_token=ours.bot_token)
    data = client.delete(API, **bearer(org, "admin")).json()
    assert data["connected"] is False and data["tokenRevoked"] is False
    assert data["tokenNote"] == (
        "Roster deleted its token. Roster still works in Acme Ops for another organization, so the app stays there."
    )
    assert fake_slack.tokens[ours.bot_token]["revoked"] is False


def test_the_api_says_when_slack_could_not_revoke_the_token(client, org, fake_slack):
    make_connection(org, fake_slack)
    slack_is_down(fake_slack)
    data = client.delete(API, **bearer(org, "admin")).json()
    assert data["connected"] is False and data["tokenRevoked"] is False
    assert data["tokenNote"] == (
        "Roster deleted its token. Roster could neither remove its app from Acme Ops (http_503) nor revoke its "
        "token (http_503): remove the Roster app from Acme Ops in Slack."
    )


@pytest.mark.parametrize("scope", ["read", "write"])
def test_the_slack_api_needs_an_admin_token(client, org, fake_slack, scope):
    make_connection(org, fake_slack)
    for response in (client.get(API, **bearer(org, scope)), client.delete(API, **bearer(org, scope))):
        assert response.status_code == 403
        assert response.json()["code"] == "insufficient_scope"
    assert SlackConnection.objects.exists()


def test_a_member_session_cannot_read_the_slack_status(member_client, org, fake_slack):
    make_connection(org, fake_slack)
    response = member_client.get(API)
    assert response.status_code == 403
    assert json.loads(response.content)["code"] == "forbidden"


def test_the_api_shows_only_the_callers_organization(client, org, other_org, fake_slack):
    make_connection(other_org, fake_slack)
    assert client.get(API, **bearer(org, "admin")).json()["connected"] is False
    assert client.delete(API, **bearer(org, "admin")).status_code == 404
    assert SlackConnection.objects.filter(organization=other_org).exists()


def test_a_slack_outage_reads_degraded_not_action_needed(client, admin_client, member_user, org, fake_slack):
    make_connection(org, fake_slack)
    fake_slack.fail_next("auth.test", status=503, body={})

    admin_client.post(f"{URL}slack/refresh/")

    assert client.get(API, **bearer(org, "admin")).json()["lastErrorTransient"] is True
    for user in (None, member_user):
        if user:
            admin_client.force_login(user)
        html = card(admin_client)
        assert 'data-testid="slack-status">Degraded<' in html
        assert "Degraded:</strong> Slack answered with an error (HTTP 503); Roster will try again." in html
        assert "Action needed" not in html and "Only an admin can fix this" not in html


def test_a_refusal_found_by_the_periodic_check_still_reads_action_needed(client, admin_client, org, fake_slack):
    connection = make_connection(org, fake_slack)
    connection_record_error(connection, slack.Unavailable("http_503", "Slack answered with an error (HTTP 503)."))
    connection_record_error(connection, slack.error_for("missing_scope", needed="users:read.email"))
    connection_record_error(connection, slack.Unavailable("http_503", "Slack answered with an error (HTTP 503)."))

    html = card(admin_client)
    assert 'data-testid="slack-status">Action needed<' in html
    assert "Action needed:</strong> Roster&#x27;s Slack app lacks a permission it needs (users:read.email)" in html
    assert "Degraded" not in html
    assert client.get(API, **bearer(org, "admin")).json()["lastErrorTransient"] is False


def test_a_slack_rate_limit_on_the_card_gives_no_countdown_that_goes_stale(admin_client, org, fake_slack):
    make_connection(org, fake_slack)
    fake_slack.fail_next("auth.test", status=429, headers={"Retry-After": "30"})

    admin_client.post(f"{URL}slack/refresh/")

    html = card(admin_client)
    assert "Degraded:</strong> Slack is rate-limiting Roster; it will try again." in html
    assert "30 s" not in html
