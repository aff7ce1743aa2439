"""JSON API for calendar feeds: /api/rotations/<id>/calendar and /api/me/calendar.

GET shows the active feed (never its URL: only a hash of the token is stored); POST creates one,
or regenerates it (the old URL stops working), and answers the URL this once; DELETE revokes.

Each answers for the person acting: a session or a person's API token manages that person's own feed
(of the rotation, or of their shifts); on a rotation, an operator's token (no person) manages the
rotation's API-token feed. `madeByApiToken` says which a rotation feed is."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from accounts.api import ApiError, api_actor, api_view, iso, json_body

from . import feeds, selectors
from .models import CalendarFeed

SCOPES = {"GET": "read", "POST": "write", "DELETE": "write"}
MAX_ALARM_MINUTES = 7 * 24 * 60


def feed_json(feed: CalendarFeed | None, raw: str | None = None) -> dict:
    if feed is None:
        return {"feed": None}
    shown: dict = {
        "kind": feed.kind,
        "last4": feed.last4,
        "alarmMinutes": feed.alarm_minutes,
        "createdAt": iso(feed.created_at),
        "madeByApiToken": feed.made_by_api_token,
    }
    if raw is not None:
        shown |= {"url": feeds.feed_url(raw), "webcalUrl": feeds.webcal_url(raw)}
    return {"feed": shown}


def _alarm(request) -> int | None:
    minutes = json_body(request).get("alarmMinutes")
    if minutes is not None and (
        isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= MAX_ALARM_MINUTES
    ):
        raise ApiError(400, "invalid_request", f"alarmMinutes must be a whole number from 1 to {MAX_ALARM_MINUTES}.")
    return minutes


def _answer(request, *, rotation=None, user=None):
    org = request.organization
    if request.method == "GET":
        return JsonResponse(feed_json(feeds.calendar_feed_active(organization=org, rotation=rotation, user=user)))
    if request.method == "DELETE":
        feeds.calendar_feed_revoke(organization=org, rotation=rotation, user=user, actor=api_actor(request))
        return HttpResponse(status=204)
    feed, raw = feeds.calendar_feed_create(
        organization=org, rotation=rotation, user=user, alarm_minutes=_alarm(request), actor=api_actor(request)
    )
    return JsonResponse(feed_json(feed, raw), status=201)


@api_view(["GET", "POST", "DELETE"], admin_methods=(), scopes=SCOPES)
def rotation_calendar(request, rotation_id: int):
    rotation = selectors.rotation_for(request.organization, rotation_id, now=timezone.now())
    return _answer(request, rotation=rotation, user=_person(request))


def _person(request):
    """Who the request acts for: the signed-in person, a person's API token's creator, or None (an
    operator's token)."""
    token = getattr(request, "api_token", None)
    return token.created_by if token is not None else request.user


@api_view(["GET", "POST", "DELETE"], admin_methods=(), scopes=SCOPES)
def my_calendar(request):
    user = _person(request)
    if user is None:
        raise ApiError(
            409, "no_person", "This API token was created by an operator and acts for no person: sign in instead."
        )
    return _answer(request, user=user)
