"""rotation.upcoming (each endpoint's lead time) and rotation.shift_changed, through the
notifications core's upcoming shifts (notifications/upcoming.py): one signed delivery per endpoint."""

import datetime as dt

import pytest
from standardwebhooks import Webhook

from notifications import tasks as notification_tasks
from notifications.models import Notification
from outgoing import services
from outgoing.channel import WebhookChannel
from rotations import services as rotations
from tests.conftest import NOW
from tests.outgoing.receiver import described

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def test_an_upcoming_shift_is_sent_once_within_each_endpoint_s_lead_time(
    org, rotation, frozen, receiver, django_capture_on_commit_callbacks
):
    hour, secret = services.endpoint_create(
        organization=org, url=receiver.url, events=["rotation.upcoming"], upcoming_lead_minutes=60
    )
    services.endpoint_create(
        organization=org, url=receiver.url + "?day", events=["rotation.upcoming"], upcoming_lead_minutes=24 * 60
    )
    services.endpoint_create(organization=org, url=receiver.url + "?handoffs", events=["rotation.handoff"])
    assert WebhookChannel().leads() == {rotation.pk: 24 * H}

    for moment in (NOW, NOW + 19 * H + dt.timedelta(minutes=59), NOW + 20 * H + dt.timedelta(minutes=1)):
        frozen.move_to(moment)  # Bo's shift starts 7 March 09:00, 21 hours after NOW
        with django_capture_on_commit_callbacks(execute=True):
            notification_tasks.upcoming()
            notification_tasks.sweep()

    assert [r.path for r in receiver.received] == ["/hook?day", "/hook"]
    sent = receiver.received[1]
    body = described(Webhook(secret).verify(sent.body, sent.headers))
    bo = rotation.members.get(email="bo@acme.example")
    assert body == {
        "type": "rotation.upcoming",
        "timestamp": "2026-03-07T09:00:00+00:00",
        "data": {
            "rotation": {"id": rotation.pk, "name": "Platform"},
            "shift": {
                "start": "2026-03-07T09:00:00+00:00",
                "end": "2026-03-08T09:00:00+00:00",
                "person": {"key": f"m{bo.pk}", "name": "Bo Chen", "email": "bo@acme.example"},
            },
            "leadMinutes": 60,
        },
    }
    assert receiver.received[0].headers["webhook-id"] == sent.headers["webhook-id"]  # one event, two endpoints
    assert Notification.objects.filter(target=f"endpoint:{hour.pk}").count() == 1


def test_a_shift_that_moves_is_sent_as_shift_changed(
    org, rotation, frozen, receiver, django_capture_on_commit_callbacks
):
    _, secret = services.endpoint_create(organization=org, url=receiver.url, events=["rotation.shift_changed"])
    assert WebhookChannel().watched() == {rotation.pk}
    notification_tasks.upcoming()  # the first scan keeps a snapshot: nothing moved yet
    cy = rotation.members.get(email="cy@acme.example")
    rotations.override_create(rotation=rotation, member_id=cy.pk, start=NOW + 30 * H, end=NOW + 32 * H)
    frozen.move_to(NOW + dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        notification_tasks.upcoming()
        notification_tasks.upcoming()
        notification_tasks.sweep()

    bodies = receiver.verified(secret)
    assert {b["type"] for b in bodies} == {"rotation.shift_changed"}
    by_person = {b["data"]["person"]["name"]: b["data"] for b in bodies}
    assert sorted(by_person) == ["Bo Chen", "Cy Diaz"]  # Bo lost two hours, Cy gained them
    assert by_person["Cy Diaz"]["after"] == [{"start": "2026-03-07T18:00:00+00:00", "end": "2026-03-07T20:00:00+00:00"}]
    assert by_person["Cy Diaz"]["before"] == []
    assert by_person["Cy Diaz"]["rotation"] == {"id": rotation.pk, "name": "Platform"}
