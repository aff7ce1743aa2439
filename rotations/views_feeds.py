"""The public calendar feed, `/cal/<token>.ics`: no sign-in, the token is the credential."""

from __future__ import annotations

import hashlib

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import feeds


@require_GET
def calendar_feed(request, token: str):
    feed = feeds.calendar_feed_for_token(token)
    if feed is None:
        raise Http404()  # unknown and revoked look the same
    body = feeds.render_feed(feed, now=timezone.now())
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    wanted = [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]
    if etag in wanted or "W/" + etag in wanted:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="roster.ics"'
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=300"
    response["Referrer-Policy"] = "no-referrer"
    return response
