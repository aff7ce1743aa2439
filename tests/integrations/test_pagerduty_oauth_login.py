"""Connect with OAuth from Settings → Integrations: the login flow and every way it can fail.

PagerDuty's identity service and REST API are mocked with `responses`."""

from datetime import timedelta

import pytest
import responses
import time_machine
from django.db import connection as db_connection
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from integrations.pagerduty.models import PagerDutyConnection, PagerDutyOAuthLogin
from tests import pd_mocks
from tests.conftest import query_of
from tests.factories import PagerDutyConnectionFactory
from tests.pd_oauth import (
    ACCESS,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH,
    form_of,
    id_token,
    make_oauth_connection,
    mock_token,
    s256,
    token_body,
    token_calls,
    token_url,
)

pytestmark = pytest.mark.django_db

URL = "/settings/integrations/"
CONNECT = f"{URL}pagerduty/oauth/connect/"
CALLBACK = "/api/integrations/pagerduty/login/callback"
KEY = "u+AbCdEfGhIjKlMnOp1234"


def start(client, **data) -> dict:
    """Click Connect with OAuth (the organization's own app by default); returns the authorize URL's query."""
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "region": "us", **data}
    response = client.post(CONNECT, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    return query_of(response["Location"]) | {"_url": response["Location"]}


def callback(client, **params):
    return client.get(CALLBACK, params, follow=True)


def page_of(response) -> str:
    return response.content.decode()


def test_the_connect_dialog_offers_oauth_with_the_redirect_url_and_scopes(admin_client):
    page = page_of(admin_client.get(URL + "?dialog=pagerduty-connect"))
    assert "Connect with OAuth" in page
    assert "https://roster.example.com/api/integrations/pagerduty/login/callback" in page
    assert "openid schedules.read teams.read users.read oncalls.read" in page
    # No operator app configured: the dialog says so and asks for the organization's own app.
    assert "PagerDuty OAuth is not enabled" in page
    assert 'name="client_id"' in page and 'name="client_secret"' in page


def test_connect_redirects_to_pagerduty_with_state_and_pkce(admin_client, org, settings):
    query = start(admin_client)
    assert query["_url"].startswith(f"{settings.PAGERDUTY_IDENTITY_URL}/oauth/authorize?")
    assert query["client_id"] == CLIENT_ID
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == "https://roster.example.com/api/integrations/pagerduty/login/callback"
    assert query["scope"] == "openid schedules.read teams.read users.read oncalls.read"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32
    login = PagerDutyOAuthLogin.objects.get(organization=org)
    assert s256(login.code_verifier) == query["code_challenge"]
    assert login.state_hash != query["state"]  # only a hash is stored
    assert CLIENT_SECRET not in query["_url"]


def test_the_whole_flow_connects_and_shows_who_authorized_it(admin_client, org, rsps, captured_logs):
    query = start(admin_client)
    verifier = PagerDutyOAuthLogin.objects.get(organization=org).code_verifier
    mock_token(rsps)
    pd_mocks.mock_valid_user_key(rsps, name="Earline Greenholt", email="earline@acme.example", subdomain="acme")

    response = callback(admin_client, code="auth-code-123", state=query["state"])
    page = page_of(response)

    assert response.redirect_chain[-1][0] == "/settings/integrations/"
    assert "PagerDuty connected with OAuth as Earline Greenholt." in page
    assert 'data-testid="pd-status">Active<' in page
    assert 'data-testid="pd-auth-type">OAuth 2.0<' in page
    assert "Earline Greenholt &lt;earline@acme.example&gt;" in page
    assert "acme.pagerduty.com" in page
    assert "<code>schedules.read</code>" in page and "<code>users.read</code>" in page
    assert "Missing scopes" not in page
    # The code was exchanged with PKCE and the app's credentials in the form body.
    [sent] = token_calls(rsps)
    assert sent == {
        "grant_type": "authorization_code",
        "code": "auth-code-123",
        "redirect_uri": "https://roster.example.com/api/integrations/pagerduty/login/callback",
        "code_verifier": verifier,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    me = next(c for c in rsps.calls if c.request.url.endswith("/users/me"))
    assert me.request.headers["Authorization"] == f"Bearer {ACCESS}"
    connection = PagerDutyConnection.objects.get(organization=org)
    assert (connection.auth_type, connection.access_token, connection.refresh_token) == ("oauth", ACCESS, REFRESH)
    assert connection.token_expires_at > timezone.now() + timedelta(hours=23)
    assert connection.oauth_client_secret == CLIENT_SECRET
    # Encrypted at rest, and never shown or logged.
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token, oauth_client_secret FROM pagerduty_pagerdutyconnection")
        raw = " ".join(cursor.fetchone())
    for secret in (ACCESS, REFRESH, CLIENT_SECRET, verifier, "auth-code-123"):
        assert secret not in raw
        assert secret not in page
        assert secret not in captured_logs.text
    assert AuditEvent.objects.filter(organization=org, action="oauth_connect").exists()
    # The pending login is spent and no longer holds the verifier or secret.
    login = PagerDutyOAuthLogin.objects.get(organization=org)
    assert login.used_at is not None and login.code_verifier == "" and login.client_secret == ""


def test_granted_scopes_without_schedules_read_are_named_on_the_card(admin_client, org, rsps):
    query = start(admin_client)
    mock_token(rsps, scope="openid teams.read")  # PagerDuty silently granted less
    pd_mocks.mock_valid_user_key(rsps)
    page = page_of(callback(admin_client, code="c", state=query["state"]))
    assert "PagerDuty did not grant the scopes Roster needs: schedules.read, users.read." in page
    assert "Missing scopes: schedules.read, users.read." in page
    assert PagerDutyConnection.objects.get(organization=org).scopes == "openid teams.read"


def test_the_eu_region_comes_from_the_id_token(admin_client, org, rsps):
    query = start(admin_client)
    body = token_body()
    body["id_token"] = id_token(user_id="PXPGF42", subdomain="acme-eu", region="EU")
    mock_token(rsps, json=body)
    pd_mocks.mock_valid_user_key(rsps, region="eu", subdomain="acme-eu")
    page = page_of(callback(admin_client, code="c", state=query["state"]))
    assert "acme-eu.eu.pagerduty.com" in page
    assert PagerDutyConnection.objects.get(organization=org).region == "eu"


# --- Failures: the admin lands on the card with a message; an existing connection stays as it was.


@pytest.fixture
def existing(org):
    """An API-key connection that a failed OAuth login must leave exactly as it was."""
    return PagerDutyConnectionFactory(organization=org, api_key=KEY, external_user_name="Old User")


def unchanged(connection) -> bool:
    fresh = PagerDutyConnection.objects.get(pk=connection.pk)
    return (fresh.auth_type, fresh.api_key, fresh.access_token, fresh.updated_at) == (
        connection.auth_type,
        connection.api_key,
        connection.access_token,
        connection.updated_at,
    )


def test_a_denied_consent_says_so_and_changes_nothing(admin_client, existing, rsps):
    query = start(admin_client)
    response = callback(
        admin_client, error="access_denied", error_description="The user denied the request", state=query["state"]
    )
    page = page_of(response)
    assert response.redirect_chain[-1][0] == "/settings/integrations/"
    assert "PagerDuty access was denied. Nothing was changed." in page
    assert "The user denied the request" not in page  # the link's author chose that text
    assert unchanged(existing)
    assert token_calls(rsps) == []
    assert PagerDutyOAuthLogin.objects.get().used_at is not None  # the state is spent


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        ("server_error", "PagerDuty did not authorize Roster (server_error). Nothing was changed."),
        ("<b>Call+555-0100+for+help</b>", "PagerDuty did not authorize Roster. Nothing was changed."),
    ],
)
def test_a_pagerduty_error_shows_fixed_text_never_the_callers_description(admin_client, existing, rsps, error, shown):
    query = start(admin_client)
    description = "Your account is locked. Call +1 555 0100 to unlock it"
    page = page_of(callback(admin_client, error=error, error_description=description, state=query["state"]))
    assert shown in page
    # Not "555" alone: a random token on the page (CSRF, nonce) may hold it by chance.
    assert not any(said in page for said in ("555 0100", "555-0100", "555+0100", "locked", "<b>Call"))
    assert unchanged(existing) and token_calls(rsps) == []


