from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from . import collector, readiness, selectors, status


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
    response = JsonResponse(body, status=200 if ready else 503)
    response._has_been_logged = True  # type: ignore[attr-defined]  # a probe every few seconds: no error line per 503
    return response


@never_cache
@require_GET
def metrics(request):
    """Prometheus metrics, only with `Authorization: Bearer <METRICS_TOKEN>` (404 while it is unset)."""
    expected = settings.METRICS_TOKEN
    if not expected:
        raise Http404
    given = request.headers.get("Authorization", "")
    if not constant_time_compare(given, f"Bearer {expected}"):
        return HttpResponse(
            "A valid metrics token is required.\n",
            status=401,
            content_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return HttpResponse(collector.scrape(), content_type=CONTENT_TYPE_LATEST)


@staff_member_required
@never_cache
def system_status(request):
    """Django admin → System status: each organization's figures (the same selectors as /metrics),
    those that need attention first, 50 a page."""
    snap = selectors.snapshot(per_organization=True)
    rows = sorted(snap.figures.values(), key=lambda f: (-status.attention(f), f.name.lower()))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        **admin.site.each_context(request),
        "title": "System status",
        "page": page,
        "rows": [status.row(figures) for figures in page.object_list],
        "total": status.totals(snap),
        "beat": sorted(snap.beat.items()),
        "ready": readiness.check(),
        "at": snap.at,
    }
    return render(request, "admin/ops/system_status.html", context)
