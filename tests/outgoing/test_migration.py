"""The migration that makes outgoing deliveries notifications of the webhook channel keeps every
delivery's log line (status, answer and its body, error) and its event id, joined to the notification that made
it, and makes the others (incident.updated, tests) rows of no rotation."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# BEFORE: a database as main's migrations left it (the answer's body kept, the resend permission).
BEFORE = [("outgoing", "0003_delivery_response_body"), ("notifications", "0005_resend_permission")]
AFTER = [("outgoing", "0005_delete_delivery"), ("notifications", "0006_webhook_channel")]
AT = dt.datetime(2026, 3, 6, 9, 0, tzinfo=dt.UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_deliveries_become_the_webhook_channel_s_notifications():
    apps = _migrate(BEFORE)
    org = apps.get_model("accounts", "Organization").objects.create(name="Acme", slug="acme")
    rotation = apps.get_model("rotations", "Rotation").objects.create(organization=org, name="Platform")
    handoff = apps.get_model("rotations", "Handoff").objects.create(rotation=rotation, at=AT)
    endpoint = apps.get_model("outgoing", "Endpoint").objects.create(
        organization=org,
        url="https://93.184.216.34/hook",
        events=["rotation.handoff"],
        secret="whsec_x",
        secret_last4="ab",
    )
    target = f"endpoint:{endpoint.pk}"
    Notification = apps.get_model("notifications", "Notification")
    made = Notification.objects.create(
        organization=org,
        rotation=rotation,
        handoff=handoff,
        source=f"handoff:{handoff.pk}",
        source_at=AT,
        channel="webhook",
        target=target,
        kind="webhook.event",
        status="sent",
        payload={"to": "Ana"},
    )
    Delivery = apps.get_model("outgoing", "Delivery")
    body = {"type": "rotation.handoff", "timestamp": AT.isoformat(), "data": {"to": "Ana"}}
    Delivery.objects.create(
        endpoint=endpoint,
        event_id=f"evt_handoff_{handoff.pk}",
        event_type="rotation.handoff",
        payload=body,
        status="failed",
        attempts=3,
        response_code=410,
        latency_ms=12,
        response_body='{"error": "gone"}',
        error="The endpoint answered 410.",
    )
    Delivery.objects.create(
        endpoint=endpoint,
        event_id="evt_incident_7",
        event_type="incident.updated",
        payload={"type": "incident.updated"},
        status="delivered",
        attempts=1,
        response_code=204,
        delivered_at=AT,
    )

    apps = _migrate(AFTER)
    rows = {n.kind: n for n in apps.get_model("notifications", "Notification").objects.all()}
    assert sorted(rows) == ["webhook.incident.updated", "webhook.rotation.handoff"]
    handed = rows["webhook.rotation.handoff"]
    assert handed.pk == made.pk and handed.rotation_id == rotation.pk
    assert (handed.status, handed.attempts, handed.response_code, handed.latency_ms, handed.last_error) == (
        "failed",
        3,
        410,
        12,
        "The endpoint answered 410.",
    )
    assert handed.response_body == '{"error": "gone"}'
    assert handed.payload["eventId"] == f"evt_handoff_{handoff.pk}" and handed.payload["body"] == body
    incident = rows["webhook.incident.updated"]
    assert (incident.rotation_id, incident.organization_id, incident.target) == (None, org.pk, target)
    assert (incident.status, incident.response_code, incident.sent_at) == ("sent", 204, AT)
    assert incident.payload["eventId"] == "evt_incident_7"
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # as the other tests expect it
