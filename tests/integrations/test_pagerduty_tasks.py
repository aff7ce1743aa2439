"""The periodic re-validation (Celery runs in-process here; tests/services runs it on a real worker)."""

import pytest
import responses

from integrations.pagerduty.selectors import connection_health
from integrations.pagerduty.tasks import start_validate_connections, validate_connection
from tests import pd_mocks
from tests.factories import PagerDutyConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(org):
    return PagerDutyConnectionFactory(organization=org, api_key="u+key00001234")


def test_a_revoked_key_is_marked_invalid_with_what_to_do(connection, rsps):
    pd_mocks.mock_unauthorized(rsps)
    assert start_validate_connections.delay().get() == 1
    connection.refresh_from_db()
    assert connection.status == "invalid"
    assert connection.last_error.startswith("Unauthorized: Invalid or expired API token")
    assert "API Access Keys" in connection_health(connection).help  # what to check, for the admins


def test_a_passing_outage_is_recorded_but_does_not_invalidate(connection, rsps):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=503, json={})
    validate_connection.apply(args=[connection.pk])
    connection.refresh_from_db()
    assert connection.status == "active"
    assert "HTTP 503" in connection.last_error


def test_a_valid_key_clears_an_old_error(connection, rsps):
    connection.last_error = "old trouble"
    connection.save()
    pd_mocks.mock_valid_user_key(rsps, name="Someone")
    assert validate_connection.delay(connection.pk).get() == "active"
    connection.refresh_from_db()
    assert connection.last_error == ""
    assert connection.external_user_name == "Someone"


def test_a_deleted_connection_is_skipped_quietly(db):
    assert validate_connection.delay(987654).get() == "gone"
