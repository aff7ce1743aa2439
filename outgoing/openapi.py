"""OpenAPI description of outgoing webhooks' JSON API (api.py) and of the events Roster POSTs;
merged by config/api_schema.py."""

from config.api_schema import NO_CONTENT, error, int_path, json_body, json_response, nullable, ref

from .models import EVENT_TYPES
from .selectors import STATUSES

TAG = {
    "name": "Outgoing webhooks",
    "description": "Endpoints Roster POSTs events to (`rotation.handoff`, `rotation.upcoming`, "
    "`rotation.shift_changed`, `incident.updated`), signed per "
    "Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`), and each endpoint's "
    "delivery log. Admins only. The event bodies are the `OutgoingWebhookEvent*` schemas.",
}

_TIME_OR_NULL = nullable({"type": "string", "format": "date-time"})
_ENDPOINT_EXAMPLE = {
    "id": 4,
    "url": "https://hooks.example.com/roster",
    "events": ["rotation.handoff"],
    "description": "Status page",
    "upcomingLeadMinutes": 60,
    "secretLast4": "Qk0=",
    "enabled": True,
    "disabledReason": None,
    "failingSince": None,
    "createdAt": "2026-01-12T09:00:00+00:00",
}
_DELIVERY_EXAMPLE = {
    "id": 31,
    "eventId": "evt_handoff_12",
    "eventType": "rotation.handoff",
    "status": "pending",
    "attempts": 1,
    "nextAttemptAt": "2026-01-12T09:05:05+00:00",
    "responseCode": 503,
    "latencyMs": 120,
    "error": "The endpoint answered 503 (a server error).",
    "createdAt": "2026-01-12T09:00:00+00:00",
    "deliveredAt": None,
}
_ID = int_path("endpoint_id", "The endpoint's id.")
_UNSAFE = error(
    "The URL is refused (`unsafe_url`: not https, a port not allowed, or it resolves to a loopback, private, "
    "link-local, multicast, reserved, 6to4 or Azure platform address), or a field is invalid (`invalid_request`).",
    "unsafe_url",
)

PATHS = {
    "/api/webhook-endpoints": {
        "get": {
            "operationId": "listWebhookEndpoints",
            "summary": "The organization's webhook endpoints",
            "responses": {
                "200": json_response(
                    "Its endpoints.", "OutgoingWebhookEndpointList", {"endpoints": [_ENDPOINT_EXAMPLE]}
                )
            },
        },
        "post": {
            "operationId": "createWebhookEndpoint",
            "summary": "Add an endpoint",
            "description": "Answers the endpoint with its signing `secret` (`whsec_…`), shown this once: "
            "afterwards only `secretLast4`.",
            "requestBody": json_body(
                "OutgoingWebhookEndpointCreate",
                {
                    "url": "https://hooks.example.com/roster",
                    "events": ["rotation.handoff"],
                    "description": "Status page",
                },
            ),
            "responses": {
                "201": json_response(
                    "Created; the secret is in this answer only.",
                    "OutgoingWebhookEndpointCreated",
                    {**_ENDPOINT_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw/wiDnQk0="},
                ),
                "400": _UNSAFE,
            },
        },
    },
    "/api/webhook-endpoints/{endpoint_id}": {
        "parameters": [_ID],
        "get": {
            "operationId": "getWebhookEndpoint",
            "summary": "One endpoint",
            "responses": {"200": json_response("The endpoint.", "OutgoingWebhookEndpoint", _ENDPOINT_EXAMPLE)},
        },
        "patch": {
            "operationId": "updateWebhookEndpoint",
            "summary": "Change an endpoint",
            "description": "Any of `url`, `events`, `description`, `upcomingLeadMinutes`, `enabled`. Enabling a disabled endpoint "
            "clears its failure record; its waiting deliveries are sent.",
            "requestBody": json_body("OutgoingWebhookEndpointUpdate", {"enabled": False}),
            "responses": {
                "200": json_response("The endpoint.", "OutgoingWebhookEndpoint", _ENDPOINT_EXAMPLE),
                "400": _UNSAFE,
            },
        },
        "delete": {
            "operationId": "deleteWebhookEndpoint",
            "summary": "Delete an endpoint and its delivery log",
            "responses": {"204": NO_CONTENT},
        },
    },
    "/api/webhook-endpoints/{endpoint_id}/test": {
        "parameters": [_ID],
        "post": {
            "operationId": "testWebhookEndpoint",
            "summary": "Send a test event",
            "description": "Queues a `webhook.test` event to this endpoint; its result shows in the deliveries. "
            "At most 5 a minute per organization.",
            "responses": {
                "202": json_response("Queued.", "OutgoingWebhookDelivery", _DELIVERY_EXAMPLE),
                "429": {
                    **error("Too many test events: try again in 42 seconds.", "rate_limited"),
                    "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
                },
            },
        },
    },
    "/api/webhook-endpoints/{endpoint_id}/deliveries": {
        "parameters": [_ID],
        "get": {
            "operationId": "listWebhookDeliveries",
            "summary": "An endpoint's delivery log",
            "description": "The last 50, newest first: status, attempts, next try, response code, latency "
            "and, when it failed, why in plain words.",
            "responses": {
                "200": json_response(
                    "Its deliveries.", "OutgoingWebhookDeliveryList", {"deliveries": [_DELIVERY_EXAMPLE]}
                )
            },
        },
    },
}

_EVENTS = {"type": "array", "items": {"type": "string", "enum": list(EVENT_TYPES)}, "minItems": 1}
_LEAD_MINUTES = {
    "type": "integer",
    "minimum": 1,
    "maximum": 10080,
    "description": "rotation.upcoming: minutes before a shift starts (default 60).",
}
_ENDPOINT_PROPS = {
    "id": {"type": "integer"},
    "url": {"type": "string", "format": "uri"},
    "events": _EVENTS,
    "description": {"type": "string"},
    "upcomingLeadMinutes": _LEAD_MINUTES,
    "secretLast4": {"type": "string", "description": "The last 4 characters of the signing secret."},
    "enabled": {"type": "boolean"},
    "disabledReason": nullable({"type": "string"}),
    "failingSince": _TIME_OR_NULL,
    "createdAt": {"type": "string", "format": "date-time"},
}
_PERSON = nullable({"type": "string", "description": "“Name <email>”; null: nobody on call."})
_ROTATION = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
_SHIFT_PERSON = {
    "type": "object",
    "properties": {"key": {"type": "string"}, "name": {"type": "string"}, "email": nullable({"type": "string"})},
}
_TIME = {"type": "string", "format": "date-time"}
_SPAN = {"type": "object", "properties": {"start": _TIME, "end": _TIME}}


def _event(event_type: str, description: str, data: dict) -> dict:
    """The schema of one event's body: {type, timestamp, data} with `data`'s keys all required."""
    return {
        "type": "object",
        "description": f"`{event_type}`: {description}",
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": {"const": event_type},
            "timestamp": _TIME,
            "data": {"type": "object", "required": list(data), "properties": data},
        },
    }


