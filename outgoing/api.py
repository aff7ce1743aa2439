"""JSON API (organization admins; an `admin` token):
GET/POST /api/webhook-endpoints, GET/PATCH/DELETE /api/webhook-endpoints/<id>,
POST /api/webhook-endpoints/<id>/test, GET /api/webhook-endpoints/<id>/deliveries,
POST /api/webhook-endpoints/<id>/deliveries/<id>/resend.

Every rule about a value is the service's (its messages name the field); the schemas below describe
them and refuse unknown keys."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpResponse
from ninja import Status
from pydantic import Field, WithJsonSchema
from pydantic.alias_generators import to_camel

from accounts.api import ApiError, DateTime, Error, Id, Schema, api_actor, auth, iso, rate_limited
from accounts.api import router as api_router
from accounts.text import one_line_pattern

from . import event_schemas, selectors, services  # noqa: F401 (event_schemas: the events' schemas)
from .models import EVENT_TYPES, Endpoint

router = api_router(
    "Outgoing webhooks",
    "Endpoints Roster POSTs events to (`rotation.handoff`, `rotation.upcoming`, `rotation.shift_changed`, "
    "`incident.updated`, `cover_request.created` / `.taken` / `.cancelled` / `.expired`), signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, "
    "`webhook-signature`), and each endpoint's delivery log. Admins only. The event bodies are the "
    "`OutgoingWebhookEvent*` schemas.",
)

# Described here, checked by the service (its messages name the field).
Events = Annotated[
    Any, WithJsonSchema({"type": "array", "items": {"type": "string", "enum": list(EVENT_TYPES)}, "minItems": 1})
]
LeadMinutes = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "integer",
            "minimum": 1,
            "maximum": services.MAX_LEAD_MINUTES,
            "description": "rotation.upcoming: minutes before a shift starts (default 60).",
        }
    ),
]
Url = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": services.URL_PATTERN,
            "description": "https:// (http:// only in development), at most 2000 characters.",
        }
    ),
]
Description = Annotated[
    Any, WithJsonSchema({"type": "string", "maxLength": 200, "pattern": one_line_pattern(required=False)})
]
Enabled = Annotated[Any, WithJsonSchema({"type": "boolean"})]
UNSAFE = (
    " A URL the server refuses is a 409 `unsafe_url` (http:// outside development, a port not allowed, a user "
    "name in it, a host that does not resolve, or one that resolves to a loopback, private, link-local, "
    "multicast, reserved, 6to4 or Azure platform address); an organization's 21st endpoint a 409 "
    "`limit_reached`; an invalid field a 400 `invalid_request` naming it."
)


class OutgoingWebhookEndpoint(Schema):
    id: int
    url: str
    events: list[str]
    description: str
    upcoming_lead_minutes: int
    secret_last4: str = Field(description="The last 4 characters of the signing secret.")
    enabled: bool
    disabled_reason: str | None
    failing_since: DateTime | None
    created_at: DateTime


class OutgoingWebhookEndpointCreated(OutgoingWebhookEndpoint):
    secret: str = Field(description="`whsec_…`, shown once.")


class OutgoingWebhookEndpointList(Schema):
    endpoints: list[OutgoingWebhookEndpoint]


class OutgoingWebhookEndpointCreate(Schema):
    url: Url
    events: Events
    description: Description = None
    upcoming_lead_minutes: LeadMinutes = None


class OutgoingWebhookEndpointUpdate(Schema):
    url: Url = None
    events: Events = None
    description: Description = None
    upcoming_lead_minutes: LeadMinutes = None
    enabled: Enabled = None


class OutgoingWebhookDelivery(Schema):
    id: int
    event_id: str = Field(description="Also the `webhook-id` header: the same on every retry.")
    event_type: str
    status: Literal[tuple(selectors.STATUSES)]  # type: ignore[valid-type]
    attempts: Annotated[int, Field(ge=0)]
    next_attempt_at: DateTime | None
    response_code: int | None
    latency_ms: int | None
    error: str | None
    created_at: DateTime
    delivered_at: DateTime | None


class OutgoingWebhookDeliveryList(Schema):
    deliveries: list[OutgoingWebhookDelivery]


def endpoint_json(endpoint: Endpoint) -> dict:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "description": endpoint.description,
        "upcomingLeadMinutes": endpoint.upcoming_lead_minutes,
        "secretLast4": endpoint.secret_last4,
        "enabled": endpoint.enabled,
        "disabledReason": endpoint.disabled_reason or None,
        "failingSince": iso(endpoint.failing_since),
        "createdAt": iso(endpoint.created_at),
    }


def delivery_json(delivery: selectors.Delivery) -> dict:
    return {
        "id": delivery.pk,
        "eventId": delivery.event_id,
        "eventType": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "nextAttemptAt": iso(delivery.next_attempt_at),
        "responseCode": delivery.response_code,
        "latencyMs": delivery.latency_ms,
        "error": delivery.error or None,
        "createdAt": iso(delivery.created_at),
        "deliveredAt": iso(delivery.delivered_at),
    }


def _refused(error: services.EndpointError) -> ApiError:
    field = to_camel(error.field) if error.field else "request"  # the schemas' aliases (accounts.api.Schema)
    return ApiError(error.status, error.code, error.message, field=field)


@router.get(
    "/webhook-endpoints",
    response=OutgoingWebhookEndpointList,
    auth=auth(),
    operation_id="listWebhookEndpoints",
    summary="The organization's webhook endpoints",
)
def endpoints(request):
    return {"endpoints": [endpoint_json(e) for e in selectors.endpoints(request.organization)]}


@router.post(
    "/webhook-endpoints",
    response={201: OutgoingWebhookEndpointCreated, 400: Error, 409: Error},
    auth=auth(),
    operation_id="createWebhookEndpoint",
    summary="Add an endpoint",
    description="Answers the endpoint with its signing `secret` (`whsec_…`), shown this once: afterwards only "
    "`secretLast4`." + UNSAFE,
)
def create(request, payload: OutgoingWebhookEndpointCreate):
    with ApiError.instead_of(services.EndpointError, _refused):
        endpoint, secret = services.endpoint_create(
            organization=request.organization, actor=api_actor(request), **payload.model_dump()
        )
    return Status(201, {**endpoint_json(endpoint), "secret": secret})


@router.get(
    "/webhook-endpoints/{int:endpoint_id}",
    response=OutgoingWebhookEndpoint,
    auth=auth(),
    operation_id="getWebhookEndpoint",
    summary="One endpoint",
)
def endpoint(request, endpoint_id: Id):
    return endpoint_json(selectors.endpoint_get(request.organization, endpoint_id))


@router.patch(
    "/webhook-endpoints/{int:endpoint_id}",
    response={200: OutgoingWebhookEndpoint, 400: Error, 409: Error},
    auth=auth(),
    operation_id="updateWebhookEndpoint",
    summary="Change an endpoint",
    description="Any of `url`, `events`, `description`, `upcomingLeadMinutes`, `enabled`. Enabling a disabled "
    "endpoint clears its failure record; its waiting deliveries are sent." + UNSAFE,
)
def update(request, endpoint_id: Id, payload: OutgoingWebhookEndpointUpdate):
    found = selectors.endpoint_get(request.organization, endpoint_id)
    changes = payload.model_dump(exclude_unset=True)
    with ApiError.instead_of(services.EndpointError, _refused):
        services.endpoint_update(endpoint=found, changes=changes, actor=api_actor(request))
    return endpoint_json(found)


@router.delete(
    "/webhook-endpoints/{int:endpoint_id}",
    response={204: None},
    auth=auth(),
    operation_id="deleteWebhookEndpoint",
    summary="Delete an endpoint and its delivery log",
)
def delete(request, endpoint_id: Id):
    found = selectors.endpoint_get(request.organization, endpoint_id)
    services.endpoint_delete(endpoint=found, actor=api_actor(request))
    return HttpResponse(status=204)


@router.post(
    "/webhook-endpoints/{int:endpoint_id}/test",
    response={202: OutgoingWebhookDelivery, 409: Error, 429: Error},
    auth=auth(),
    operation_id="testWebhookEndpoint",
    summary="Send a test event",
)
def endpoint_test(request, endpoint_id: Id):
    """Queues a `webhook.test` event to this endpoint; its result shows in the deliveries. At most 5 a
    minute per organization: beyond, a 429 `rate_limited` (`Retry-After` says when to try again). A disabled
    endpoint is a 409 `endpoint_disabled`."""
    found = selectors.endpoint_get(request.organization, endpoint_id)
    with (
        ApiError.instead_of(services.EndpointError, _refused),
        ApiError.instead_of(services.RateLimited, lambda refused: rate_limited(refused.message, refused.retry_after)),
    ):
        row = services.endpoint_send_test(endpoint=found, actor=api_actor(request))
    return Status(202, delivery_json(selectors.delivery_get(found, row.pk)))


@router.get(
    "/webhook-endpoints/{int:endpoint_id}/deliveries",
    response=OutgoingWebhookDeliveryList,
    auth=auth(),
    operation_id="listWebhookDeliveries",
    summary="An endpoint's delivery log",
)
def endpoint_deliveries(request, endpoint_id: Id):
    """The last 50, newest first: status, attempts, next try, response code, latency and, when it
    failed, why in plain words."""
    found = selectors.endpoint_get(request.organization, endpoint_id)
    return {"deliveries": [delivery_json(d) for d in selectors.deliveries(found)]}


@router.post(
    "/webhook-endpoints/{int:endpoint_id}/deliveries/{int:delivery_id}/resend",
    response={202: OutgoingWebhookDelivery, 409: Error},
    auth=auth(),
    operation_id="resendWebhookDelivery",
    summary="Send a delivery again",
)
def delivery_resend(request, endpoint_id: Id, delivery_id: Id):
    """Puts the delivery back in line now, whatever became of it (**Resend** on the endpoint's page); a
    disabled endpoint gets it once enabled. A 409 `sending` while it is being sent."""
    found = selectors.endpoint_get(request.organization, endpoint_id)
    with ApiError.instead_of(services.EndpointError, ApiError.of):
        services.delivery_resend(delivery_id=selectors.delivery_get(found, delivery_id).id, actor=api_actor(request))
    return Status(202, delivery_json(selectors.delivery_get(found, delivery_id)))
