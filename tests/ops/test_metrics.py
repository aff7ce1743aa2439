"""GET /metrics: each figure moves when the thing it measures changes; the token guards it; the number of
queries does not grow with the number of organizations."""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accounts.services import organization_create
from integrations.pagerduty import client as pd
from integrations.pagerduty.models import PagerDutyConnection
from integrations.pagerduty.oauth import connection_refresh_tokens
from integrations.slack.models import SlackConnection
from notifications.models import Notification
from ops.models import PeriodicRun
from rotations.models import SyncRun
from tests import pd_mocks
from tests.factories import PagerDutyConnectionFactory, RotationFactory
from tests.pd_oauth import make_oauth_connection, mock_token
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests-0001"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def read() -> dict:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=")
        samples = {}
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    return read


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_is_a_404_without_a_configured_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_metrics_refuses_a_missing_or_wrong_token(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 401
    assert TOKEN not in wrong.content.decode()


def test_sync_lag_is_the_oldest_bound_rotations_time_since_a_successful_sync(org, scrape):
    RotationFactory(organization=org)  # native: never lags
    assert value(scrape(), "roster_sync_lag_seconds") == 0
    RotationFactory(organization=org, pagerduty_schedule_id="PSCHED1")
    now = timezone.now()
    SyncRun.objects.create(
        organization=org,
        schedule_id="PSCHED1",
        started_at=now - timedelta(minutes=10),
        finished_at=now - timedelta(minutes=10),
        ok=True,
    )
    SyncRun.objects.create(organization=org, schedule_id="PSCHED1", started_at=now, finished_at=now, ok=False)
    assert 595 <= value(scrape(), "roster_sync_lag_seconds") <= 700  # the failed run does not count
    SyncRun.objects.create(organization=org, schedule_id="PSCHED1", started_at=now, finished_at=now, ok=True)
    assert value(scrape(), "roster_sync_lag_seconds") < 60


def delivery(org, status, *, ago=timedelta(0)) -> Delivery:
    return Delivery.objects.create(organization=org, raw_body=b"{}", status=status, received_at=timezone.now() - ago)


def test_webhook_backlog_oldest_waiting_held_and_outcomes(org, other_org, scrape):
    before = scrape()
    assert value(before, "roster_webhook_backlog") == 0
    delivery(org, Delivery.Status.RECEIVED, ago=timedelta(minutes=2))
    delivery(other_org, Delivery.Status.RECEIVED)
    delivery(org, Delivery.Status.HELD)
    delivery(org, Delivery.Status.PROCESSED)
    after = scrape()
    assert value(after, "roster_webhook_backlog") == 2
    assert 115 <= value(after, "roster_webhook_oldest_waiting_seconds") <= 200
    assert value(after, "roster_webhook_held") == 1
    assert value(after, "roster_webhook_deliveries_total", outcome="processed") == 1
    assert value(after, "roster_webhook_deliveries_total", outcome="received") == 2


def notification(rotation, channel, status, *, ago=timedelta(0), error="") -> Notification:
    return Notification.objects.create(
        organization=rotation.organization,
        rotation=rotation,
        source=f"test:{channel}:{status}:{ago}",
        source_at=timezone.now(),
        channel=channel,
        target="t",
        kind=f"{channel}.message",
        status=status,
        last_error=error,
        created_at=timezone.now() - ago,
    )


def test_notifications_by_channel_and_status_pending_and_oldest_pending(org, scrape):
    rotation = RotationFactory(organization=org)
    assert value(scrape(), "roster_notifications_pending") == 0
    notification(rotation, "slack", Notification.Status.PENDING, ago=timedelta(minutes=5))
    notification(rotation, "slack", Notification.Status.SENT)
    notification(rotation, "email", Notification.Status.FAILED, error="The mail server refused it.")
    samples = scrape()
    assert value(samples, "roster_notifications_total", channel="slack", status="sent") == 1
    assert value(samples, "roster_notifications_total", channel="email", status="failed") == 1
    assert value(samples, "roster_notifications_pending") == 1
    assert 295 <= value(samples, "roster_notification_oldest_pending_seconds", channel="slack") <= 400


def test_outgoing_webhook_deliveries_are_counted_as_the_webhook_channel(org, scrape):
    """An outgoing delivery is a notification of channel "webhook"; an incident's has no rotation."""
    from outgoing import services as outgoing

    endpoint, _ = outgoing.endpoint_create(organization=org, url="https://93.184.216.34/h", events=["incident.updated"])
    (pk,) = outgoing.events_create(
        organization_id=org.pk, endpoints=[endpoint], event_id="evt_1", event_type="incident.updated", data={}
    )
    Notification.objects.filter(pk=pk).update(
        status=Notification.Status.FAILED, last_error="The endpoint answered 410."
    )
    assert value(scrape(), "roster_notifications_total", channel="webhook", status="failed") == 1


def test_connections_by_provider_and_health(org, other_org, scrape):
    connection = PagerDutyConnectionFactory(organization=org)
    samples = scrape()
    assert value(samples, "roster_connections", provider="pagerduty", health="active") == 1
    assert value(samples, "roster_connections", provider="pagerduty", health="action_needed") == 0
    connection.status = PagerDutyConnection.Status.INVALID
    connection.save()
    SlackConnection.objects.create(
        organization=other_org,
        team_id="T1",
        bot_token="xoxb-never-shown-0001",
        status=SlackConnection.Status.NEEDS_REAUTH,
    )
    samples = scrape()
    assert value(samples, "roster_connections", provider="pagerduty", health="active") == 0
    assert value(samples, "roster_connections", provider="pagerduty", health="action_needed") == 1
    assert value(samples, "roster_connections", provider="slack", health="action_needed") == 1


def test_a_slack_outage_counts_as_degraded_and_a_refusal_as_action_needed(org, other_org, scrape):
    now = timezone.now()
    for organization, error, transient in (
        (org, "Slack answered with an error (HTTP 503).", True),
        (other_org, "Roster's Slack app lacks a permission it needs.", False),
    ):
        SlackConnection.objects.create(
            organization=organization,
            team_id="T1",
            bot_token="xoxb-never-shown-0001",
            validated_at=now,
            last_error=error,
            last_error_at=now + timedelta(minutes=1),
            last_error_transient=transient,
        )
    samples = scrape()
    assert value(samples, "roster_connections", provider="slack", health="degraded") == 1
    assert value(samples, "roster_connections", provider="slack", health="action_needed") == 1


def test_beat_last_run_and_readiness(scrape):
    from notifications.tasks import sweep

    samples = scrape()
    assert value(samples, "roster_ready", part="beat") == 0
    assert value(samples, "roster_ready", part="database") == 1
    sweep.delay()
    samples = scrape()
    ran = value(samples, "roster_beat_last_run_timestamp_seconds", task="notifications.tasks.sweep")
    assert abs(ran - timezone.now().timestamp()) < 60
    assert value(samples, "roster_ready", part="beat") == 1


def test_pagerduty_requests_by_outcome_and_429s_retried_or_not(rsps, scrape, settings):
    before = scrape()
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=429, json={"error": {"code": 2020}})
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.user_me())
    pd.PagerDutyClient.for_api_key("u+key00001234").current_user()  # a 429 retried, then 200
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=403, json={"error": {"message": "Forbidden"}})
    with pytest.raises(pd.PagerDutyError):
        pd.PagerDutyClient.for_api_key("u+key00001234").current_user()
    after = scrape()

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("roster_pagerduty_requests_total", outcome="ok") == 1
    assert moved("roster_pagerduty_requests_total", outcome="rate_limited") == 1
    assert moved("roster_pagerduty_requests_total", outcome="client_error") == 1
    assert moved("roster_pagerduty_rate_limited_total") == 1