SCHEMAS = {
    "OutgoingWebhookEndpoint": {"type": "object", "required": list(_ENDPOINT_PROPS), "properties": _ENDPOINT_PROPS},
    "OutgoingWebhookEndpointCreated": {
        "type": "object",
        "required": [*_ENDPOINT_PROPS, "secret"],
        "properties": {**_ENDPOINT_PROPS, "secret": {"type": "string", "description": "`whsec_…`, shown once."}},
    },
    "OutgoingWebhookEndpointList": {
        "type": "object",
        "required": ["endpoints"],
        "properties": {"endpoints": {"type": "array", "items": ref("OutgoingWebhookEndpoint")}},
    },
    "OutgoingWebhookEndpointCreate": {
        "type": "object",
        "required": ["url", "events"],
        "properties": {
            "url": {"type": "string", "description": "https:// (http:// only in development)."},
            "events": _EVENTS,
            "description": {"type": "string", "maxLength": 200},
            "upcomingLeadMinutes": _LEAD_MINUTES,
        },
    },
    "OutgoingWebhookEndpointUpdate": {
        "type": "object",
        "properties": {
            "url": {"type": "string"},
            "events": _EVENTS,
            "description": {"type": "string", "maxLength": 200},
            "upcomingLeadMinutes": _LEAD_MINUTES,
            "enabled": {"type": "boolean"},
        },
    },
    "OutgoingWebhookDelivery": {
        "type": "object",
        "required": list(_DELIVERY_EXAMPLE),
        "properties": {
            "id": {"type": "integer"},
            "eventId": {"type": "string", "description": "Also the `webhook-id` header: the same on every retry."},
            "eventType": {"type": "string"},
            "status": {"type": "string", "enum": list(STATUSES)},
            "attempts": {"type": "integer", "minimum": 0},
            "nextAttemptAt": _TIME_OR_NULL,
            "responseCode": nullable({"type": "integer"}),
            "latencyMs": nullable({"type": "integer"}),
            "error": nullable({"type": "string"}),
            "createdAt": {"type": "string", "format": "date-time"},
            "deliveredAt": _TIME_OR_NULL,
        },
    },
    "OutgoingWebhookDeliveryList": {
        "type": "object",
        "required": ["deliveries"],
        "properties": {"deliveries": {"type": "array", "items": ref("OutgoingWebhookDelivery")}},
    },
    # The bodies Roster POSTs (Standard Webhooks: {type, timestamp, data}).
    "OutgoingWebhookEventHandoff": _event(
        "rotation.handoff",
        "who is on call changed (every handoff, native or PagerDuty-bound); `timestamp` is when.",
        {
            "rotation": _ROTATION,
            "handoffId": {"type": "integer"},
            "at": _TIME,
            "from": _PERSON,
            "to": _PERSON,
        },
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
