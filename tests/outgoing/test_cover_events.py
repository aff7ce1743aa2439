"""Cover requests' events to outgoing webhook endpoints: cover_request.created / .taken /
.cancelled / .expired, one signed delivery per subscribed endpoint and event (listener and sweep
overlapping), each body as its `OutgoingWebhookEventCoverRequest*` schema describes it."""

import datetime as dt

import pytest
from standardwebhooks import Webhook

from notifications import tasks
from notifications.models import Notification
from outgoing import services
from outgoing.models import EVENT_TYPES
from tests.conftest import NOW
from tests.notifications.covers import ask, happen
from tests.outgoing.receiver import described

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 8, 9, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(hours=12)
COVER_EVENTS = ["cover_request.created", "cover_request.taken", "cover_request.cancelled", "cover_request.expired"]


def test_cover_request_events_can_be_chosen(admin_client):
    assert set(COVER_EVENTS) <= set(EVENT_TYPES)
    response = admin_client.post(
        "/api/webhook-endpoints",
        {"url": "https://93.184.216.34/hook", "events": ["cover_request.taken", "cover_request.created"]},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["events"] == ["cover_request.created", "cover_request.taken"]


def test_each_event_is_one_signed_delivery_whose_body_matches_its_schema(
    org, rotation, receiver, django_capture_on_commit_callbacks, frozen
):
    endpoint, secret = services.endpoint_create(organization=org, url=receiver.url, events=COVER_EVENTS)
    services.endpoint_create(organization=org, url=receiver.url + "?handoffs", events=["rotation.handoff"])

    with django_capture_on_commit_callbacks(execute=True):
        cover = ask(rotation, "ana@acme.example", START, END, note="Dentist")
        frozen.move_to(NOW + dt.timedelta(minutes=5))
        happen(
            cover,
            "taken",
            by="cy@acme.example",
            swap_start=START + dt.timedelta(days=1),
            swap_end=END + dt.timedelta(days=1),
        )
        happen(cover, "expiring")  # no webhook event for that
        other = ask(rotation, "ana@acme.example", END, END + dt.timedelta(hours=1))
        happen(other, "cancelled", by="admin@acme.example")
        last = ask(rotation, "bo@acme.example", END, END + dt.timedelta(hours=1), tell=False)  # a lost signal
        happen(last, "expired", tell=False)
        for _ in range(2):
            tasks.sweep()

    bodies = [described(Webhook(secret).verify(r.body, r.headers)) for r in receiver.received]
    assert all(r.path == "/hook" for r in receiver.received)
    assert [(b["type"], b["data"]["coverRequest"]["id"]) for b in bodies] == [
        ("cover_request.created", cover.pk),
        ("cover_request.taken", cover.pk),
        ("cover_request.created", other.pk),
        ("cover_request.cancelled", other.pk),
        ("cover_request.created", last.pk),
        ("cover_request.expired", last.pk),
    ]
    created, taken = bodies[0], bodies[1]
    assert created["timestamp"] == "2026-03-06T12:00:00+00:00"
    assert created["data"]["rotation"] == {"id": rotation.pk, "name": "Platform"}
    assert created["data"]["coverRequest"]["status"] == "open"  # as it was at the event
    assert created["data"]["coverRequest"]["requester"]["email"] == "ana@acme.example"
    assert created["data"]["coverRequest"]["note"] == "Dentist"
    assert taken["timestamp"] == "2026-03-06T12:05:00+00:00"
    assert taken["data"]["coverRequest"]["status"] == "taken"
    assert taken["data"]["coverRequest"]["taker"]["name"] == "Cy Diaz"
    assert taken["data"]["coverRequest"]["swap"] == {
        "start": "2026-03-09T09:00:00+00:00",
        "end": "2026-03-09T21:00:00+00:00",
    }
    assert bodies[3]["data"]["coverRequest"]["cancelledBy"] == "admin@acme.example"
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert ids[0] == f"evt_cover_request_{cover.pk}_created" and len(set(ids)) == len(ids)
    assert set(Notification.objects.filter(channel="webhook").values_list("status", flat=True)) == {"sent"}
