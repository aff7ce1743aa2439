"""On PostgreSQL: two admins clicking "Create the subscription for me" at the same moment create one
PagerDuty subscription; the other is told so, and no row lock is held while PagerDuty answers."""

import json
import threading

import pytest
import responses
from django.db import connection as db_connection

from integrations.pagerduty.models import PagerDutyConnection
from tests import pd_mocks
from webhooks import services
from webhooks.models import WebhookEndpoint, WebhookSecret

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_two_admins_clicking_at_once_create_one_subscription(postgresql, org, rsps, settings):
    PagerDutyConnection.objects.create(
        organization=org, auth_type="api_key", api_key="u+AbCdEfGh1234", key_last4="1234"
    )
    services.endpoint_for(org)
    both_started = threading.Barrier(2, timeout=20)

    def list_subscriptions(request):
        # While PagerDuty "answers" the first request, the endpoint row must not be locked.
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return 200, {}, json.dumps({"webhook_subscriptions": [], "limit": 100, "offset": 0, "more": False})

    rsps.add_callback(responses.GET, pd_mocks.api("/webhook_subscriptions"), callback=list_subscriptions)
    rsps.add(
        responses.POST,
        pd_mocks.api("/webhook_subscriptions"),
        json={
            "webhook_subscription": {
                "id": "PY1OL64",
                "type": "webhook_subscription",
                "delivery_method": {"type": "http_delivery_method", "url": "https://x", "secret": "pd-secret-Xy12"},
            }
        },
    )
    outcomes, errors = [], []

    def click():
        try:
            both_started.wait()
            outcomes.append(services.webhook_subscription_create(organization=org).subscription_id)
        except services.SubscriptionError as error:
            outcomes.append(error.message)
        except Exception as error:  # noqa: BLE001  (the test reports any failure)
            errors.append(repr(error))
        finally:
            db_connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len([c for c in rsps.calls if c.request.method == "POST"]) == 1
    assert "PY1OL64" in outcomes
    assert WebhookSecret.objects.filter(organization=org).count() == 1
    assert WebhookEndpoint.objects.get(organization=org).subscription_id == "PY1OL64"
