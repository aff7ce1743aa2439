"""OpenAPI description of this app's JSON API (api.py); merged by config/api_schema.py."""

from config.api_schema import NO_CONTENT, error, int_path, json_body, json_response, nullable, ref

from .processing import SUBSCRIBED_EVENTS
from .selectors import STATUSES

TAG = {
    "name": "Webhooks and incidents",
    "description": "The PagerDuty webhook URL and signing secrets (admins), and incidents received by webhook (members).",
}

_SECRET_EXAMPLE = {
    "id": 4,
    "label": "PagerDuty subscription",
    "last4": "Zx9Q",
    "createdAt": "2026-01-05T09:00:00+00:00",
}
_INCIDENT_EXAMPLE = {
    "id": "Q1ZGKX7B2YH6TP",
    "number": 42,
    "title": "Checkout latency above 2 s",
    "status": "triggered",
    "urgency": "high",
    "priority": None,
    "service": {"id": "PSVC123", "name": "Checkout"},
    "escalationPolicy": {"id": "PESC456", "name": "Platform"},
    "assignees": [{"id": "PUSR789", "name": "Ada Lovelace"}],
    "customFields": [],
    "htmlUrl": "https://acme.pagerduty.com/incidents/Q1ZGKX7B2YH6TP",
    "createdAt": "2026-01-05T09:00:00+00:00",
    "updatedAt": "2026-01-05T09:00:00+00:00",
    "known": True,
}

PATHS = {
    "/api/integrations/pagerduty/webhook-url": {
        "get": {
            "operationId": "getWebhookUrl",
            "summary": "Webhook URL, secrets and backlog",
            "description": "The URL to subscribe in PagerDuty, the events to choose, the signing secrets (last 4 "
            "only), held deliveries, deliveries waiting to be processed and given up (admins).",
            "responses": {"200": json_response("The webhook endpoint.", "WebhookEndpoint")},
        }
    },
    "/api/integrations/pagerduty/webhook-secrets": {
        "post": {
            "operationId": "addWebhookSecret",
            "summary": "Save a signing secret",
            "description": "Held deliveries it verifies are processed; the others are discarded (admins).",
            "requestBody": json_body(
                "WebhookSecretCreate", {"secret": "pagerduty-signing-secret-value", "label": "PagerDuty subscription"}
            ),
            "responses": {
                "201": json_response(
                    "Saved.", "WebhookSecretCreated", {**_SECRET_EXAMPLE, "heldReleased": 2, "heldDiscarded": 0}
                ),
            },
        }
    },
    "/api/integrations/pagerduty/webhook-secrets/{secret_id}": {
        "parameters": [int_path("secret_id", "The secret's id.")],
        "delete": {
            "operationId": "removeWebhookSecret",
            "summary": "Remove a signing secret",
            "responses": {"204": NO_CONTENT, "404": error("No such webhook secret.", "not_found")},
        },
    },
    "/api/incidents/": {
        "get": {
            "operationId": "listIncidents",
            "summary": "Incidents",
            "description": "Incidents received by webhook, newest first (at most 500) (members).",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": STATUSES}},
                {
                    "name": "service",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "A PagerDuty service id.",
                },
            ],
            "responses": {"200": json_response("The incidents.", "IncidentList", {"incidents": [_INCIDENT_EXAMPLE]})},
        }
    },
    "/api/incidents/{pagerduty_id}/": {
        "parameters": [
            {
                "name": "pagerduty_id",
                "in": "path",
                "required": True,
                "description": "PagerDuty's incident id.",
                "schema": {"type": "string"},
            }
        ],
        "get": {
            "operationId": "getIncident",
            "summary": "One incident with its timeline",
            "responses": {"200": json_response("The incident.", "IncidentDetail")},
        },
    },
}

