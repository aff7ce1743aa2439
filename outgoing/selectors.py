"""Reads for the Webhooks page and the JSON API."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Delivery, Endpoint

DELIVERY_LIMIT = 50


def endpoints(organization) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(organization=organization)


def endpoint_get(organization, endpoint_id: int) -> Endpoint:
    """The organization's endpoint, or 404 (another organization's is not found)."""
    return get_object_or_404(Endpoint, organization=organization, pk=endpoint_id)


def deliveries(endpoint: Endpoint, limit: int = DELIVERY_LIMIT) -> QuerySet[Delivery]:
    return endpoint.deliveries.all()[:limit]


def delivery_get(endpoint: Endpoint, delivery_id: int) -> Delivery:
    return get_object_or_404(Delivery, endpoint=endpoint, pk=delivery_id)
