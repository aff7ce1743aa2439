"""JSON API for calendar feeds: /api/rotations/<id>/calendar and /api/me/calendar.

GET shows the active feed (never its URL: only a hash of the token is stored); POST creates one,
or regenerates it (the old URL stops working), and answers the URL this once; DELETE revokes.

Each answers for the person acting: a session or a person's API token manages that person's own feed
(of the rotation, or of their shifts); on a rotation, an operator's token (no person) manages the
rotation's API-token feed. `madeByApiToken` says which a rotation feed is."""

from __future__ import annotations

from typing import Literal

from django.http import HttpResponse
from ninja import Status
from pydantic import Field

from accounts.api import (
    NO_PERSON,
    DateTime,
    Error,
    Id,
    Schema,
    acting_person,
    acting_user,
    api_actor,
    auth,
    whole_number,
)
from accounts.api import router as api_router

from ..api import rotation_of
from ..models import CalendarFeed
from . import feeds

router = api_router(
    "Calendar feeds",
    "Private iCalendar subscription URLs (`/cal/<token>.ics`): a rotation's shifts, or yours in every rotation. "
    "Only a hash of the token is stored: the URL is answered once, by the POST that creates it. Each person has "
    "their own URL (a session or a person's API token manages theirs; an operator's token, the rotation's "
    "API-token feed); leaving the organization or a deactivated account revokes them all.",
)


class Feed(Schema):
    kind: Literal["rotation", "person"]
    last4: str
    alarm_minutes: int | None
    created_at: DateTime
    made_by_api_token: bool = Field(
        description="A rotation feed made by an operator's API token (acting for no person), not one person's own."
    )
    url: str | None = Field(None, description="Only in the POST's answer.")
    webcal_url: str | None = Field(None, description="Only in the POST's answer.")


class CalendarFeedShown(Schema):
    feed: Feed | None


class CalendarFeedCreate(Schema):
    alarm_minutes: whole_number(ge=1, le=feeds.MAX_ALARM_MINUTES) | None = None  # type: ignore[valid-type]


def feed_json(feed: CalendarFeed | None, raw: str | None = None) -> dict:
    if feed is None:
        return {"feed": None}
    shown: dict = {
        "kind": feed.kind,
        "last4": feed.last4,
        "alarmMinutes": feed.alarm_minutes,
        "createdAt": feed.created_at.isoformat(),
        "madeByApiToken": feed.made_by_api_token,
    }
    if raw is not None:
        shown |= {"url": feeds.feed_url(raw), "webcalUrl": feeds.webcal_url(raw)}
    return {"feed": shown}


def _show(request, *, rotation=None, user=None):
    return feed_json(feeds.calendar_feed_active(organization=request.organization, rotation=rotation, user=user))


def _create(request, payload: CalendarFeedCreate | None, *, rotation=None, user=None):
    feed, raw = feeds.calendar_feed_create(
        organization=request.organization,
        rotation=rotation,
        user=user,
        alarm_minutes=payload.alarm_minutes if payload else None,
        actor=api_actor(request),
    )
    return Status(201, feed_json(feed, raw))


def _revoke(request, *, rotation=None, user=None):
    feeds.calendar_feed_revoke(
        organization=request.organization, rotation=rotation, user=user, actor=api_actor(request)
    )
    return HttpResponse(status=204)


SHOWN = "The active feed (`null` when there is none), never its URL."
CREATED = (
    "A new URL, answered this once; the previous URL (if any) stops working. `alarmMinutes` adds a reminder "
    "that long before each shift."
)
REVOKED = "Its URL answers 404 from now on."
ROTATION_CALENDAR = "/rotations/{int:rotation_id}/calendar"


@router.get(
    ROTATION_CALENDAR,
    response=CalendarFeedShown,
    exclude_unset=True,
    auth=auth("read"),
    operation_id="getRotationCalendar",
    summary="Show my calendar feed of the rotation",
    description=SHOWN,
)
def rotation_calendar(request, rotation_id: Id):
    return _show(request, rotation=rotation_of(request, rotation_id), user=acting_user(request))


@router.post(
    ROTATION_CALENDAR,
    response={201: CalendarFeedShown},
    exclude_unset=True,
    auth=auth("write", admin=False),
    operation_id="createRotationCalendar",
    summary="Create or regenerate my calendar feed of the rotation",
    description=CREATED,
)
def rotation_calendar_create(request, rotation_id: Id, payload: CalendarFeedCreate | None = None):
    return _create(request, payload, rotation=rotation_of(request, rotation_id), user=acting_user(request))


@router.delete(
    ROTATION_CALENDAR,
    response={204: None},
    auth=auth("write", admin=False),
    operation_id="revokeRotationCalendar",
    summary="Revoke my calendar feed of the rotation",
    description=REVOKED,
)
def rotation_calendar_revoke(request, rotation_id: Id):
    return _revoke(request, rotation=rotation_of(request, rotation_id), user=acting_user(request))


@router.get(
    "/me/calendar",
    response={200: CalendarFeedShown, 409: Error},
    exclude_unset=True,
    auth=auth("read"),
    operation_id="getMyCalendar",
    summary="Show my calendar feed",
    description=SHOWN + NO_PERSON,
)
def my_calendar(request):
    return _show(request, user=acting_person(request))


@router.post(
    "/me/calendar",
    response={201: CalendarFeedShown, 409: Error},
    exclude_unset=True,
    auth=auth("write", admin=False),
    operation_id="createMyCalendar",
    summary="Create or regenerate my calendar feed",
    description=CREATED + NO_PERSON,
)
def my_calendar_create(request, payload: CalendarFeedCreate | None = None):
    return _create(request, payload, user=acting_person(request))


@router.delete(
    "/me/calendar",
    response={204: None, 409: Error},
    auth=auth("write", admin=False),
    operation_id="revokeMyCalendar",
    summary="Revoke my calendar feed",
    description=REVOKED + NO_PERSON,
)
def my_calendar_revoke(request):
    return _revoke(request, user=acting_person(request))
