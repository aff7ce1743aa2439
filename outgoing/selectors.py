"""Reads for the Webhooks page and the JSON API. An endpoint's delivery log is its notifications of
the webhook channel, shown as deliveries (`Delivery`: a notification sent is "delivered")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from notifications.models import Notification

from . import services
from .models import Endpoint

DELIVERY_LIMIT = 50
STATUSES = {"pending": "Waiting", "sending": "Sending", "delivered": "Delivered", "failed": "Failed"}


@dataclass(frozen=True)
class Delivery:
    row: Notification

    @property
    def id(self) -> int:
        return self.row.pk

    @property
    def event_id(self) -> str:
        return self.row.payload.get("eventId") or ""

    @property
    def event_type(self) -> str:
        return self.row.kind.removeprefix("webhook.")

    @property
    def status(self) -> str:
        return "delivered" if self.row.status == Notification.Status.SENT else self.row.status

    def get_status_display(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def next_attempt_at(self) -> dt.datetime | None:
        """When it is tried next: only while it waits."""
        return self.row.next_attempt_at if self.row.status == Notification.Status.PENDING else None

    def __getattr__(self, name: str):  # attempts, response_code, latency_ms, created_at, ...
        return getattr(self.row, name)

    @property
    def error(self) -> str:
        return self.row.last_error

    @property
    def delivered_at(self) -> dt.datetime | None:
        return self.row.sent_at


def endpoints(organization) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(organization=organization)


def endpoint_get(organization, endpoint_id: int) -> Endpoint:
    """The organization's endpoint, or 404 (another organization's is not found)."""
    return get_object_or_404(Endpoint, organization=organization, pk=endpoint_id)


def deliveries(endpoint: Endpoint, limit: int = DELIVERY_LIMIT) -> list[Delivery]:
    """Its latest deliveries (a reminder skipped before it was sent, its shift gone, never was one)."""
    found = services.deliveries(endpoint).exclude(status=Notification.Status.SKIPPED)
    return [Delivery(row) for row in found.order_by("-created_at", "-id")[:limit]]


def delivery_get(endpoint: Endpoint, delivery_id: int) -> Delivery:
    row = services.deliveries(endpoint).filter(pk=delivery_id).first()
    if row is None:
        raise Http404("No such delivery.")
    return Delivery(row)