def test_oauth_refresh_failures(org, rsps, scrape):
    before = value(scrape(), "roster_oauth_refresh_failures_total", provider="pagerduty")
    connection = make_oauth_connection(org, expires_in=timedelta(minutes=10))
    mock_token(rsps, status=400, json={"error": "invalid_grant", "error_description": "refresh token revoked"})
    assert connection_refresh_tokens(connection_id=connection.pk) == "refused"
    assert value(scrape(), "roster_oauth_refresh_failures_total", provider="pagerduty") == before + 1


def test_requests_are_labelled_by_url_pattern_never_by_path(client, scrape):
    before = scrape()
    client.get("/healthz")
    client.get("/cal/secret-feed-token-abcdef.ics")
    samples = scrape()
    count = "roster_http_request_duration_seconds_count"
    assert value(samples, count, route="healthz", method="GET", status="200") == (
        value(before, count, route="healthz", method="GET", status="200") + 1
    )
    routes = {dict(labels).get("route") for (_name, labels) in samples}
    assert "cal/<str:token>.ics" in routes
    assert not any("secret-feed-token" in (route or "") for route in routes)


def test_the_number_of_queries_does_not_grow_with_organizations(client, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.METRICS_TOKEN = TOKEN

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
        return len(captured)

    def organization_with_everything(n: int) -> None:
        org = organization_create(name=f"Org {n}", admin_email=f"admin{n}@org{n}.example")
        rotation = RotationFactory(organization=org, pagerduty_schedule_id=f"PS{n}")
        PagerDutyConnectionFactory(organization=org)
        delivery(org, Delivery.Status.RECEIVED)
        notification(rotation, "slack", Notification.Status.FAILED, error="not_in_channel")
        PeriodicRun.objects.update_or_create(task=f"task{n}", defaults={"last_run_at": timezone.now()})

    organization_with_everything(0)
    queries()  # the first scrape of a process also reads the applied migrations
    one = queries()
    assert one > 5
    for n in range(1, 6):
        organization_with_everything(n)
    assert queries() == one, one


@pytest.mark.subprocess
def test_counters_of_several_processes_are_added_up(scrape, monkeypatch, tmp_path):
    """Gunicorn workers and Celery workers each count in their own process; /metrics adds them up
    (prometheus-client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR)."""
    import subprocess
    import sys

    count = "from config import metrics; metrics.PAGERDUTY_REQUESTS.labels(outcome='ok').inc(3)"
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-c", count], check=True, env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": ""}
        )
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert value(scrape(), "roster_pagerduty_requests_total", outcome="ok") == 6
