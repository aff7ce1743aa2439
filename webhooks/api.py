"""JSON API for scripts: the webhook URL and secrets (admins), and incidents (members)."""

from typing import Annotated, Any

from django.core.paginator import EmptyPage
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Status
from pydantic import Field, WithJsonSchema

from accounts.api import ApiError, DateTime, Error, Id, Schema, Text, api_actor, auth, iso, or_404, shaped
from accounts.api import router as api_router
from accounts.services import InputRefused
from accounts.text import NOT_SPACE, one_line_pattern, trimmed_pattern

from . import processing, selectors, services
from .models import WebhookSecret as WebhookSecretRow

router = api_router(
    "Webhooks and incidents",
    "The PagerDuty webhook URL and signing secrets (admins), and incidents received by webhook (members).",
)


class WebhookSecret(Schema):
    id: int
    label: str
    last4: Annotated[str, Field(max_length=4)]
    created_at: DateTime | None


class WebhookSecretCreated(WebhookSecret):
    held_released: int = Field(description="Held deliveries it verified, now processed.")
    held_discarded: int = Field(description="Held deliveries it did not verify, discarded.")


def _secret_problem(value) -> str | None:
    try:
        services.webhook_secret_check(value)
    except services.InvalidSecret as refused:
        return str(refused)
    return None


SigningSecret = shaped(
    {
        "type": "string",
        "pattern": trimmed_pattern(services.MAX_SECRET_LENGTH, at_least=services.MIN_SECRET_LENGTH, inside=NOT_SPACE),
    },
    _secret_problem,
    code="invalid_secret",
    base=Any,
)


# One line of at most LABEL_MAX (the service's rule): described, so a label the description allows is kept.
Label = Annotated[
    Text, WithJsonSchema({"type": "string", "pattern": one_line_pattern(services.LABEL_MAX, required=False)})
]


class WebhookSecretCreate(Schema):
    # The service's one rule for a secret (also the page's), described: a refusal is a 400 `invalid_secret`.
    secret: SigningSecret = Field(  # type: ignore[valid-type]
        description="The subscription's signing secret, as PagerDuty shows it (no spaces)."
    )
    label: Label | None = None


class WebhookEndpoint(Schema):
    url: str
    events: list[str] = Field(examples=[processing.SUBSCRIBED_EVENTS])
    secrets: list[WebhookSecret]
    held_deliveries: int
    waiting_deliveries: int
    oldest_waiting_at: DateTime | None
    processing_stalled: bool
    failed_deliveries: int
    last_test_received_at: DateTime | None
    last_refused_at: DateTime | None = Field(description="When a delivery was last refused (401) for its signature.")
    last_refused_reason: str | None
    refusal_needs_attention: bool = Field(
        description="Nothing was verified and no secret saved since that refusal, within a day: check the saved secret."
    )
    subscription_id: str | None = Field(
        description="The PagerDuty subscription Roster created or found for this URL "
        "(Create the subscription for me then offers Recreate instead)."
    )
    subscription_missing_events: list[str] = Field(
        description="Events Roster reads that this subscription does not send and PagerDuty refused to add "
        "(the connection cannot write): recreate it, or add them to it in PagerDuty. Empty once it sends them all; "
        "Roster checks once a day and adds those it lacks when it may.",
        examples=[["incident.reassigned", "incident.priority_updated"]],
    )
    subscription_active: bool | None = Field(
        description="false when PagerDuty last said this subscription is turned off (by an admin, or by PagerDuty "
        "after repeated delivery failures): PagerDuty then sends Roster nothing, and Roster does not turn it back on. "
        "Turn it on in PagerDuty, or recreate it. Roster reads it once a day and when it finds it; null while no "
        "subscription is recorded."
    )


class IdName(Schema):
    id: str | None
    name: str | None


class CustomField(Schema):
    name: str | None
    value: Any = None


class Incident(Schema):
    id: str
    number: int | None
    title: str
    status: Annotated[str, Field(json_schema_extra={"enum": selectors.STATUSES})] | None
    urgency: str | None
    priority: str | None
    service: IdName | None
    escalation_policy: IdName | None
    assignees: list[IdName]
    custom_fields: list[CustomField]
    html_url: str | None
    resolve_reason: str | None
    created_at: DateTime | None
    updated_at: DateTime | None
    known: bool = Field(description="False until an event with the incident's details arrives.")


