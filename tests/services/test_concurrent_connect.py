"""On PostgreSQL: two admins connecting PagerDuty at the same moment both succeed (one creates the
connection, the other updates it) instead of one meeting a unique-constraint error."""

import threading

import pytest
from django.db import connection as db_connection

from integrations.pagerduty import services
from integrations.pagerduty.models import PagerDutyConnection
from tests import pd_mocks

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_two_admins_connecting_at_once_both_succeed(postgresql, org, rsps, settings, monkeypatch):
    pd_mocks.mock_valid_user_key(rsps)
    both_validated = threading.Barrier(2, timeout=20)
    real_identify = services.identify

    def identify_then_wait(client):
        identity = real_identify(client)
        both_validated.wait()  # both requests reach the database write together
        return identity

    monkeypatch.setattr(services, "identify", identify_then_wait)
    errors, keys = [], ["u+firstAdminKey0001", "u+secondAdminKey002"]

    def connect(key):
        try:
            services.connection_connect_api_key(organization=org, api_key=key)
        except Exception as error:  # noqa: BLE001  (the test reports any failure)
            errors.append(repr(error))
        finally:
            db_connection.close()

    threads = [threading.Thread(target=connect, args=(key,)) for key in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert PagerDutyConnection.objects.filter(organization=org).count() == 1
    assert PagerDutyConnection.objects.get(organization=org).api_key in keys