_STRING_OR_NULL = nullable({"type": "string"})
_DATE_TIME_OR_NULL = nullable({"type": "string", "format": "date-time"})
_ID_NAME = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {"id": _STRING_OR_NULL, "name": _STRING_OR_NULL},
}
_SECRET_PROPERTIES = {
    "id": {"type": "integer"},
    "label": {"type": "string"},
    "last4": {"type": "string", "maxLength": 4},
    "createdAt": _DATE_TIME_OR_NULL,
}

SCHEMAS = {
    "WebhookSecret": {"type": "object", "required": list(_SECRET_PROPERTIES), "properties": _SECRET_PROPERTIES},
    "WebhookSecretCreated": {
        "type": "object",
        "required": [*_SECRET_PROPERTIES, "heldReleased", "heldDiscarded"],
        "properties": {
            **_SECRET_PROPERTIES,
            "heldReleased": {"type": "integer", "description": "Held deliveries it verified, now processed."},
            "heldDiscarded": {"type": "integer", "description": "Held deliveries it did not verify, discarded."},
        },
    },
    "WebhookSecretCreate": {
        "type": "object",
        "required": ["secret"],
        "properties": {
            "secret": {"type": "string", "description": "The subscription's signing secret, as PagerDuty shows it."},
            "label": {"type": "string"},
        },
    },
    "WebhookEndpoint": {
        "type": "object",
        "required": ["url", "events", "secrets", "heldDeliveries", "waitingDeliveries", "failedDeliveries"],
        "properties": {
            "url": {"type": "string"},
            "events": {"type": "array", "items": {"type": "string"}, "examples": [SUBSCRIBED_EVENTS]},
            "secrets": {"type": "array", "items": ref("WebhookSecret")},
            "heldDeliveries": {"type": "integer"},
            "waitingDeliveries": {"type": "integer"},
            "oldestWaitingAt": _DATE_TIME_OR_NULL,
            "processingStalled": {"type": "boolean"},
            "failedDeliveries": {"type": "integer"},
            "lastTestReceivedAt": _DATE_TIME_OR_NULL,
            "subscriptionId": nullable(
                {
                    "type": "string",
                    "description": "The PagerDuty subscription Roster created or found for this URL "
                    "(Create the subscription for me then offers Recreate instead).",
                }
            ),
        },
    },
    "Incident": {
        "type": "object",
        "required": ["id", "title", "status", "known"],
        "properties": {
            "id": {"type": "string"},
            "number": nullable({"type": "integer"}),
            "title": {"type": "string"},
            "status": nullable({"type": "string", "enum": STATUSES}),
            "urgency": _STRING_OR_NULL,
            "priority": _STRING_OR_NULL,
            "service": nullable(_ID_NAME),
            "escalationPolicy": nullable(_ID_NAME),
            "assignees": {"type": "array", "items": _ID_NAME},
            "customFields": {
                "type": "array",
                "items": {"type": "object", "properties": {"name": _STRING_OR_NULL, "value": {}}},
            },
            "htmlUrl": _STRING_OR_NULL,
            "createdAt": _DATE_TIME_OR_NULL,
            "updatedAt": _DATE_TIME_OR_NULL,
            "known": {"type": "boolean", "description": "False until an event with the incident's details arrives."},
        },
    },
    "IncidentDetail": {
        "allOf": [
            ref("Incident"),
            {
                "type": "object",
                "required": ["timeline"],
                "properties": {
                    "timeline": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["eventId", "type", "occurredAt", "applied"],
                            "properties": {
                                "eventId": {"type": "string"},
                                "type": {"type": "string", "examples": ["incident.triggered"]},
                                "occurredAt": _DATE_TIME_OR_NULL,
                                "agent": _STRING_OR_NULL,
                                "summary": {"type": "string"},
                                "applied": {"type": "boolean"},
                            },
                        },
                    }
                },
            },
        ]
    },
    "IncidentList": {
        "type": "object",
        "required": ["incidents"],
        "properties": {"incidents": {"type": "array", "items": ref("Incident")}},
    },
}
