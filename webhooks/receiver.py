"""The V3 webhook receiver: `POST /webhooks/pagerduty/<endpoint id>/`.

Find the organization by the unguessable id in the URL → size → signature (or hold, when no secret
is saved yet) → JSON → V1/V2 check → store the delivery → commit → queue processing → 202.
A redelivery (same X-Webhook-Id or event id) answers 200 and changes nothing. PagerDuty drops any
4xx and disables a subscription after 3 in a row, so only a request that is wrong answers one; a
delivery Roster cannot keep right now (the held store is full, the database is down) answers 5xx,
which PagerDuty retries for up to 48 hours.

Anyone may post here, so a refused request costs no database write (at most one a minute per
endpoint records when the last one came), and an unsigned body is never parsed while a secret exists.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from . import intake, signature
from .models import Delivery, WebhookEndpoint, WebhookSecret
from .processing import clean_text, incident_id
from .tasks import enqueue_on_commit

log = logging.getLogger(__name__)

V1_V2_MESSAGE = "PagerDuty V1 and V2 webhooks are not supported; use V3 Generic Webhooks"
HELD_FULL_RETRY_AFTER = 3600  # seconds; PagerDuty retries on its own schedule, for up to 48 hours
REFUSAL_RECORD_EVERY = timedelta(minutes=1)
KEPT_HEADERS = ("X-PagerDuty-Signature", "X-Webhook-Id", "X-Webhook-Subscription", "User-Agent", "Content-Type")


def _answer(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


def _not_found() -> HttpResponse:
    return HttpResponse("Not Found", status=404, content_type="text/plain")


def _headers(request) -> dict:
    kept = {name: request.headers.get(name) for name in KEPT_HEADERS if request.headers.get(name) is not None}
    return {name: clean_text(value, 2000) for name, value in kept.items()}


def _body_limit(endpoint: intake.Endpoint) -> int:
    """Unsigned bodies (held until a secret is saved) are kept smaller than signed ones."""
    if endpoint.secrets:
        return settings.WEBHOOK_MAX_BODY_BYTES
    return min(settings.WEBHOOK_MAX_BODY_BYTES, settings.WEBHOOK_MAX_HELD_BODY_BYTES)


def _body(request, limit: int) -> bytes | None:
    """The raw body, or None when it is over `limit`."""
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
    limit = _body_limit(endpoint)
    body = _body(request, limit)
    if body is None:
        return _answer(413, f"The body is over {limit} bytes.")
    headers = _headers(request)
    if endpoint.secrets and not signature.verify(body, headers.get("X-PagerDuty-Signature"), endpoint.secrets):
        _record_refusal(endpoint, headers.get("X-PagerDuty-Signature"))
        return _answer(401, "Invalid or missing X-PagerDuty-Signature.")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: JSON nested too deeply
        return _answer(400, "The body is not valid JSON.")
    if isinstance(payload, dict) and "messages" in payload and "event" not in payload:
        return _answer(400, V1_V2_MESSAGE)
    event = payload.get("event") if isinstance(payload, dict) else None
    if not isinstance(event, dict):
        return _answer(400, 'Not a PagerDuty V3 webhook: expected {"event": {...}}.')

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
    return _store(fields)


def _record_refusal(endpoint: intake.Endpoint, header: str | None) -> None:
    """Note on the endpoint when (and why) a delivery was last refused, for the card: at most one
    write a minute, so a flood of forged requests is not a flood of database writes. The endpoint
    was just read with its last refusal time, so most refusals issue no statement at all; the
    conditional UPDATE settles concurrent ones."""
    now = timezone.now()
    recent = now - REFUSAL_RECORD_EVERY
    if endpoint.last_rejected_at is not None and endpoint.last_rejected_at > recent:
        return
    WebhookEndpoint.objects.filter(pk=endpoint.pk).filter(
        Q(last_rejected_at__isnull=True) | Q(last_rejected_at__lte=recent)
    ).update(
        last_rejected_at=now,
        last_rejected_reason="missing signature"
        if not signature.v1_signatures(header)
        else "the signature matched none of the saved secrets",
    )


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
    """No secret yet: keep the delivery (up to WEBHOOK_MAX_HELD) until an admin saves one. When
    the store is full, answer 503: PagerDuty retries it, and once a secret is saved it is stored.
    The endpoint row is locked around the count and the insert, so concurrent deliveries queue
    there and never hold more than the cap."""
    cap = settings.WEBHOOK_MAX_HELD
    with transaction.atomic():
        if not WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).values_list("pk", flat=True):
            return _not_found()  # removed since it was read
        if WebhookSecret.objects.filter(organization_id=endpoint.organization_id).exists():
            # A secret was saved (and held deliveries settled) since the endpoint was read: held
            # now, this one would wait forever. The retry is checked against the secret.
            return _retry_later("A signing secret was just saved; retry.")
        full = _held_count(endpoint.organization_id) >= cap
        if not full:
            Delivery.objects.create(verified=False, status=Delivery.Status.HELD, **fields)
    if full:
        log.warning(
            "Organization %s holds %s unverified deliveries; refusing more (503)", endpoint.organization_id, cap
        )
        return _retry_later(
            f"{cap} deliveries are already held until a signing secret is saved in Roster; retry later."
        )
    return _answer(202, "Held until a signing secret is saved in Roster.")


def _retry_later(message: str) -> JsonResponse:
    response = _answer(503, message)
    response["Retry-After"] = str(HELD_FULL_RETRY_AFTER)
    return response


def _held_count(organization_id: int) -> int:
    return Delivery.objects.filter(organization_id=organization_id, status=Delivery.Status.HELD).count()