@pytest.mark.parametrize("params", [{"error": "access_denied"}, {"code": "c"}], ids=["error", "code"])
def test_a_callback_with_a_state_not_of_this_session_leaves_the_pending_login_usable(admin_client, org, rsps, params):
    query = start(admin_client)
    other = Client()
    other.force_login(PagerDutyOAuthLogin.objects.get().user)
    someone_elses = start(other)  # a genuine pending login, but not this browser's
    for state in ("forged-state-value-that-roster-never-issued", "forged-é", someone_elses["state"], ""):
        callback(admin_client, state=state, **params)
    assert PagerDutyOAuthLogin.objects.filter(used_at=None).count() == 2  # nothing was spent

    mock_token(rsps)
    pd_mocks.mock_valid_user_key(rsps)
    page = page_of(callback(admin_client, code="c", state=query["state"]))
    assert "PagerDuty connected with OAuth" in page
    assert PagerDutyConnection.objects.get(organization=org).auth_type == PagerDutyConnection.AuthType.OAUTH


def test_it_rejects_a_missing_state(admin_client, existing, rsps):
    start(admin_client)
    page = page_of(callback(admin_client, code="c"))
    assert "without a state" in page and "Nothing was changed." in page
    assert unchanged(existing) and token_calls(rsps) == []


