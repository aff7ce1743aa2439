"""Calendar feeds: the public `/cal/<token>.ics` (no sign-in: the token is the credential), and the
pages that create, show once, regenerate and revoke them."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import once
from accounts.access import get_org_for_member
from accounts.actor import Actor
from accounts.dialogs import confirmed

from ..models import Rotation
from . import feeds


@require_safe  # calendar clients send HEAD: answered like GET, without a body (Django drops it)
def calendar_feed(request, token: str):
    feed = feeds.calendar_feed_for_token(token)
    if feed is None:
        raise Http404()  # unknown and revoked look the same
    now = feeds.window_now(timezone.now())
    rotations = feeds.feed_rotations(feed, now=now)
    etag = feeds.feed_etag(feed, rotations, now=now)
    wanted = [t.strip().removeprefix("W/") for t in request.headers.get("If-None-Match", "").split(",")]
    if etag in wanted:  # the calendar already has this: no rendering
        response: HttpResponse = HttpResponseNotModified()
    else:
        # Rendering ~1,000 events with icalendar takes a few hundred ms: kept for the hour, keyed by
        # the ETag (which changes with anything the feed shows), so a client without one is cheap too.
        body = cache.get_or_set(
            f"calendar-feed:{etag}", lambda: feeds.render_feed(feed, rotations, now=now), timeout=3600
        )
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="roster.ics"'
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=300"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- pages: the rotation page's "Calendar" section and the "My shifts" page ------------------------

ONCE_KEY = "calendar_feed:"


def _once_key(rotation=None) -> str:
    return ONCE_KEY + (str(rotation.pk) if rotation is not None else "me")


def section_context(request, *, rotation=None) -> dict:
    """What templates/rotations/_calendar_feed.html needs: the active feed, and its URL on the one
    GET after it was created (POST → redirect → GET, accounts/once.py)."""
    org = rotation.organization if rotation is not None else get_org_for_member(request)
    raw = once.take(request, _once_key(rotation))
    feed = feeds.calendar_feed_active(organization=org, rotation=rotation, user=request.user)
    alarm = feed.alarm_minutes if feed else None
    return {
        "calendar_feed": feed,
        "calendar_token_feeds": feeds.api_token_feeds(rotation) if rotation is not None else [],
        "calendar_new": {"url": feeds.feed_url(raw), "webcal": feeds.webcal_url(raw)} if raw else None,
        "calendar_create_url": reverse("rotations:calendar_create", args=[rotation.pk])
        if rotation is not None
        else reverse("rotations:my_calendar"),
        "calendar_revoke_url": reverse("rotations:calendar_revoke", args=[rotation.pk])
        if rotation is not None
        else reverse("rotations:my_calendar_revoke"),
        "calendar_what": f"{rotation.name}’s shifts" if rotation is not None else "your shifts",
        "alarm_choices": ALARM_CHOICES  # with a reminder the API set, so Regenerate keeps it
        + ([(alarm, f"{alarm} minutes before")] if alarm and alarm not in dict(ALARM_CHOICES) else []),
    }


ALARM_CHOICES = [(0, "No reminder"), (15, "15 minutes before"), (60, "1 hour before"), (1440, "1 day before")]


def _alarm(request) -> int | None:
    try:
        minutes = int(request.POST.get("alarm_minutes") or 0)
    except ValueError:
        minutes = 0
    return minutes if 1 <= minutes <= feeds.MAX_ALARM_MINUTES else None


def _create(request, *, rotation=None):
    org = rotation.organization if rotation is not None else get_org_for_member(request)
    _, raw = feeds.calendar_feed_create(
        organization=org,
        rotation=rotation,
        user=request.user,
        alarm_minutes=_alarm(request),
        actor=Actor.of_request(request),
    )
    once.keep(request, _once_key(rotation), raw)  # shown once by the GET after the redirect


def revoke(request, *, rotation=None, back, page):
    def act():
        org = rotation.organization if rotation is not None else get_org_for_member(request)
        if feeds.calendar_feed_revoke(
            organization=org, rotation=rotation, user=request.user, actor=Actor.of_request(request)
        ):
            messages.success(request, "Calendar feed revoked: its URL no longer works.")
        return back

    return confirmed(request, "revoke-calendar", act, page)


def _rotation(request, rotation_id: int) -> Rotation:
    return get_object_or_404(Rotation, organization=get_org_for_member(request), pk=rotation_id)


@login_required
@require_POST
def calendar_create(request, rotation_id: int):
    _create(request, rotation=_rotation(request, rotation_id))
    return redirect(reverse("rotations:detail", args=[rotation_id]) + "#calendar-title")


@login_required
@require_http_methods(["GET", "POST"])
def my_calendar(request):
    if request.method == "POST":
        _create(request)
        return redirect("rotations:my_calendar")
    return _my_calendar_page(request)


def _my_calendar_page(request, **shown):
    mine = Rotation.objects.filter(organization=get_org_for_member(request), members__email__iexact=request.user.email)
    names = mine.order_by("name").values_list("name", flat=True).distinct()
    return render(
        request, "rotations/my_calendar.html", {**section_context(request), "my_rotations": list(names), **shown}
    )


@login_required
@require_POST
def my_calendar_revoke(request):
    return revoke(request, back=redirect("rotations:my_calendar"), page=functools.partial(_my_calendar_page, request))
