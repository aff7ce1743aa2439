"""With a real PostgreSQL, Redis and Celery worker: two workers never use the same refresh token.

The fake identity service counts every refresh token presented to it, on arrival, and kills a
refresh token once used (as PagerDuty may). A double use would show as a count of 2 and end the
connection in needs_reauth.
"""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.utils import timezone

from integrations.pagerduty import services
from integrations.pagerduty.models import PagerDutyConnection
from integrations.pagerduty.tasks import refresh_connection_tokens, start_refresh_tokens
from tests.conftest import celery_worker_log, wait_for
from tests.factories import PagerDutyConnectionFactory
from tests.fake_identity import FakeIdentity

pytestmark = pytest.mark.services


@pytest.fixture
def fake_identity(fake_pagerduty, settings):
    identity = FakeIdentity.install(fake_pagerduty, token_latency=1.5)
    settings.PAGERDUTY_IDENTITY_URL = fake_pagerduty.url  # read by the worker fixture when it starts
    return identity


@pytest.fixture
def oauth_connection(fake_identity, org):
    tokens = fake_identity.issue()
    return PagerDutyConnectionFactory(
        organization=org,
        oauth=True,
        oauth_client_id=fake_identity.client_id,
        oauth_client_secret=fake_identity.client_secret,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        token_expires_at=timezone.now() + timedelta(minutes=10),  # within the refresh margin
        scopes=tokens["scope"],
    )


def worker_results() -> list[str]:
    log = celery_worker_log()
    text = log.read_text() if log.exists() else ""
    return re.findall(r"refresh_connection_tokens\[[^\]]+\] succeeded in [\d.]+s: '(\w+)'", text)


def in_threads(target, count: int) -> list:
    results: list = []

    def run():
        try:
            results.append(target())
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_concurrent_refreshes_use_the_refresh_token_exactly_once(fake_identity, real_celery_worker, oauth_connection):
    old_refresh = oauth_connection.refresh_token
    assert start_refresh_tokens.delay() is not None  # beat → the worker refreshes the due connection

    # While the worker is inside its refresh, two more workers (threads here) try the same one.
    assert fake_identity.refresh_started.wait(timeout=30)
    local = in_threads(lambda: refresh_connection_tokens.apply(args=(oauth_connection.pk,)).get(), 2)

    wait_for(worker_results, timeout=30)
    assert worker_results() == ["refreshed"]
    assert local == ["skipped", "skipped"]
    assert fake_identity.refresh_uses == {old_refresh: 1}
    connection = PagerDutyConnection.objects.get(pk=oauth_connection.pk)
    assert connection.status == "active"
    assert connection.refresh_token != old_refresh
    assert fake_identity.refresh_tokens[connection.refresh_token] is True  # the newest, still valid
    assert connection.access_token in fake_identity.fake.valid_keys


def test_a_401_during_a_workers_refresh_waits_and_uses_the_new_token(
    fake_identity, real_celery_worker, oauth_connection
):
    old_access, old_refresh = oauth_connection.access_token, oauth_connection.refresh_token
    del fake_identity.fake.valid_keys[old_access]  # the access token has died: the API answers 401
    refresh_connection_tokens.delay(oauth_connection.pk)
    assert fake_identity.refresh_started.wait(timeout=30)

    user = in_threads(lambda: services.client_for(oauth_connection).current_user(), 1)

    assert user[0]["email"] == "earline@acme.example"
    assert fake_identity.refresh_uses == {old_refresh: 1}
    wait_for(worker_results, timeout=30)
    assert worker_results() == ["refreshed"]
    connection = PagerDutyConnection.objects.get(pk=oauth_connection.pk)
    assert connection.status == "active" and connection.access_token != old_access
