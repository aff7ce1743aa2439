"""incident.updated: each event PagerDuty sends Roster about an incident is relayed once to every
endpoint subscribed to it (a replayed PagerDuty delivery relays nothing more)."""

import pytest
from standardwebhooks import Webhook

from outgoing import services
from outgoing.models import Delivery
from tests.outgoing.receiver import decode, described
from tests.webhooks.conftest import fixture

pytestmark = pytest.mark.django_db


def test_an_ingested_pagerduty_event_is_relayed_once_to_each_subscribed_endpoint(
    org,
    other_org,
    receiver,
    deliver,
    webhook_secret,
):
    subscribed, secret = services.endpoint_create(organization=org, url=receiver.url, events=["incident.updated"])
    services.endpoint_create(organization=org, url=receiver.url + "?handoffs", events=["rotation.handoff"])
    services.endpoint_create(organization=other_org, url=receiver.url + "?globex", events=["incident.updated"])

    body = fixture("incident.acknowledged")
    assert deliver(body, webhook_id="pd-delivery-1").status_code == 202
    assert deliver(body, webhook_id="pd-delivery-2").status_code in (200, 202)  # PagerDuty's retry of the same event

    assert [r.path for r in receiver.received] == ["/hook"]
    sent = receiver.received[0]
    payload = described(Webhook(secret).verify(sent.body, sent.headers))
    assert payload == decode(sent)
    assert payload["type"] == "incident.updated"
    event = body["event"]
    assert payload["data"]["event"]["id"] == event["id"]
    assert payload["data"]["event"]["type"] == "incident.acknowledged"
    assert payload["data"]["incident"]["id"] == event["data"]["id"]
    assert payload["data"]["incident"]["status"] == "acknowledged"
    assert Delivery.objects.get().endpoint == subscribed

    deliver(fixture("incident.resolved"), webhook_id="pd-delivery-3")  # a new event: a new delivery
    assert [decode(r)["data"]["event"]["type"] for r in receiver.received] == [
        "incident.acknowledged",
        "incident.resolved",
    ]
