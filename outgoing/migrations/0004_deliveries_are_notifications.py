"""Outgoing webhook deliveries become notifications of the `webhook` channel (one engine).

Each `Delivery` becomes the notification that made it (a rotation event's, found by its event id),
or a new one of no rotation (incident.updated, webhook.test), keeping its state, answer (code, latency, body) and error;
webhook notifications are renamed to the kind of their event ("webhook.<event type>"). Then the
Delivery table goes."""

import hashlib

from django.db import migrations

STATUS = {"pending": "pending", "sending": "pending", "delivered": "sent", "failed": "failed"}


def _event(notification) -> tuple[str, str]:
    """(event type, event id) as outgoing/events.py made them."""
    event_type = (notification.payload or {}).get("event") or "rotation.handoff"
    if event_type == "rotation.handoff":
        return event_type, f"evt_handoff_{notification.handoff_id or notification.pk}"
    digest = hashlib.sha256(f"{notification.rotation_id}:{notification.source}".encode()).hexdigest()[:24]
    return event_type, f"evt_{event_type.removeprefix('rotation.')}_{digest}"


def forwards(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Delivery = apps.get_model("outgoing", "Delivery")
    made = {}
    for notification in Notification.objects.filter(channel="webhook", kind="webhook.event").iterator():
        event_type, event_id = _event(notification)
        notification.kind = f"webhook.{event_type}"
        notification.payload = {**(notification.payload or {}), "eventId": event_id}
        made[(notification.target, event_id)] = notification
    for delivery in Delivery.objects.select_related("endpoint").iterator():
        target = f"endpoint:{delivery.endpoint_id}"
        notification = made.pop((target, delivery.event_id), None)
        if notification is None:
            notification = Notification(
                organization_id=delivery.endpoint.organization_id,
                rotation=None,
                source=f"event:{delivery.event_id}",
                source_at=delivery.created_at,
                channel="webhook",
                target=target,
                kind=f"webhook.{delivery.event_type}"[:60],
                created_at=delivery.created_at,
                payload={},
            )
        notification.payload = {**notification.payload, "eventId": delivery.event_id, "body": delivery.payload}
        notification.status = STATUS.get(delivery.status, "failed")
        notification.attempts = min(delivery.attempts, 32767)
        notification.next_attempt_at = delivery.next_attempt_at or delivery.created_at
        notification.claimed_at = delivery.claimed_at
        notification.queued_at = None
        notification.last_error = delivery.error
        notification.sent_at = delivery.delivered_at
        notification.response_code = delivery.response_code
        notification.latency_ms = delivery.latency_ms
        notification.response_body = delivery.response_body
        notification.save()
    for notification in made.values():  # made, but its delivery never was (a send was still to come)
        notification.save()


class Migration(migrations.Migration):
    dependencies = [
        ("outgoing", "0003_delivery_response_body"),
        ("notifications", "0006_webhook_channel"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
