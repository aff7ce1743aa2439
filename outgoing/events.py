"""Where events come from. Installed from OutgoingConfig.ready().

- `rotation.handoff`: through the notifications core (see notifications/services.py). The planner
  makes one notification per subscribed, enabled endpoint (channel "webhook", target
  "endpoint:<id>", kind "webhook.event", not supersedable: every handoff is an event); the sender
  turns it into that endpoint's `Delivery` (unique per (endpoint, event id), so a re-sent
  notification makes no second delivery), which then follows its own retry schedule.
- `incident.updated`: each event added to an incident's timeline by the PagerDuty webhook receiver
  (webhooks.hooks listener, on commit) makes one delivery per subscribed, enabled endpoint.
"""

from __future__ import annotations

from notifications import registry
from webhooks import hooks as incident_hooks
from webhooks.api import incident_json
from webhooks.models import IncidentEvent

from . import services
from .models import Endpoint

CHANNEL = "webhook"
KIND = registry.Kind("webhook.event", "Outgoing webhook", supersedable=False)
HANDOFF_KEYS = ("rotation", "handoffId", "at", "from", "to")


def _endpoints(organization_id: int, event_type: str) -> list[Endpoint]:
    return [e for e in services.subscribed(organization_id, event_type) if e.enabled]


def plan(handoff):
    for endpoint in _endpoints(handoff.rotation.organization_id, "rotation.handoff"):
        yield registry.Planned(CHANNEL, f"endpoint:{endpoint.pk}", KIND.key)


def send(notification) -> None:
    endpoint_id = notification.target.removeprefix("endpoint:")
    endpoint = Endpoint.objects.filter(pk=int(endpoint_id) if endpoint_id.isdigit() else 0).first()
    if endpoint is None:
        raise registry.Permanent("The webhook endpoint was deleted.")
    data = {key: notification.payload.get(key) for key in HANDOFF_KEYS}
    services.deliveries_create(
        endpoints=[endpoint],
        event_id=f"evt_handoff_{notification.handoff_id or notification.pk}",
        event_type="rotation.handoff",
        data=data,
        at=notification.source_at,
    )


def incident_event_relay(incident_event_id: int) -> None:
    entry = IncidentEvent.objects.select_related("incident").filter(pk=incident_event_id).first()
    if entry is None:
        return
    endpoints = _endpoints(entry.incident.organization_id, "incident.updated")
    if not endpoints:
        return
    data = {
        "incident": incident_json(entry.incident),
        "event": {
            "id": entry.event_id,
            "type": entry.event_type,
            "occurredAt": entry.occurred_at.isoformat(),
            "agent": entry.agent or None,
            "summary": entry.summary,
            "applied": entry.applied,
        },
    }
    services.deliveries_create(
        endpoints=endpoints,
        event_id=f"evt_incident_{entry.pk}",
        event_type="incident.updated",
        data=data,
        at=entry.occurred_at,
    )


def install() -> None:
    registry.register_kind(KIND)
    registry.register_planner(plan)
    registry.register_sender(CHANNEL, send)
    incident_hooks.register_incident_event_listener(incident_event_relay)
