from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import readiness


@never_cache
@require_GET
def readyz(request):
    """200 when every part is ready, else 503; the JSON names each part and why it failed."""
    parts = readiness.check()
    ready = all(part.ok for part in parts)
    body = {
        "status": "ready" if ready else "not ready",
        "parts": {part.name: {"ok": part.ok, "detail": part.detail} for part in parts},
    }
    return JsonResponse(body, status=200 if ready else 503)
