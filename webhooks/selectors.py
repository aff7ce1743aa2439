"""Reads: incidents (pages and API), deliveries waiting to be processed (the card, the API, the
sweeper), and the receiver's endpoint look-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, F, Min, Q
from django.utils import timezone
from encrypted_model_fields.fields import EncryptedTextField

from .models import Delivery, Incident, WebhookEndpoint, WebhookSecret

# A delivery whose processing failed this many times is given up on (Django admin can reprocess it).
MAX_ATTEMPTS = 5
# Verified deliveries still to be processed: received, or failed and to be tried again. The sweeper
# queues these; the card counts them.
WAITING = Q(verified=True) & (
    Q(status=Delivery.Status.RECEIVED) | Q(status=Delivery.Status.FAILED, attempts__lt=MAX_ATTEMPTS)
)
GIVEN_UP = Q(verified=True, status=Delivery.Status.FAILED, attempts__gte=MAX_ATTEMPTS)

STATUSES = ["triggered", "acknowledged", "resolved"]
# Incidents a page of the Incidents page shows, and a page of GET /api/incidents/ (its first page is
# the 500 the API has always answered).
INCIDENTS_PER_PAGE = 50
API_INCIDENTS_PER_PAGE = 500


# Newest first; stubs (no PagerDuty created time yet) last, on PostgreSQL as on SQLite (the model's plain
# descending order puts NULLs first on PostgreSQL). The id breaks ties, so pages show each incident once.
NEWEST_FIRST = (F("pagerduty_created_at").desc(nulls_last=True), "-first_seen_at", "-pk")


def incidents(*, organization, status: str = "", service: str = ""):
    queryset = Incident.objects.filter(organization=organization).order_by(*NEWEST_FIRST)
    if status:
        queryset = queryset.filter(status=status)
    if service:
        queryset = queryset.filter(service_id=service)
    return queryset


def incident_pages(*, organization, status: str = "", service: str = "", per_page: int) -> Paginator:
    """The Incidents page and the API page through `incidents` this one way (page 1 may be empty)."""
    return Paginator(incidents(organization=organization, status=status, service=service), per_page)


def services(*, organization) -> list[tuple[str, str]]:
    """(id, name) of every service the organization's incidents came from."""
    rows = (
        Incident.objects.filter(organization=organization)
        .exclude(service_id="")
        .values_list("service_id", "service_name")
        .distinct()
        .order_by("service_name", "service_id")
    )
    seen: dict[str, str] = {}
    for service_id, name in rows:
        seen.setdefault(service_id, name or service_id)
    return list(seen.items())


@dataclass(frozen=True)
class Backlog:
    """Deliveries not processed yet, for the card and the API: an admin sees processing stall (the
    worker is down) or deliveries held for a secret without reading logs."""

    held: int  # unverified, held until a signing secret is saved
    waiting: int  # stored, not processed yet (including failures the sweeper will retry)
    oldest_waiting_at: datetime | None
    given_up: int  # failed MAX_ATTEMPTS times: Django admin can reprocess them
    stalled: bool  # the oldest has waited longer than WEBHOOK_BACKLOG_WARN_SECONDS


def backlog(organization, *, now: datetime | None = None) -> Backlog:
    """One query over the organization's deliveries."""
    row = Delivery.objects.filter(organization=organization).aggregate(
        held=Count("id", filter=Q(status=Delivery.Status.HELD)),
        waiting=Count("id", filter=WAITING),
        oldest=Min("received_at", filter=WAITING),
        given_up=Count("id", filter=GIVEN_UP),
    )
    now = now or timezone.now()
    oldest = row["oldest"]
    stalled = oldest is not None and (now - oldest).total_seconds() > settings.WEBHOOK_BACKLOG_WARN_SECONDS
    return Backlog(
        held=row["held"], waiting=row["waiting"], oldest_waiting_at=oldest, given_up=row["given_up"], stalled=stalled
    )


def active_secrets(organization) -> list[str]:
    return [s.secret for s in WebhookSecret.objects.filter(organization=organization)]


