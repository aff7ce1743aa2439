"""JSON API for scripts: the webhook URL and secrets (admins), and incidents (members)."""

from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404

from accounts.api import ApiError, api_actor, api_view, iso, json_body

from . import processing, selectors, services
from .models import WebhookSecret


def secret_json(row: WebhookSecret) -> dict:
    return {"id": row.pk, "label": row.label, "last4": row.last4, "createdAt": iso(row.created_at)}


@api_view(["GET"])
def webhook_url(request):
    org = request.organization
    endpoint = services.endpoint_for(org)
    backlog = selectors.backlog(org)
    return JsonResponse(
        {
            "url": services.webhook_url(endpoint),
            "events": processing.SUBSCRIBED_EVENTS,
            "secrets": [secret_json(s) for s in WebhookSecret.objects.filter(organization=org)],
            "heldDeliveries": backlog.held,
            "waitingDeliveries": backlog.waiting,
            "oldestWaitingAt": iso(backlog.oldest_waiting_at),
            "processingStalled": backlog.stalled,
            "failedDeliveries": backlog.given_up,
            "lastTestReceivedAt": iso(endpoint.last_ping_at),
            "subscriptionId": endpoint.subscription_id or None,
        }
    )


@api_view(["POST"])
def webhook_secrets(request):
    data = json_body(request)
    label = data.get("label") or ""
    if not isinstance(label, str):
        raise ApiError(400, "invalid_request", "label must be a string.")
    try:
        row, settled = services.webhook_secret_add(
            organization=request.organization, secret=data.get("secret") or "", label=label, actor=api_actor(request)
        )
    except services.InvalidSecret as error:
        raise ApiError(400, "invalid_secret", str(error)) from error
    return JsonResponse(
        {**secret_json(row), "heldReleased": settled["released"], "heldDiscarded": settled["discarded"]}, status=201
    )


@api_view(["DELETE"])
def webhook_secret(request, secret_id: int):
    if (
        services.webhook_secret_remove(organization=request.organization, secret_id=secret_id, actor=api_actor(request))
        is None
    ):
        raise ApiError(404, "not_found", "No such webhook secret.")
    return HttpResponse(status=204)


def incident_json(incident, *, with_events: bool = False) -> dict:
    data = {
        "id": incident.pagerduty_id,
        "number": incident.number,
        "title": incident.title,
        "status": incident.status or None,
        "urgency": incident.urgency or None,
        "priority": incident.priority or None,
        "service": {"id": incident.service_id, "name": incident.service_name} if incident.service_id else None,
        "escalationPolicy": {"id": incident.escalation_policy_id, "name": incident.escalation_policy_name}
        if incident.escalation_policy_id
        else None,
        "assignees": [{"id": a.get("id"), "name": a.get("summary")} for a in incident.assignees],
        "customFields": [{"name": f.get("name"), "value": f.get("value")} for f in incident.custom_fields],
        "htmlUrl": incident.html_url or None,
        "createdAt": iso(incident.pagerduty_created_at),
        "updatedAt": iso(incident.state_as_of),
        "known": not incident.is_stub,
    }
    if with_events:
        data["timeline"] = [
            {
                "eventId": e.event_id,
                "type": e.event_type,
                "occurredAt": iso(e.occurred_at),
                "agent": e.agent or None,
                "summary": e.summary,
                "applied": e.applied,
            }
            for e in incident.events.all()
        ]
    return data


@api_view(["GET"], admin_methods=(), scopes={"GET": "read"})
def incidents(request):
    status = request.GET.get("status", "")
    if status and status not in selectors.STATUSES:
        raise ApiError(400, "invalid_request", f"status must be one of: {', '.join(selectors.STATUSES)}.")
    rows = selectors.incidents(organization=request.organization, status=status, service=request.GET.get("service", ""))
    return JsonResponse({"incidents": [incident_json(i) for i in rows[:500]]})


@api_view(["GET"], admin_methods=(), scopes={"GET": "read"})
def incident(request, pagerduty_id: str):
    row = get_object_or_404(selectors.incidents(organization=request.organization), pagerduty_id=pagerduty_id)
    return JsonResponse(incident_json(row, with_events=True))
