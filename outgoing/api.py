"""JSON API (organization admins; an `admin` token):
GET/POST /api/webhook-endpoints, GET/PATCH/DELETE /api/webhook-endpoints/<id>,
POST /api/webhook-endpoints/<id>/test, GET /api/webhook-endpoints/<id>/deliveries."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse

from accounts.actor import Actor
from accounts.api import ApiError, api_view, iso, json_body, rate_limited

from . import selectors, services
from .models import Endpoint

# JSON name → the service's name.
WRITABLE = {
    "url": "url",
    "events": "events",
    "description": "description",
    "upcomingLeadMinutes": "upcoming_lead_minutes",
    "enabled": "enabled",
}
JSON_NAMES = {v: k for k, v in WRITABLE.items()}


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
    field = JSON_NAMES.get(error.field or "", error.field or "request")
    return ApiError(400, error.code, error.message, extra={"errors": {field: [error.message]}})


@api_view(["GET", "POST"])
def endpoints(request):
    if request.method == "GET":
        return JsonResponse({"endpoints": [endpoint_json(e) for e in selectors.endpoints(request.organization)]})
    data = json_body(request)
    try:
        endpoint, secret = services.endpoint_create(
            organization=request.organization,
            url=data.get("url"),
            events=data.get("events"),
            description=data.get("description"),
            upcoming_lead_minutes=data.get("upcomingLeadMinutes"),
            actor=Actor.of_request(request),
        )
    except services.EndpointError as refused:
        raise _refused(refused) from refused
    return JsonResponse({**endpoint_json(endpoint), "secret": secret}, status=201)


@api_view(["GET", "PATCH", "DELETE"])
def endpoint(request, endpoint_id: int):
    found = selectors.endpoint_get(request.organization, endpoint_id)
    if request.method == "DELETE":
        services.endpoint_delete(endpoint=found, actor=Actor.of_request(request))
        return HttpResponse(status=204)
    if request.method == "PATCH":
        data = json_body(request)
        unknown = sorted(set(data) - set(WRITABLE))
        if unknown:
            raise ApiError(400, "invalid_request", f"Unknown field {unknown[0]!r}: send any of {', '.join(WRITABLE)}.")
        try:
            changes = {WRITABLE[key]: value for key, value in data.items()}
            services.endpoint_update(endpoint=found, changes=changes, actor=Actor.of_request(request))
        except services.EndpointError as refused:
            raise _refused(refused) from refused
    return JsonResponse(endpoint_json(found))


@api_view(["POST"])
def endpoint_test(request, endpoint_id: int):
    found = selectors.endpoint_get(request.organization, endpoint_id)
    try:
        row = services.endpoint_send_test(endpoint=found, actor=Actor.of_request(request))
    except services.RateLimited as refused:
        raise rate_limited(refused.message, refused.retry_after) from refused
    return JsonResponse(delivery_json(selectors.delivery_get(found, row.pk)), status=202)


@api_view(["GET"])
def endpoint_deliveries(request, endpoint_id: int):
    found = selectors.endpoint_get(request.organization, endpoint_id)
    return JsonResponse({"deliveries": [delivery_json(d) for d in selectors.deliveries(found)]})
