"""Receiving a PagerDuty V3 webhook: the decision, as a service that returns an `Outcome` (the view in
receiver.py maps it to HTTP), and the one path that stores a delivery.

The decision: find the organization by the unguessable id in the URL → size → signature (or hold,
when no secret is saved yet) → JSON → V1/V2 check → store the delivery → commit → queue processing
→ 202. A redelivery (same X-Webhook-Id or event id) is a 200 that changes nothing. PagerDuty drops
any 4xx and disables a subscription after 3 in a row, so only a request that is wrong gets one; a
delivery Roster cannot keep right now (the held store is full, the database is down) gets a 5xx,
which PagerDuty retries for up to 48 hours.

Anyone may post here, so a refused request costs no database write (at most one a minute per
endpoint records when the last one came), and an unsigned body is never parsed while a secret exists.

The hot path is two statements: the endpoint look-up (`selectors.receiving_endpoint`) and the
INSERT below, both written in SQL because built through the ORM they spent more time composing SQL
than PostgreSQL spent running it (`bench/webhooks.py` prints the receiver's throughput). They run
on PostgreSQL and SQLite (3.35+: `ON CONFLICT DO NOTHING … RETURNING`), and values go through each
field's own conversion (`get_db_prep_save`, `from_db_value`), so encrypted, binary, JSON and date
columns read and write exactly as the ORM does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from . import signature
from .models import Delivery, WebhookEndpoint, WebhookSecret
from .processing import clean_text, event_incident_id
from .relay import relay
from .selectors import Endpoint, receiving_endpoint

log = logging.getLogger(__name__)

V1_V2_MESSAGE = "PagerDuty V1 and V2 webhooks are not supported; use V3 Generic Webhooks"
HELD_FULL_RETRY_AFTER = 3600  # seconds; PagerDuty retries on its own schedule, for up to 48 hours
REFUSAL_RECORD_EVERY = timedelta(minutes=1)
KEPT_HEADERS = ("X-PagerDuty-Signature", "X-Webhook-Id", "X-Webhook-Subscription", "User-Agent", "Content-Type")


@dataclass(frozen=True)
class Outcome:
    """What the receiver answers: a status, a sentence for PagerDuty's delivery log, and for a 503
    when to retry. `found` is False for an unknown endpoint (a bare 404 that reveals nothing)."""

    status: int
    message: str
    retry_after: int | None = None
    found: bool = True


NOT_FOUND = Outcome(404, "Not Found", found=False)


def receive(
    public_id: str, *, headers: Mapping[str, str], content_length: int, read_body: Callable[[], bytes | None]
) -> Outcome:
    """Decide what to do with one delivery, store it if it is to be kept, and say what to answer.
    `read_body` returns the body, or None when it is larger than the server accepts."""
    endpoint = receiving_endpoint(public_id)
    if endpoint is None:
        return NOT_FOUND
    limit = _body_limit(endpoint)
    body = read_body() if content_length <= limit else None
    if body is None or len(body) > limit:
        return Outcome(413, f"The body is over {limit} bytes.")
    kept = {name: clean_text(headers[name], 2000) for name in KEPT_HEADERS if headers.get(name) is not None}
    if endpoint.secrets and not signature.verify(body, kept.get("X-PagerDuty-Signature"), endpoint.secrets):
        _record_refusal(endpoint, kept.get("X-PagerDuty-Signature"))
        return Outcome(401, "Invalid or missing X-PagerDuty-Signature.")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: JSON nested too deeply
        return Outcome(400, "The body is not valid JSON.")
    if isinstance(payload, dict) and "messages" in payload and "event" not in payload:
        return Outcome(400, V1_V2_MESSAGE)
    event = payload.get("event") if isinstance(payload, dict) else None
    if not isinstance(event, dict):
        return Outcome(400, 'Not a PagerDuty V3 webhook: expected {"event": {...}}.')
    fields = {
        "organization_id": endpoint.organization_id,
        "raw_body": body,
        "headers": kept,
        "webhook_id": clean_text(kept.get("X-Webhook-Id"), 100),
        "event_id": clean_text(event.get("id"), 100),
        "event_type": clean_text(event.get("event_type"), 100),
        "incident_ref": event_incident_id(event),
        "received_at": timezone.now(),
    }
    if not endpoint.secrets:
        return _hold(endpoint, fields)
    return _store(fields)


def _body_limit(endpoint: Endpoint) -> int:
    """Unsigned bodies (held until a secret is saved) are kept smaller than signed ones."""
    if endpoint.secrets:
        return settings.WEBHOOK_MAX_BODY_BYTES
    return min(settings.WEBHOOK_MAX_BODY_BYTES, settings.WEBHOOK_MAX_HELD_BODY_BYTES)


def _record_refusal(endpoint: Endpoint, header: str | None) -> None:
    """Note on the endpoint when (and why) a delivery was last refused, for the card: at most one
    write a minute, so a flood of forged requests is not a flood of database writes. The endpoint
    was just read with its last refusal time, so most refusals issue no statement at all; the
    conditional UPDATE settles concurrent ones."""
    now = timezone.now()
    recent = now - REFUSAL_RECORD_EVERY
    if endpoint.last_rejected_at is not None and endpoint.last_rejected_at > recent:
        return
    reason = (
        "the signature matched none of the saved secrets" if signature.v1_signatures(header) else "missing signature"
    )
    unrecorded = Q(last_rejected_at__isnull=True) | Q(last_rejected_at__lte=recent)
    WebhookEndpoint.objects.filter(unrecorded, pk=endpoint.pk).update(last_rejected_at=now, last_rejected_reason=reason)


def _store(fields: dict) -> Outcome:
    # One INSERT, committed when it returns (requests run in autocommit), whose unique
    # constraints on (organization, webhook id) and (organization, event id) are the
    # deduplication: no look-up first. Processing is queued once the row is committed.
    delivery_id = insert_delivery(verified=True, status=Delivery.Status.RECEIVED, **fields)
    if delivery_id is None:
        return Outcome(200, "Already received.")
    transaction.on_commit(lambda: relay.submit(delivery_id))
    return Outcome(202, "Accepted.")


def _hold(endpoint: Endpoint, fields: dict) -> Outcome:
    """No secret yet: keep the delivery (up to WEBHOOK_MAX_HELD) until an admin saves one. When
    the store is full, answer 503: PagerDuty retries it, and once a secret is saved it is stored.
    The endpoint row is locked around the count and the insert, so concurrent deliveries queue
    there and never hold more than the cap."""
    cap = settings.WEBHOOK_MAX_HELD
    with transaction.atomic():
        if not WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).values_list("pk", flat=True):
            return NOT_FOUND  # removed since it was read
        if WebhookSecret.objects.filter(organization_id=endpoint.organization_id).exists():
            # A secret was saved (and held deliveries settled) since the endpoint was read: held
            # now, this one would wait forever. The retry is checked against the secret.
            return Outcome(503, "A signing secret was just saved; retry.", retry_after=HELD_FULL_RETRY_AFTER)
        full = _held_count(endpoint.organization_id) >= cap
        if not full:
            insert_delivery(verified=False, status=Delivery.Status.HELD, **fields)
    if full:
        log.warning(
            "Organization %s holds %s unverified deliveries; refusing more (503)", endpoint.organization_id, cap
        )
        return Outcome(
            503,
            f"{cap} deliveries are already held until a signing secret is saved in Roster; retry later.",
            retry_after=HELD_FULL_RETRY_AFTER,
        )
    return Outcome(202, "Held until a signing secret is saved in Roster.")


def _held_count(organization_id: int) -> int:
    return Delivery.objects.filter(organization_id=organization_id, status=Delivery.Status.HELD).count()


# --- The one path that stores a delivery ---------------------------------------------------------


@cache
def _insert_sql() -> tuple[str, tuple]:
    fields = tuple(f for f in Delivery._meta.concrete_fields if not f.primary_key)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {quote(Delivery._meta.db_table)} ({columns}) VALUES ({placeholders})"
        f" ON CONFLICT DO NOTHING RETURNING {quote(Delivery._meta.pk.attname)}"
    )
    return sql, fields


def insert_delivery(**values) -> int | None:
    """Store a delivery; its id, or None when a unique constraint already holds it (a redelivery:
    the same X-Webhook-Id or event id, verified, in the same organization). Fields not given take
    their defaults. Commits at once in autocommit (a request), like `Model.objects.create`."""
    sql, fields = _insert_sql()
    params = [
        field.get_db_prep_save(values[field.attname] if field.attname in values else field.get_default(), connection)
        for field in fields
    ]
    unknown = set(values) - {field.attname for field in fields}
    if unknown:
        raise TypeError(f"Delivery has no field {sorted(unknown)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None