class TimelineEntry(Schema):
    event_id: str
    type: str = Field(examples=["incident.triggered"])
    occurred_at: DateTime | None
    agent: str | None
    summary: str
    applied: bool


class IncidentDetail(Incident):
    timeline: list[TimelineEntry]


class IncidentList(Schema):
    incidents: list[Incident]
    page: int = Field(description="This page's number (1 is the newest incidents).")
    page_size: int = Field(description="Incidents a full page holds.")
    total: int = Field(description="Incidents matching the filters, on every page.")
    next_page: int | None = Field(description="The next page's number (send it as `page`), or null on the last page.")


IncidentStatus = shaped(
    {"enum": selectors.STATUSES},
    lambda value: None if value in selectors.STATUSES else f"status must be one of: {', '.join(selectors.STATUSES)}.",
)


class IncidentFilter(Schema):
    status: IncidentStatus = ""  # type: ignore[valid-type]
    service: Text = Field("", description="A PagerDuty service id.")
    page: int = Field(1, ge=1, description="Which page (1 if left out: the newest incidents), with the same filters.")


def secret_json(row: WebhookSecretRow) -> dict:
    return {"id": row.pk, "label": row.label, "last4": row.last4, "createdAt": iso(row.created_at)}


@router.get(
    "/integrations/pagerduty/webhook-url",
    response=WebhookEndpoint,
    auth=auth(),
    operation_id="getWebhookUrl",
    summary="Webhook URL, secrets and backlog",
)
def webhook_url(request):
    """The URL to subscribe in PagerDuty, the events to choose, the signing secrets (last 4 only), held
    deliveries, deliveries waiting to be processed and given up, the last refused delivery (admins)."""
    org = request.organization
    endpoint = services.endpoint_for(org)
    backlog = selectors.backlog(org)
    return {
        "url": services.webhook_url(endpoint),
        "events": processing.SUBSCRIBED_EVENTS,
        "secrets": [secret_json(s) for s in selectors.secrets_shown(org)],
        "heldDeliveries": backlog.held,
        "waitingDeliveries": backlog.waiting,
        "oldestWaitingAt": iso(backlog.oldest_waiting_at),
        "processingStalled": backlog.stalled,
        "failedDeliveries": backlog.given_up,
        "lastTestReceivedAt": iso(endpoint.last_ping_at),
        "lastRefusedAt": iso(endpoint.last_rejected_at),
        "lastRefusedReason": endpoint.last_rejected_reason or None,
        "refusalNeedsAttention": selectors.refusal_is_news(endpoint, org),
        "subscriptionId": endpoint.subscription_id or None,
        "subscriptionMissingEvents": endpoint.subscription_missing_events if endpoint.subscription_id else [],
        "subscriptionActive": not endpoint.subscription_inactive if endpoint.subscription_id else None,
    }


class SubscriptionCreate(Schema):
    recreate: bool = Field(
        False, description="Replace the recorded subscription: a new one, then the old ones deleted in PagerDuty."
    )


class Subscription(Schema):
    subscription_id: str
    created: bool = Field(description="False: a subscription to this URL already existed and was only recorded.")
    secret_last4: str | None
    deleted: list[str] = Field(description="Replaced subscriptions deleted in PagerDuty, with their secrets.")
    not_deleted: list[str] = Field(description="Replaced subscriptions PagerDuty did not delete: delete them by hand.")
    events_added: list[str] = Field(
        description="A subscription found (not created): the events Roster reads that it did not send, added to it."
    )
    events_missing: list[str] = Field(
        description="A subscription found (not created): the events Roster reads that it does not send and "
        "PagerDuty refused to add (the connection cannot write): recreate it, or add them to it in PagerDuty."
    )


def _subscription_refused(error: services.SubscriptionError) -> ApiError:
    refused = ApiError.of(error)
    if error.show_manual_steps:
        refused.extra["manualSteps"] = services.MANUAL_STEPS
    if error.retry_after:
        refused.headers["Retry-After"] = str(error.retry_after)
    return refused


