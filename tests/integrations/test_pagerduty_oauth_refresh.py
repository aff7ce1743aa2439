"""Keeping OAuth tokens fresh: the refresh, the beat task, and a 401 that refreshes once and retries once."""

from datetime import timedelta

import pytest
import responses
import time_machine
from django.utils import timezone

from accounts.models import AuditEvent
from integrations.pagerduty import client as pd
from integrations.pagerduty import services, tasks
from integrations.pagerduty.models import PagerDutyConnection
from integrations.pagerduty.oauth import connection_refresh_tokens, oauth_client_for
from tests import pd_mocks
from tests.pd_oauth import ACCESS, CLIENT_ID, CLIENT_SECRET, REFRESH, make_oauth_connection, mock_token, token_calls

pytestmark = pytest.mark.django_db

NEW_ACCESS = "pdus+access-token-NEVER-SHOW-0002"
NEW_REFRESH = "pdus+refresh-token-NEVER-SHOW-0002"


def test_a_refresh_saves_the_new_tokens_and_the_new_refresh_token(org, rsps, captured_logs):
    connection = make_oauth_connection(org, expires_in=timedelta(minutes=10))
    mock_token(rsps, access=NEW_ACCESS, refresh=NEW_REFRESH, expires_in=86400)

    assert connection_refresh_tokens(connection_id=connection.pk) == "refreshed"

    assert token_calls(rsps) == [
        {
            "grant_type": "refresh_token",
            "refresh_token": REFRESH,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
    ]
    connection.refresh_from_db()
    assert (connection.access_token, connection.refresh_token) == (NEW_ACCESS, NEW_REFRESH)
    assert connection.token_expires_at > timezone.now() + timedelta(hours=23)
    assert connection.last_refresh_result == "ok" and connection.last_refreshed_at is not None
    assert AuditEvent.objects.filter(organization=org, action="oauth_refresh").exists()
    for secret in (REFRESH, NEW_ACCESS, NEW_REFRESH, CLIENT_SECRET):
        assert secret not in captured_logs.text


def test_a_token_far_from_expiry_is_not_refreshed(org, rsps):
    connection = make_oauth_connection(org, expires_in=timedelta(hours=5))
    assert connection_refresh_tokens(connection_id=connection.pk) == "not_due"
    assert token_calls(rsps) == []


def test_an_invalid_grant_marks_the_connection_needs_reauth(org, rsps, admin_client):
    connection = make_oauth_connection(org, expires_in=timedelta(minutes=10))
    mock_token(rsps, status=400, json={"error": "invalid_grant", "error_description": "refresh token revoked"})

    assert connection_refresh_tokens(connection_id=connection.pk) == "refused"

    connection.refresh_from_db()
    assert connection.status == "needs_reauth"
    assert connection.last_refresh_result == "refused"
    assert "invalid_grant" in connection.last_error and "Refresh Connection" in connection.last_error
    assert AuditEvent.objects.filter(organization=org, action="oauth_refresh_refused").exists()
    page = admin_client.get("/settings/integrations/").content.decode()
    assert 'data-testid="pd-status">Action needed<' in page
    assert "Refresh Connection</button>" in page
    # No further attempts with a dead refresh token.
    assert connection_refresh_tokens(connection_id=connection.pk, force=True) == "needs_reauth"
    assert len(token_calls(rsps)) == 1


def test_a_rotated_client_secret_asks_the_admin_to_connect_again(org, rsps):
    connection = make_oauth_connection(org, expires_in=timedelta(minutes=10))
    mock_token(rsps, status=401, json={"error": "invalid_client"})

    assert connection_refresh_tokens(connection_id=connection.pk) == "refused"

    connection.refresh_from_db()
    assert connection.status == "needs_reauth"
    assert "Disconnect, then connect again with the app's current Client ID and Client Secret." in connection.last_error


def test_a_missing_operator_app_keeps_the_refresh_token_for_later(org, rsps, settings):
    connection = make_oauth_connection(org, expires_in=timedelta(minutes=10), oauth_uses_operator_app=True)
    settings.PAGERDUTY_OAUTH_ENABLED = False  # e.g. a deploy lost the environment

    assert connection_refresh_tokens(connection_id=connection.pk) == "misconfigured"

    connection.refresh_from_db()
    assert connection.status == "active" and connection.refresh_token == REFRESH
    assert connection.last_refresh_result == "failed"
    assert "PagerDuty OAuth is not enabled" in connection.last_refresh_error
    assert token_calls(rsps) == []


def test_a_transient_failure_is_recorded_and_raised_for_a_retry(org, rsps):
    connection = make_oauth_connection(org, expires_in=timedelta(minutes=10))
    mock_token(rsps, status=503, body="<html>maintenance</html>")

    with pytest.raises(pd.Unavailable):
        connection_refresh_tokens(connection_id=connection.pk)

    connection.refresh_from_db()
    assert connection.status == "active"
    assert connection.last_refresh_result == "failed"
    assert "HTTP 503" in connection.last_refresh_error
    assert (connection.access_token, connection.refresh_token) == (ACCESS, REFRESH)


@time_machine.travel("2026-10-21 07:28:00+00:00", tick=False)
def test_a_failed_refresh_says_when_it_failed_not_when_one_last_worked(org, rsps, admin_client):
    worked = timezone.now() - timedelta(hours=23)
    connection = make_oauth_connection(org, expires_in=timedelta(minutes=10), last_refreshed_at=worked)
    mock_token(rsps, status=503, body="<html>maintenance</html>")

    with pytest.raises(pd.Unavailable):
        connection_refresh_tokens(connection_id=connection.pk)

    page = admin_client.get("/settings/integrations/").content.decode()
    assert "Degraded:</strong> Roster could not refresh the OAuth token" in page
    assert "2026-10-21 07:28 UTC</time>)</small>" in page  # since the failure
    assert "2026-10-21 07:28 UTC</time> · Failed (will retry)" in page  # the last refresh: the one that failed
    assert "2026-10-20 08:28" not in page
    assert "token: PagerDuty&#x27;s sign-in service is having trouble (HTTP 503). It retries automatically" in page
    assert "Try again in a minute" not in page


def test_the_beat_task_refreshes_only_oauth_connections_near_expiry(org, other_org, rsps, monkeypatch):
    near = make_oauth_connection(org, expires_in=timedelta(minutes=20))
    far = make_oauth_connection(other_org, expires_in=timedelta(hours=12))
    mock_token(rsps, access=NEW_ACCESS, refresh=NEW_REFRESH)
    # Run each enqueued task inline, whether or not this run has a broker.
    monkeypatch.setattr(tasks.refresh_connection_tokens, "delay", tasks.refresh_connection_tokens)

    assert tasks.start_refresh_tokens() == 1

    near.refresh_from_db()
    far.refresh_from_db()
    assert near.refresh_token == NEW_REFRESH
    assert far.refresh_token == REFRESH
    assert [c["refresh_token"] for c in token_calls(rsps)] == [REFRESH]


def test_a_call_that_meets_a_401_refreshes_once_and_retries_once(org, rsps):
    connection = make_oauth_connection(org)
    rsps.add(responses.GET, pd_mocks.api("/schedules"), json=pd_mocks.UNAUTHORIZED_BODY, status=401)
    rsps.add(responses.GET, pd_mocks.api("/schedules"), json=pd_mocks.fixture("schedules_list.json"))
    mock_token(rsps, access=NEW_ACCESS, refresh=NEW_REFRESH)

    body = services.client_for(connection).get("/schedules")

    assert body["schedules"]
    calls = [c.request for c in rsps.calls if "/schedules" in c.request.url]
    assert [r.headers["Authorization"] for r in calls] == [f"Bearer {ACCESS}", f"Bearer {NEW_ACCESS}"]
    assert len(token_calls(rsps)) == 1
    connection.refresh_from_db()
    assert connection.refresh_token == NEW_REFRESH


def test_a_second_401_after_the_refresh_is_not_retried_again(org, rsps):
    connection = make_oauth_connection(org)
    rsps.add(responses.GET, pd_mocks.api("/schedules"), json=pd_mocks.UNAUTHORIZED_BODY, status=401)
    mock_token(rsps, access=NEW_ACCESS, refresh=NEW_REFRESH)

    with pytest.raises(pd.Unauthorized):
        services.client_for(connection).get("/schedules")

    assert len([c for c in rsps.calls if "/schedules" in c.request.url]) == 2
    assert len(token_calls(rsps)) == 1


def test_a_401_whose_refresh_is_refused_marks_needs_reauth_and_raises(org, rsps):
    connection = make_oauth_connection(org)
    rsps.add(responses.GET, pd_mocks.api("/schedules"), json=pd_mocks.UNAUTHORIZED_BODY, status=401)
    mock_token(rsps, status=400, json={"error": "invalid_grant"})

    with pytest.raises(pd.Unauthorized):
        services.client_for(connection).get("/schedules")

    assert len([c for c in rsps.calls if "/schedules" in c.request.url]) == 1
    connection.refresh_from_db()
    assert connection.status == "needs_reauth"


def test_a_401_after_another_worker_refreshed_uses_its_token_without_refreshing_again(org, rsps):
    connection = make_oauth_connection(org)
    client = oauth_client_for(connection)
    # Meanwhile another worker refreshed: the row holds newer tokens than this client.
    fresh = PagerDutyConnection.objects.get(pk=connection.pk)
    fresh.access_token, fresh.refresh_token = NEW_ACCESS, NEW_REFRESH
    fresh.save()
    rsps.add(responses.GET, pd_mocks.api("/schedules"), json=pd_mocks.UNAUTHORIZED_BODY, status=401)
    rsps.add(responses.GET, pd_mocks.api("/schedules"), json=pd_mocks.fixture("schedules_list.json"))

    client.get("/schedules")

    assert token_calls(rsps) == []
    calls = [c.request for c in rsps.calls if "/schedules" in c.request.url]
    assert calls[-1].headers["Authorization"] == f"Bearer {NEW_ACCESS}"


def test_an_expired_token_is_refreshed_before_the_first_call(org, rsps):
    connection = make_oauth_connection(org, expires_in=timedelta(minutes=-5))
    mock_token(rsps, access=NEW_ACCESS, refresh=NEW_REFRESH)
    rsps.add(responses.GET, pd_mocks.api("/schedules"), json=pd_mocks.fixture("schedules_list.json"))

    services.client_for(connection).get("/schedules")

    calls = [c.request for c in rsps.calls if "/schedules" in c.request.url]
    assert [r.headers["Authorization"] for r in calls] == [f"Bearer {NEW_ACCESS}"]