def test_it_rejects_a_forged_state(admin_client, existing, rsps):
    start(admin_client)
    page = page_of(callback(admin_client, code="c", state="forged-state-value-that-roster-never-issued"))
    assert "did not come from a login Roster started" in page
    assert unchanged(existing) and token_calls(rsps) == []


@pytest.mark.parametrize(
    ("started_by", "said"),
    [
        # the same admin in another browser: no state in this session
        ("admin_user", "started in another browser session"),
        ("outsider", "did not come from a login Roster started"),  # another organization's admin
    ],
)
def test_it_rejects_a_state_started_elsewhere(request, client, admin_user, existing, rsps, started_by, said):
    elsewhere = Client()
    elsewhere.force_login(request.getfixturevalue(started_by))
    query = start(elsewhere)
    client.force_login(admin_user)
    page = page_of(callback(client, code="c", state=query["state"]))
    assert said in page
    assert unchanged(existing) and token_calls(rsps) == []


def test_it_rejects_a_reused_state(admin_client, org, rsps):
    query = start(admin_client)
    mock_token(rsps)
    pd_mocks.mock_valid_user_key(rsps)
    callback(admin_client, code="c", state=query["state"])
    connection = PagerDutyConnection.objects.get(organization=org)

    page = page_of(callback(admin_client, code="c2", state=query["state"]))
    assert "This sign-in was already used." in page
    assert len(token_calls(rsps)) == 1
    assert unchanged(connection)


def test_it_rejects_an_expired_state(admin_client, existing, rsps):
    query = start(admin_client)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        page = page_of(callback(admin_client, code="c", state=query["state"]))
    assert "The sign-in expired (it must finish within 10 minutes)." in page
    assert unchanged(existing) and token_calls(rsps) == []


@pytest.mark.parametrize(
    ("mock", "expected"),
    [
        (
            {"status": 400, "json": {"error": "invalid_grant", "error_description": "code expired"}},
            "PagerDuty refused the authorization code (invalid_grant) (code expired).",
        ),
        (
            {"status": 401, "json": {"error": "invalid_client"}},
            "PagerDuty refused the OAuth app's Client ID or Secret (invalid_client).",
        ),
        ({"status": 503, "body": "<html>down</html>"}, "sign-in service is having trouble (HTTP 503)"),
        ({"status": 200, "body": "not json"}, "could not read"),
        ({"body": responses.ConnectionError("refused")}, "sign-in service could not be reached"),
    ],
    ids=["invalid-grant", "invalid-client", "server-error", "unreadable", "unreachable"],
)
def test_a_failed_code_exchange_says_why_and_changes_nothing(admin_client, existing, rsps, mock, expected):
    query = start(admin_client)
    if isinstance(mock.get("body"), Exception):
        rsps.add(responses.POST, token_url(), body=mock["body"])
    else:
        mock_token(rsps, **mock)
    page = page_of(callback(admin_client, code="c", state=query["state"]))
    assert "PagerDuty did not exchange the authorization code" in page
    assert expected in page.replace("&#x27;", "'")
    assert "Nothing was changed." in page
    assert unchanged(existing)
    assert not AuditEvent.objects.filter(action__startswith="oauth").exists()


def test_a_token_that_cannot_read_the_user_changes_nothing(admin_client, existing, rsps):
    query = start(admin_client)
    mock_token(rsps)
    pd_mocks.mock_unauthorized(rsps)
    page = page_of(callback(admin_client, code="c", state=query["state"]))
    assert "could not look up who authorized it" in page
    assert unchanged(existing)


def test_a_member_cannot_start_or_finish_a_login(member_client, org):
    assert member_client.post(CONNECT, {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}).status_code == 403
    assert member_client.get(CALLBACK, {"code": "c", "state": "s"}).status_code == 403
    assert not PagerDutyOAuthLogin.objects.exists()


def test_half_filled_app_credentials_are_refused_in_the_dialog(admin_client):
    response = admin_client.post(CONNECT, {"client_id": CLIENT_ID, "client_secret": "", "region": "us"})
    assert response.status_code == 200
    assert "Enter both the Client ID and the Client Secret" in page_of(response)
    assert not PagerDutyOAuthLogin.objects.exists()