@router.post(
    "/integrations/pagerduty/webhook-subscription",
    response={200: Subscription, 201: Subscription, 409: Error, 502: Error, 503: Error},
    auth=auth(),
    operation_id="createWebhookSubscription",
    summary="Create the PagerDuty subscription",
)
def webhook_subscription(request, payload: SubscriptionCreate | None = None):
    """What the card's "Create the subscription for me" (and Recreate) does (admins): a 201 with the
    subscription created in PagerDuty and its signing secret saved (last 4 only), or a 200 when one to this
    URL already existed (only recorded: paste its secret with addWebhookSecret, or recreate; the events Roster
    reads that it lacked are added to it, `eventsAdded`, or listed in `eventsMissing` when PagerDuty refused). 409
    `not_connected`, `subscription_exists` (one is recorded: send `recreate`), `subscription_in_progress`
    (another request is creating it), `write_refused` (the connection cannot write subscriptions), or
    PagerDuty's refusal (e.g. `pagerduty_unauthorized`); 502 `no_signing_secret` (created, but PagerDuty sent
    no secret: recreate); 503 `pagerduty_unavailable` (nothing created; `Retry-After`). A refusal that needs
    the subscription made by hand lists the steps in `manualSteps`."""
    with ApiError.instead_of(services.SubscriptionError, _subscription_refused):
        result = services.webhook_subscription_create(
            organization=request.organization,
            actor=api_actor(request),
            recreate=payload is not None and payload.recreate,
        )
    body = {
        "subscriptionId": result.subscription_id,
        "created": result.created,
        "secretLast4": result.secret_last4 or None,
        "deleted": list(result.deleted),
        "notDeleted": list(result.not_deleted),
        "eventsAdded": list(result.events.added) if result.events else [],
        "eventsMissing": list(result.events.missing) if result.events else [],
    }
    return Status(201, body) if result.created else body


@router.post(
    "/integrations/pagerduty/webhook-secrets",
    response={201: WebhookSecretCreated, 409: Error},
    auth=auth(),
    operation_id="addWebhookSecret",
    summary="Save a signing secret",
)
def webhook_secrets(request, payload: WebhookSecretCreate):
    """Held deliveries it verifies are processed; the others are discarded (admins). A secret that
    cannot be one is a 400 `invalid_secret`; one already saved, a 409 `secret_already_saved`."""
    with ApiError.instead_of(InputRefused, ApiError.of):
        row, settled = services.webhook_secret_add(
            organization=request.organization,
            secret=payload.secret,
            label=payload.label or "",
            actor=api_actor(request),
        )
    return Status(201, {**secret_json(row), "heldReleased": settled["released"], "heldDiscarded": settled["discarded"]})


@router.delete(
    "/integrations/pagerduty/webhook-secrets/{int:secret_id}",
    response={204: None},
    auth=auth(),
    operation_id="removeWebhookSecret",
    summary="Remove a signing secret",
)
def webhook_secret(request, secret_id: Id):
    removed = services.webhook_secret_remove(
        organization=request.organization, secret_id=secret_id, actor=api_actor(request)
    )
    or_404(removed, "No such webhook secret.")
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
        "resolveReason": incident.resolve_reason or None,
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


@router.get(
    "/incidents/",
    response={200: IncidentList, 409: Error},
    auth=auth("read"),
    operation_id="listIncidents",
    summary="Incidents",
)
def incidents(request, filters: Query[IncidentFilter]):
    """Incidents received by webhook, newest first, 500 a page (members): the first page when `page` is left
    out; `nextPage` is the page to ask for next (null on the last), `total` how many match the filters. A
    `page` that is not a whole number of at least 1 is a 400; one past the last page (other than 1) a 409
    `page_out_of_range`; `errors` names `page`."""
    pages = selectors.incident_pages(
        organization=request.organization,
        status=filters.status,
        service=filters.service,
        per_page=selectors.API_INCIDENTS_PER_PAGE,
    )
    try:
        page = pages.page(filters.page)
    except EmptyPage as beyond:
        message = f"page must be at most {pages.num_pages} ({pages.count} incidents match, {pages.per_page} a page)."
        raise ApiError(409, "page_out_of_range", message, field="page") from beyond
    return {
        "incidents": [incident_json(i) for i in page],
        "page": page.number,
        "pageSize": pages.per_page,
        "total": pages.count,
        "nextPage": page.next_page_number() if page.has_next() else None,
    }


@router.get(
    "/incidents/{path:pagerduty_id}/",
    response=IncidentDetail,
    auth=auth("read"),
    operation_id="getIncident",
    summary="One incident with its timeline",
)
def incident(request, pagerduty_id: Annotated[str, Field(description="PagerDuty's incident id.")]):
    row = get_object_or_404(selectors.incidents(organization=request.organization), pagerduty_id=pagerduty_id)
    return incident_json(row, with_events=True)
