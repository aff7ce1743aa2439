"""OAuth connections in the JSON API, the disconnect confirmation and Django admin — never a token."""

import json
from datetime import timedelta

import pytest
import responses
from django.conf import settings
from django.db import connection as db_connection
from django.test import Client

from accounts.models import AuditEvent
from integrations.pagerduty.models import PagerDutyConnection, PagerDutyOAuthLogin
from tests import pd_mocks
from tests.conftest import query_of
from tests.pd_oauth import (
    ACCESS,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH,
    form_of,
    make_oauth_connection,
    mock_token,
)

pytestmark = pytest.mark.django_db

API = "/api/integrations/pagerduty/"
LOGIN_API = f"{API}oauth/login"
SECRETS = (ACCESS, REFRESH, CLIENT_SECRET)


def no_secret_in(text: str) -> bool:
    return not any(secret in text for secret in SECRETS)


def test_the_status_reports_oauth_scopes_and_expiry_but_never_a_token(admin_client, org):
    connection = make_oauth_connection(org, scopes="openid schedules.read")
    response = admin_client.get(API)
    data = response.json()
    assert data["authType"] == "oauth"
    assert data["scopes"] == ["openid", "schedules.read"]
    assert data["missingScopes"] == ["users.read"]
    assert data["tokenExpiresAt"] == connection.token_expires_at.isoformat()
    assert data["oauthApp"] == "organization"
    assert no_secret_in(response.content.decode())


def test_the_login_api_returns_an_authorize_url_bound_to_the_session(admin_client, org, rsps):
    response = admin_client.post(
        LOGIN_API, json.dumps({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}), content_type="application/json"
    )
    assert response.status_code == 200
    data = response.json()
    query = query_of(data["authorizeUrl"])
    assert query["client_id"] == CLIENT_ID and query["code_challenge_method"] == "S256"
    assert data["redirectUrl"] == "https://roster.example.com/api/integrations/pagerduty/login/callback"
    assert data["scopes"] == ["openid", "schedules.read", "teams.read", "users.read", "oncalls.read"]
    assert no_secret_in(response.content.decode())
    # The same browser session can finish it.
    mock_token(rsps)
    pd_mocks.mock_valid_user_key(rsps)
    page = admin_client.get(
        "/api/integrations/pagerduty/login/callback", {"code": "c", "state": query["state"]}, follow=True
    ).content.decode()
    assert "PagerDuty connected with OAuth" in page
    assert PagerDutyConnection.objects.get(organization=org).auth_type == "oauth"


def test_a_login_started_with_an_api_token_is_finished_by_a_signed_in_admin(token_auth, admin_user, outsider, rsps):
    script = Client()
    response = script.post(
        LOGIN_API,
        json.dumps({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}),
        content_type="application/json",
        **token_auth,
    )
    state = query_of(response.json()["authorizeUrl"])["state"]
    assert PagerDutyOAuthLogin.objects.get().bound_to_session is False

    stranger = Client()
    stranger.force_login(outsider)  # an admin of another organization cannot use it
    page = stranger.get("/api/integrations/pagerduty/login/callback", {"code": "c", "state": state}, follow=True)
    assert "did not come from a login Roster started" in page.content.decode()

    admin = Client()
    admin.force_login(admin_user)
    mock_token(rsps)
    pd_mocks.mock_valid_user_key(rsps)
    page = admin.get("/api/integrations/pagerduty/login/callback", {"code": "c", "state": state}, follow=True)
    assert "PagerDuty connected with OAuth" in page.content.decode()


def test_the_login_api_explains_a_missing_operator_app(admin_client, settings):
    response = admin_client.post(LOGIN_API, "{}", content_type="application/json")
    assert response.status_code == 409  # the server's settings, not the request
    assert response.json()["code"] == "oauth_not_available"
    assert "PagerDuty OAuth is not enabled" in response.json()["message"]

    settings.PAGERDUTY_OAUTH_ENABLED = True
    settings.PAGERDUTY_CLIENT_SECRET = "operator-secret"
    response = admin_client.post(LOGIN_API, "{}", content_type="application/json")
    assert response.json()["message"] == (
        "PagerDuty OAuth is not enabled: your Roster operator hasn't finished setting up the shared PagerDuty app "
        "on this server."
    )
    assert not PagerDutyOAuthLogin.objects.exists()


def test_members_cannot_start_a_login_by_api(member_client):
    response = member_client.post(
        LOGIN_API, json.dumps({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}), content_type="application/json"
    )
    assert response.status_code == 403
    assert not PagerDutyOAuthLogin.objects.exists()


def test_the_disconnect_confirmation_says_where_to_revoke(admin_client, org):
    make_oauth_connection(org)
    page = admin_client.get("/settings/integrations/?dialog=pagerduty-disconnect").content.decode()
    assert "Roster deletes its OAuth tokens and client secret." in page
    assert "Revoke All Tokens" in page and "App Registration" in page