# --- The operator's app (environment) ------------------------------------------------------------


def test_the_operators_app_connects_without_asking_for_credentials(admin_client, org, rsps, settings):
    settings.PAGERDUTY_OAUTH_ENABLED = True
    settings.PAGERDUTY_CLIENT_ID = "operator-client-id"
    settings.PAGERDUTY_CLIENT_SECRET = "operator-secret-NEVER-SHOW"
    settings.PAGERDUTY_OAUTH_SCOPES = "read"  # a Classic app for many accounts
    page = page_of(admin_client.get(URL + "?dialog=pagerduty-connect"))
    assert "PagerDuty OAuth is not enabled" not in page
    assert "Use your organization's own PagerDuty app instead" in page

    query = start(admin_client, client_id="", client_secret="")
    assert query["client_id"] == "operator-client-id"
    assert query["scope"] == "read"
    mock_token(rsps, scope="read openid")
    pd_mocks.mock_valid_user_key(rsps)
    page = page_of(callback(admin_client, code="c", state=query["state"]))
    assert "PagerDuty connected with OAuth" in page
    assert "Missing scopes" not in page  # Classic `read` covers schedules and users
    assert form_of(rsps.calls[0])["client_secret"] == "operator-secret-NEVER-SHOW"
    connection = PagerDutyConnection.objects.get(organization=org)
    assert connection.oauth_uses_operator_app and connection.oauth_client_secret == ""
    assert "operator-secret-NEVER-SHOW" not in page


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "PagerDuty OAuth is not enabled"),
        (
            {"PAGERDUTY_OAUTH_ENABLED": True, "PAGERDUTY_CLIENT_ID": "id"},
            "your Roster operator hasn&#x27;t finished setting up the shared PagerDuty app",
        ),
        (
            {"PAGERDUTY_OAUTH_ENABLED": True},
            "your Roster operator hasn&#x27;t finished setting up the shared PagerDuty app",
        ),
    ],
    ids=["not-enabled", "no-secret", "nothing"],
)
def test_an_unusable_operator_app_is_explained_without_a_500(admin_client, settings, env, expected):
    for name, value in env.items():
        setattr(settings, name, value)
    page = page_of(admin_client.get(URL + "?dialog=pagerduty-connect-oauth"))
    assert expected in page
    assert "PAGERDUTY_" not in page  # an admin never sees the name of a server setting
    response = admin_client.post(CONNECT, {"client_id": "", "client_secret": "", "region": "us"})
    assert response.status_code == 200
    assert "Enter the Client ID and Client Secret of your organization" in page_of(response)
    assert not PagerDutyOAuthLogin.objects.exists()


# --- Refresh Connection on an OAuth connection ----------------------------------------------------


def test_refresh_connection_runs_the_login_again_and_replaces_tokens_only_on_success(admin_client, org, rsps):
    connection = make_oauth_connection(org)
    response = admin_client.post(f"{URL}pagerduty/refresh/")
    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["client_id"] == CLIENT_ID  # the stored app

    page = page_of(callback(admin_client, error="access_denied", state=query["state"]))
    assert "PagerDuty access was denied" in page
    assert unchanged(connection)

    query = query_of(admin_client.post(f"{URL}pagerduty/refresh/")["Location"])
    mock_token(rsps, access="pdus+new-access", refresh="pdus+new-refresh")
    pd_mocks.mock_valid_user_key(rsps)
    page = page_of(callback(admin_client, code="c", state=query["state"]))
    assert "PagerDuty connection refreshed: signed in again as" in page
    assert "PagerDuty connected with OAuth" not in page
    connection.refresh_from_db()
    assert (connection.access_token, connection.refresh_token) == ("pdus+new-access", "pdus+new-refresh")
    assert AuditEvent.objects.filter(organization=org, action="oauth_reauthorize").exists()


def test_a_needs_reauth_connection_shows_the_refresh_button(admin_client, org):
    make_oauth_connection(
        org,
        status="needs_reauth",
        last_error="PagerDuty refused the token refresh (invalid_grant). Click Refresh Connection to sign in to PagerDuty again.",
    )
    page = page_of(admin_client.get(URL))
    assert 'data-testid="pd-status">Action needed<' in page
    assert 'data-testid="pd-health-action"' in page
    assert "Refresh Connection</button>" in page
    assert "Edit API Key</a>" not in page
    for secret in (ACCESS, REFRESH, CLIENT_SECRET):
        assert secret not in page
