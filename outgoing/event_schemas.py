"""The JSON schemas of the events Roster POSTs to outgoing webhook endpoints (Standard Webhooks:
{type, timestamp, data}), added to /api/schema/'s components (`OutgoingWebhookEvent*`): not
operations of the API, so written here rather than generated from a router."""

from accounts.api import add_components
from notifications.api import nullable


def _object(properties: dict, **extra) -> dict:
    """An object schema whose every property is required."""
    return {"type": "object", **extra, "required": list(properties), "properties": properties}


_PERSON = nullable({"type": "string", "description": "“Name <email>”; null: nobody on call."})
_ROTATION = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
_SHIFT_PERSON = {
    "type": "object",
    "properties": {"key": {"type": "string"}, "name": {"type": "string"}, "email": nullable({"type": "string"})},
}
_TIME = {"type": "string", "format": "date-time"}
_SPAN = {"type": "object", "properties": {"start": _TIME, "end": _TIME}}
_MEMBER = _object(
    {
        "memberId": nullable({"type": "integer", "description": "null: the member left the rotation since."}),
        "name": {"type": "string"},
        "email": {"type": "string"},
    }
)
_COVER_REQUEST = _object(
    {
        "id": {"type": "integer"},
        "rotationId": {"type": "integer"},
        "status": {"enum": ["open", "taken", "cancelled", "expired"]},
        "start": _TIME,
        "end": _TIME,
        "note": {"type": "string"},
        "requester": _MEMBER,
        "taker": nullable(_MEMBER),
        "swap": nullable(
            {
                **_SPAN,
                "required": ["start", "end"],
                "description": "A swap: the taker's own shift that goes back to the requester.",
            }
        ),
        "createdAt": _TIME,
        "createdBy": {"type": "string"},
        "takenAt": nullable(_TIME),
        "takenBy": nullable({"type": "string"}),
        "cancelledAt": nullable(_TIME),
        "cancelledBy": nullable({"type": "string"}),
        "expiredAt": nullable(_TIME),
    },
    description="The cover request at the event (as `GET /api/cover-requests/{id}`, less the write-back details).",
)
_COVER_DATA = {"rotation": _ROTATION, "coverRequest": _COVER_REQUEST}


def _event(event_type: str, description: str, data: dict) -> dict:
    """The schema of one event's body: {type, timestamp, data}, every key required (`data`'s too)."""
    return _object(
        {"type": {"const": event_type}, "timestamp": _TIME, "data": _object(data)},
        description=f"`{event_type}`: {description}",
    )


EVENT_SCHEMAS = {
    # The bodies Roster POSTs (Standard Webhooks: {type, timestamp, data}).
    "OutgoingWebhookEventHandoff": _event(
        "rotation.handoff",
        "who is on call changed (every handoff, native or PagerDuty-bound); `timestamp` is when.",
        {"rotation": _ROTATION, "handoffId": {"type": "integer"}, "at": _TIME, "from": _PERSON, "to": _PERSON},
    ),
    "OutgoingWebhookEventUpcoming": _event(
        "rotation.upcoming",
        "someone's shift starts within the endpoint's lead time (sent once per shift; not sent when "
        "the shift moved or started before it could be); `timestamp` is when the shift starts.",
        {
            "rotation": _ROTATION,
            "shift": {"type": "object", "properties": {"start": _TIME, "end": _TIME, "person": _SHIFT_PERSON}},
            "leadMinutes": {"type": "integer"},
        },
    ),
    "OutgoingWebhookEventShiftChanged": _event(
        "rotation.shift_changed",
        "a person's shifts in the next 7 days changed (an override, a skip, a PagerDuty re-sync): "
        "`before` are no longer, `after` are new, within `window`.",
        {
            "rotation": _ROTATION,
            "person": _SHIFT_PERSON,
            "before": {"type": "array", "items": _SPAN},
            "after": {"type": "array", "items": _SPAN},
            "window": _SPAN,
        },
    ),
    "OutgoingWebhookEventCoverRequestCreated": _event(
        "cover_request.created",
        "a member asks someone to cover a time range of their on-call shifts; `timestamp` is when.",
        _COVER_DATA,
    ),
    "OutgoingWebhookEventCoverRequestTaken": _event(
        "cover_request.taken",
        "another member took the request (a swap gives one of their shifts back); `timestamp` is when.",
        _COVER_DATA,
    ),
    "OutgoingWebhookEventCoverRequestCancelled": _event(
        "cover_request.cancelled",
        "the requester or an admin cancelled the request (a taken one: its override removed); `timestamp` is when.",
        _COVER_DATA,
    ),
    "OutgoingWebhookEventCoverRequestExpired": _event(
        "cover_request.expired",
        "nobody took the request before it ended; `timestamp` is when it expired.",
        _COVER_DATA,
    ),
    "OutgoingWebhookEventTest": _event(
        "webhook.test",
        "**Send test event** (the page, or `POST /api/webhook-endpoints/{id}/test`).",
        {"message": {"type": "string"}, "endpointId": {"type": "integer"}, "sentBy": nullable({"type": "string"})},
    ),
    "OutgoingWebhookEventIncident": _event(
        "incident.updated",
        "an event PagerDuty sent Roster about an incident (triggered, acknowledged, resolved, custom "
        "fields), with the incident as Roster now knows it.",
        {
            "incident": {"type": "object", "description": "As `GET /api/incidents/{id}` (no timeline)."},
            "event": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "type": {"type": "string", "examples": ["incident.acknowledged"]},
                    "occurredAt": _TIME,
                    "agent": nullable({"type": "string"}),
                    "summary": {"type": "string"},
                    "applied": {"type": "boolean"},
                },
            },
        },
    ),
}


add_components(EVENT_SCHEMAS)
