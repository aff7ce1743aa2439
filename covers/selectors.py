"""Reads: a rotation's cover requests (newest first) and one request of an organization."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import CoverRequest


def cover_requests_for(rotation, *, status: str | None = None, limit: int = 200) -> list[CoverRequest]:
    """The rotation's requests, newest first (at most `limit`); `status` keeps one kind ("open", ...)."""
    found: QuerySet[CoverRequest] = CoverRequest.objects.filter(rotation=rotation).select_related("rotation")
    if status:
        found = found.filter(status=status)
    return list(found[:limit])


def cover_request_for(organization, cover_request_id: int) -> CoverRequest:
    """One request of the organization, with its rotation; 404 for any other."""
    return get_object_or_404(
        CoverRequest.objects.filter(organization=organization).select_related("rotation"), pk=cover_request_id
    )
