"""The V3 webhook receiver: `POST /webhooks/pagerduty/<endpoint id>/`.

Find the organization by the unguessable id in the URL → size → JSON → V1/V2 check → signature
(or hold, when no secret is saved yet) → store the delivery → commit → queue processing → 202.
A redelivery (same X-Webhook-Id or event id) answers 200 and changes nothing. PagerDuty drops any
4xx and disables a subscription after 3 in a row, so only a request that is wrong answers one.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from . import intake, signature
from .models import Delivery, WebhookEndpoint
from .processing import clean_text, incident_id
from .tasks import enqueue_on_commit

log = logging.getLogger(__name__)

V1_V2_MESSAGE = "PagerDuty V1 and V2 webhooks are not supported; use V3 Generic Webhooks"
KEPT_HEADERS = ("X-PagerDuty-Signature", "X-Webhook-Id", "X-Webhook-Subscription", "User-Agent", "Content-Type")


def _answer(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


def _not_found() -> HttpResponse:
    return HttpResponse("Not Found", status=404, content_type="text/plain")


def _headers(request) -> dict:
    kept = {name: request.headers.get(name) for name in KEPT_HEADERS if request.headers.get(name) is not None}
    return {name: clean_text(value, 2000) for name, value in kept.items()}


def _body(request) -> bytes | None:
    """The raw body, or None when it is over the limit."""
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    try:
        body = request.body
    except RequestDataTooBig:
        return None
    return body if len(body) <= limit else None


@csrf_exempt
def receive(request, endpoint_id: str):
    if request.method != "POST":
        response = _answer(405, "Only POST.")
        response["Allow"] = "POST"
        return response
    endpoint = intake.endpoint(endpoint_id)
    if endpoint is None:
        return _not_found()
    body = _body(request)
    if body is None:
        return _answer(413, f"The body is over {settings.WEBHOOK_MAX_BODY_BYTES} bytes.")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _answer(400, "The body is not valid JSON.")
    if isinstance(payload, dict) and "messages" in payload and "event" not in payload:
        return _answer(400, V1_V2_MESSAGE)
    event = payload.get("event") if isinstance(payload, dict) else None
    if not isinstance(event, dict):
        return _answer(400, 'Not a PagerDuty V3 webhook: expected {"event": {...}}.')

    headers = _headers(request)
    fields = {
        "organization_id": endpoint.organization_id,
        "raw_body": body,
        "headers": headers,
        "webhook_id": clean_text(headers.get("X-Webhook-Id"), 100),
        "event_id": clean_text(event.get("id"), 100),
        "event_type": clean_text(event.get("event_type"), 100),
        "incident_ref": _incident_ref(event),
        "received_at": timezone.now(),
    }
    if not endpoint.secrets:
        return _hold(endpoint, fields)
    if not signature.verify(body, headers.get("X-PagerDuty-Signature"), endpoint.secrets):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            last_rejected_at=fields["received_at"],
            last_rejected_reason="missing signature"
            if not signature.v1_signatures(headers.get("X-PagerDuty-Signature"))
            else "the signature matched none of the saved secrets",
        )
        return _answer(401, "Invalid or missing X-PagerDuty-Signature.")
    return _store(fields)


def _incident_ref(event: dict) -> str:
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    if data.get("type") == "incident":
        return incident_id(data.get("id"))
    incident = data.get("incident")
    return incident_id(incident.get("id")) if isinstance(incident, dict) else ""


def _store(fields: dict) -> JsonResponse:
    # One INSERT, committed when it returns (requests run in autocommit), whose unique
    # constraints on (organization, webhook id) and (organization, event id) are the
    # deduplication: no look-up first. Processing is queued once the row is committed.
    delivery_id = intake.insert_delivery(verified=True, status=Delivery.Status.RECEIVED, **fields)
    if delivery_id is None:
        return _answer(200, "Already received.")
    enqueue_on_commit(delivery_id)
    return _answer(202, "Accepted.")


def _hold(endpoint: intake.Endpoint, fields: dict) -> JsonResponse:
    """No secret yet: keep the delivery (up to a bound) until an admin saves one."""
    held = Delivery.objects.filter(organization_id=endpoint.organization_id, status=Delivery.Status.HELD)
    if held.count() >= settings.WEBHOOK_MAX_HELD:
        log.warning(
            "Organization %s holds %s unverified deliveries; not keeping more",
            endpoint.organization_id,
            settings.WEBHOOK_MAX_HELD,
        )
        return _answer(202, "Accepted, not kept: save a signing secret in Roster.")
    Delivery.objects.create(verified=False, status=Delivery.Status.HELD, **fields)
    return _answer(202, "Held until a signing secret is saved in Roster.")