def discovery(rsps, status=200, **document):
    rsps.add(
        responses.GET,
        f"{settings.PAGERDUTY_IDENTITY_URL}/.well-known/openid-configuration",
        json=document,
        status=status,
    )


def test_disconnect_deletes_the_tokens_and_pending_logins(admin_client, org, rsps):
    make_oauth_connection(org)
    discovery(rsps, status=404)  # PagerDuty advertises no revocation endpoint
    admin_client.post("/settings/integrations/pagerduty/refresh/")  # a pending login holding the secret
    assert PagerDutyOAuthLogin.objects.filter(organization=org).exists()

    response = admin_client.post("/settings/integrations/pagerduty/disconnect/", {"confirm": "on"}, follow=True)

    assert "PagerDuty disconnected" in response.content.decode()
    assert not PagerDutyConnection.objects.filter(organization=org).exists()
    assert not PagerDutyOAuthLogin.objects.filter(organization=org).exists()
    event = AuditEvent.objects.get(organization=org, action="disconnect")
    assert "revoke them in PagerDuty's App Registration" in event.summary


def test_disconnect_revokes_the_tokens_when_the_identity_service_advertises_an_endpoint(admin_client, org, rsps):
    make_oauth_connection(org)
    endpoint = f"{settings.PAGERDUTY_IDENTITY_URL}/oauth/revoke"
    discovery(rsps, revocation_endpoint=endpoint)
    rsps.add(responses.POST, endpoint, json={})

    admin_client.post("/settings/integrations/pagerduty/disconnect/", {"confirm": "on"})

    revoked = [form_of(c) for c in rsps.calls if c.request.url == endpoint]
    assert [(r["token"], r["token_type_hint"]) for r in revoked] == [
        (REFRESH, "refresh_token"),
        (ACCESS, "access_token"),
    ]
    assert {r["client_id"] for r in revoked} == {CLIENT_ID}
    assert "OAuth tokens revoked at PagerDuty" in AuditEvent.objects.get(organization=org, action="disconnect").summary
    assert not PagerDutyConnection.objects.filter(organization=org).exists()


def test_a_revocation_endpoint_on_another_host_is_not_sent_any_token(admin_client, org, rsps):
    make_oauth_connection(org)
    discovery(rsps, revocation_endpoint="https://evil.example/revoke")

    admin_client.post("/settings/integrations/pagerduty/disconnect/", {"confirm": "on"})

    assert not any("evil.example" in c.request.url for c in rsps.calls)
    assert "revoke them in PagerDuty's App Registration" in AuditEvent.objects.get(action="disconnect").summary
    assert not PagerDutyConnection.objects.filter(organization=org).exists()


def test_switching_to_an_api_key_forgets_the_oauth_credentials(admin_client, org, rsps):
    make_oauth_connection(org)
    pd_mocks.mock_valid_user_key(rsps)
    admin_client.post("/settings/integrations/pagerduty/rotate-key/", {"api_key": "u+AbCdEfGhIjKl1234", "region": "us"})
    connection = PagerDutyConnection.objects.get(organization=org)
    assert connection.auth_type == "api_key"
    assert (connection.access_token, connection.refresh_token, connection.oauth_client_secret) == ("", "", "")


def test_django_admin_shows_expiry_and_refresh_result_but_no_token(client, org, django_user_model):
    connection = make_oauth_connection(
        org, expires_in=timedelta(hours=3), last_refresh_result="failed", last_refresh_error="PagerDuty is down"
    )
    staff = django_user_model.objects.create_superuser(email="staff@roster.example", password="pw-staff-123")
    client.force_login(staff)
    pages = [
        client.get(f"/admin/pagerduty/pagerdutyconnection/{connection.pk}/change/").content.decode(),
        client.get("/admin/pagerduty/pagerdutyconnection/").content.decode(),
        client.get(f"/admin/accounts/organization/{org.pk}/change/").content.decode(),
    ]
    assert "Token expires at" in pages[0]
    assert "Failed (will retry)" in pages[0] and "PagerDuty is down" in pages[0]
    assert "Failed (will retry)" in pages[1]
    assert "Last refresh result" in pages[2]
    for page in pages:
        assert no_secret_in(page)


@pytest.mark.django_db(transaction=True)
def test_disconnect_revokes_tokens_before_any_transaction_holds_the_connection_row(admin_client, org, rsps):
    make_oauth_connection(org)
    endpoint = f"{settings.PAGERDUTY_IDENTITY_URL}/oauth/revoke"
    discovery(rsps, revocation_endpoint=endpoint)
    in_transaction = []

    def revoke(request):
        in_transaction.append(db_connection.in_atomic_block)
        return (200, {}, "{}")

    rsps.add_callback(responses.POST, endpoint, callback=revoke)

    admin_client.post("/settings/integrations/pagerduty/disconnect/", {"confirm": "on"})

    assert in_transaction == [False, False]
    assert not PagerDutyConnection.objects.filter(organization=org).exists()