def unprocessed_deliveries(*, now: datetime | None = None):
    """Stored deliveries to queue again: those whose queuing failed (after a few seconds), and any
    other left unprocessed or failed once it is stale (a lost message, a crash before queuing)."""
    now = now or timezone.now()
    due = Q(enqueue_failed=True, received_at__lt=now - timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS)) | Q(
        received_at__lt=now - timedelta(seconds=settings.WEBHOOK_SWEEP_STALE_SECONDS)
    )
    return Delivery.objects.filter(WAITING, due).order_by("received_at")


# --- The receiver's endpoint look-up: one SELECT, in SQL (see webhooks/intake.py for why) --------


@dataclass(frozen=True)
class Endpoint:
    pk: int
    organization_id: int
    secrets: list[str]  # decrypted, oldest first; empty until an admin saves one
    last_rejected_at: datetime | None = None  # when a delivery was last refused for its signature


@cache
def _endpoint_sql() -> str:
    endpoint, secret = WebhookEndpoint._meta, WebhookSecret._meta
    quote = connection.ops.quote_name
    # Only table and column names from the models go into the text; values are parameters.
    return (
        f"SELECT e.{quote('id')}, e.{quote('organization_id')}, e.{quote('last_rejected_at')}, s.{quote('secret')}"
        f" FROM {quote(endpoint.db_table)} e"
        f" LEFT JOIN {quote(secret.db_table)} s ON s.{quote('organization_id')} = e.{quote('organization_id')}"
        f" WHERE e.{quote('public_id')} = %s"
        f" ORDER BY s.{quote('created_at')}, s.{quote('id')}"
    )


def receiving_endpoint(public_id: str) -> Endpoint | None:
    """The endpoint with this public id and its organization's signing secrets, in one query."""
    if "\x00" in public_id:  # no id has one, and PostgreSQL refuses it in a query (anyone may post here)
        return None
    with connection.cursor() as cursor:
        cursor.execute(_endpoint_sql(), [public_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    field = WebhookSecret._meta.get_field("secret")
    assert isinstance(field, EncryptedTextField)
    secrets = [field.from_db_value(value, None, connection) for *_, value in rows if value is not None]
    return Endpoint(pk=rows[0][0], organization_id=rows[0][1], secrets=secrets, last_rejected_at=_aware(rows[0][2]))


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back a stored datetime without its zone (it is UTC); PostgreSQL with it."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value


# --- The webhook section of the PagerDuty card ----------------------------------------------------

# A refused delivery older than this, or followed by a verified one or a new secret, is history.
REFUSAL_NEWS_FOR = timedelta(hours=24)


def last_deliveries(organization, *, verified_only: bool, limit: int) -> list[Delivery]:
    """The newest `limit` deliveries, and the newest `limit` given up however old (so the card's
    "the newest N" given up is what it lists); unsigned ones (held, or discarded unverified) are
    anyone's words, for admins only."""
    deliveries = Delivery.objects.filter(organization=organization).defer("raw_body", "headers")
    if verified_only:
        deliveries = deliveries.filter(verified=True)
    newest = list(deliveries[:limit])
    return newest + [d for d in deliveries.filter(GIVEN_UP)[:limit] if d not in newest]


def secrets_shown(organization) -> list[WebhookSecret]:
    return list(WebhookSecret.objects.filter(organization=organization).only("id", "label", "last4", "created_at"))


def known_incidents(organization, refs: set[str]) -> set[str]:
    """Which of these incident ids Roster has stored (a held delivery's incident has no page yet)."""
    if not refs:
        return set()
    return set(
        Incident.objects.filter(organization=organization, pagerduty_id__in=refs).values_list("pagerduty_id", flat=True)
    )


def refusal_is_news(endpoint: WebhookEndpoint, organization) -> bool:
    """Should "Last refused" alarm the admin? Only while nothing has worked since the refusal."""
    at = endpoint.last_rejected_at
    if at is None or timezone.now() - at > REFUSAL_NEWS_FOR:
        return False
    verified_since = Delivery.objects.filter(organization=organization, verified=True, received_at__gt=at).exists()
    return (
        not verified_since and not WebhookSecret.objects.filter(organization=organization, created_at__gt=at).exists()
    )
