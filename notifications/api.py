"""JSON API: GET /api/rotations/<id>/notifications (members; a `read` token)."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from accounts.api import api_view
from rotations.models import Rotation

from . import selectors

API_LIMIT = 50


@api_view(["GET"], admin_methods=(), scopes={"GET": "read"})
def rotation_notifications(request, rotation_id: int):
    rotation = get_object_or_404(Rotation, organization=request.organization, pk=rotation_id)
    rows = selectors.recent_notifications(rotation, limit=API_LIMIT)
    return JsonResponse({"notifications": [selectors.notification_json(n) for n in rows]})
