"""incident.updated: each event PagerDuty sends Roster about an incident is relayed once to every
endpoint subscribed to it (a replayed PagerDuty delivery relays nothing more)."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks import Webhook

from notifications.models import Notification
from outgoing import services
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
    assert Notification.objects.get().target == f"endpoint:{subscribed.pk}"

    deliver(fixture("incident.resolved"), webhook_id="pd-delivery-3")  # a new event: a new delivery
    assert [decode(r)["data"]["event"]["type"] for r in receiver.received] == [
        "incident.acknowledged",
        "incident.resolved",
    ]


def test_an_event_whose_listener_never_ran_is_relayed_once_by_the_sweep(
    org, receiver, deliver, webhook_secret, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import tasks
    from webhooks import processing

    services.endpoint_create(organization=org, url=receiver.url, events=["incident.updated"])
    with monkeypatch.context() as dying:  # the process dies between the commit and the listener call
        dying.setattr(processing, "send_on_commit", lambda signal, **kwargs: None)
        assert deliver(fixture("incident.acknowledged")).status_code == 202
    assert not Notification.objects.exists() and receiver.received == []

    relayed = []
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            relayed.append(tasks.sweep().get("relayed", 0))
    assert relayed == [1, 0]

    delivery = Notification.objects.get()
    assert (delivery.kind, delivery.status) == ("webhook.incident.updated", "sent")
    assert [decode(r)["data"]["event"]["type"] for r in receiver.received] == ["incident.acknowledged"]


def test_the_sweep_does_not_relay_again_what_the_listener_relayed(
    org, receiver, deliver, webhook_secret, django_capture_on_commit_callbacks
):
    from notifications import tasks
    from outgoing import events

    services.endpoint_create(organization=org, url=receiver.url, events=["incident.updated"])
    deliver(fixture("incident.acknowledged"))
    assert Notification.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert "relayed" not in tasks.sweep()
    assert events.incident_events_to_relay(now=timezone.now()) == []
    assert Notification.objects.count() == 1 and len(receiver.received) == 1


def test_the_sweep_leaves_events_older_than_its_window(
    org, receiver, deliver, webhook_secret, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import tasks
    from outgoing import events
    from webhooks import processing

    services.endpoint_create(organization=org, url=receiver.url, events=["incident.updated"])
    monkeypatch.setattr(processing, "send_on_commit", lambda signal, **kwargs: None)
    deliver(fixture("incident.acknowledged"))
    later = timezone.now() + dt.timedelta(hours=events.RELAY_SCAN_HOURS, minutes=1)
    assert events.incident_events_to_relay(now=later) == []
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        tasks.sweep()
    assert not Notification.objects.exists()
