"""With a real PostgreSQL, Redis and Celery worker: the beat job that re-validates connections."""

import pytest

from integrations.pagerduty.models import PagerDutyConnection
from integrations.pagerduty.tasks import start_validate_connections
from tests.conftest import wait_for
from tests.factories import PagerDutyConnectionFactory

pytestmark = pytest.mark.services


def test_a_real_worker_marks_a_revoked_key_invalid(real_celery_worker, org, settings, fake_pagerduty):
    fake_pagerduty.valid_keys = {}  # every key is now refused
    connection = PagerDutyConnectionFactory(organization=org, api_key="u+revokedkey0000")
    assert start_validate_connections.delay() is not None

    refreshed = wait_for(
        lambda: PagerDutyConnection.objects.filter(pk=connection.pk, status="invalid").first(), timeout=60
    )
    assert "Unauthorized: Invalid or expired API token" in refreshed.last_error
