"""May Roster write overrides (cover requests) to PagerDuty? The card's "Write overrides: yes / no /
unknown" line, the Connect dialog's OAuth checkbox that asks for `schedules.write`, and what an API
key's first override write teaches Roster."""

import datetime as dt
import json

import pytest
import responses

from integrations.pagerduty import services
from integrations.pagerduty.models import PagerDutyConnection
from integrations.pagerduty.overrides import WriteRefused, override_write
from tests import pd_mocks
from tests.conftest import query_of
from tests.pd_oauth import CLIENT_ID, CLIENT_SECRET, mock_token

pytestmark = pytest.mark.django_db

URL = "/settings/integrations/"
KEY = "u+AbCdEfGhIjKlMnOp1234"
SCHEDULE = "PSCHED1"
START = dt.datetime(2026, 12, 10, 9, tzinfo=dt.UTC)


def card(client) -> str:
    return client.get(URL).content.decode()


def login(client, **data) -> dict:
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "region": "us", **data}
    response = client.post(f"{URL}pagerduty/oauth/connect/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    return query_of(response["Location"])


def approve(client, rsps, query, scope):
    mock_token(rsps, scope=scope)
    pd_mocks.mock_valid_user_key(rsps)
    return client.get("/api/integrations/pagerduty/login/callback", {"code": "c", "state": query["state"]}, follow=True)


# --- OAuth: the checkbox asks for schedules.write; the grant decides -------------------------


def test_the_oauth_dialog_offers_the_write_overrides_checkbox_unticked(admin_client):
    page = admin_client.get(URL + "?dialog=pagerduty-connect-oauth").content.decode()
    assert '<input type="checkbox" name="write_overrides" id="pd-oauth-write_overrides">' in page
    assert '<label for="pd-oauth-write_overrides">Let Roster write overrides for cover requests</label>' in page


def test_ticking_the_box_asks_pagerduty_for_schedules_write_and_the_grant_reads_yes(admin_client, org, rsps):
    query = login(admin_client, write_overrides="on")

    page = approve(
        admin_client, rsps, query, "openid schedules.read teams.read users.read oncalls.read schedules.write"
    )

    assert query["scope"] == "openid schedules.read teams.read users.read oncalls.read schedules.write"
    assert "Write overrides: <strong>yes</strong>" in page.content.decode()


def test_without_the_box_roster_asks_only_to_read_and_the_grant_reads_no(admin_client, org, rsps):
    query = login(admin_client)

    page = approve(admin_client, rsps, query, "openid schedules.read teams.read users.read")

    assert "schedules.write" not in query["scope"]
    assert "Write overrides: <strong>no</strong>" in page.content.decode()


def test_a_grant_that_left_schedules_write_out_reads_no_even_when_asked(admin_client, org, rsps):
    query = login(admin_client, write_overrides="on")

    page = approve(admin_client, rsps, query, "openid schedules.read teams.read users.read")

    assert "Write overrides: <strong>no</strong>" in page.content.decode()


def test_a_classic_operator_app_is_asked_for_write_not_an_unknown_scope(admin_client, settings):
    settings.PAGERDUTY_OAUTH_ENABLED = True
    settings.PAGERDUTY_CLIENT_ID, settings.PAGERDUTY_CLIENT_SECRET = "operator-id", "operator-secret"
    settings.PAGERDUTY_OAUTH_SCOPES = "read"

    query = login(admin_client, client_id="", client_secret="", write_overrides="on")

    assert query["scope"] == "read write"


def test_the_login_api_takes_write_overrides_too(admin_client, org):
    response = admin_client.post(
        "/api/integrations/pagerduty/oauth/login",
        json.dumps({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "writeOverrides": True}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["scopes"] == [
        "openid",
        "schedules.read",
        "teams.read",
        "users.read",
        "oncalls.read",
        "schedules.write",
    ]


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, "off"])
def test_the_login_api_takes_only_a_json_boolean_for_write_overrides(admin_client, org, value):
    response = admin_client.post(
        "/api/integrations/pagerduty/oauth/login",
        json.dumps({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "writeOverrides": value}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"writeOverrides": ["writeOverrides must be true or false."]}


# --- an API key: unknown until a write succeeded or was refused ------------------------------


@pytest.fixture
def key_connection(admin_client, org, rsps):
    pd_mocks.mock_valid_user_key(rsps)
    admin_client.post(f"{URL}pagerduty/connect/", {"api_key": KEY, "region": "us"})
    return PagerDutyConnection.objects.get(organization=org)


def write_with(connection):
    return override_write(
        services.client_for(connection),
        schedule_id=SCHEDULE,
        kind="v2",
        start=START,
        end=START + dt.timedelta(hours=8),
        user_id="PTAKER1",
        time_zone="UTC",
    )


def test_an_api_key_reads_unknown_until_a_write_succeeds(admin_client, key_connection, rsps):
    before = card(admin_client)
    rsps.add(responses.GET, pd_mocks.api(f"/schedules/{SCHEDULE}/overrides"), json={"overrides": []})
    override = {"id": "Q1", "start": "2026-12-10T09:00:00Z", "end": "2026-12-10T17:00:00Z", "user": {"id": "PTAKER1"}}
    rsps.add(
        responses.POST,
        pd_mocks.api(f"/schedules/{SCHEDULE}/overrides"),
        json=[{"status": 201, "override": override}],
        status=201,
    )

    write_with(key_connection)

    assert "Write overrides: <strong>unknown</strong>" in before
    assert "Write overrides: <strong>yes</strong>" in card(admin_client)


def test_an_api_key_reads_no_once_pagerduty_refused_a_write_and_revalidating_keeps_it(
    admin_client, key_connection, rsps
):
    rsps.add(responses.GET, pd_mocks.api(f"/schedules/{SCHEDULE}/overrides"), json={"overrides": []})
    rsps.add(
        responses.POST,
        pd_mocks.api(f"/schedules/{SCHEDULE}/overrides"),
        json={"error": {"message": "Access Denied", "code": 2010}},
        status=403,
    )

    with pytest.raises(WriteRefused):
        write_with(key_connection)
    services.connection_revalidate(connection=PagerDutyConnection.objects.get(pk=key_connection.pk))

    assert "Write overrides: <strong>no</strong>" in card(admin_client)
    assert PagerDutyConnection.objects.get(pk=key_connection.pk).capabilities["write_overrides"] == "no"


def test_learning_about_overrides_keeps_what_the_webhook_write_taught(key_connection):
    services.connection_record_write_access(key_connection, True)  # the webhook subscription was created
    stale = PagerDutyConnection.objects.get(pk=key_connection.pk)
    stale.capabilities = {**stale.capabilities, "write": "unknown"}  # an older copy in another worker

    services.connection_record_write_access(stale, False, capability="write_overrides")

    stored = PagerDutyConnection.objects.get(pk=key_connection.pk).capabilities
    assert (stored["write"], stored["write_overrides"]) == ("yes", "no")
