"""JSON API for a person's time off: /api/me/time-off.

Each call acts for one person: the signed-in user, or the person who created the API token. An
operator's token (made on the command line, acting for no person) gets 409 `no_person`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpResponse
from django.utils import timezone
from ninja import Status
from pydantic import Field

from accounts.api import NO_PERSON, ApiError, DateTime, Error, Id, Schema, Text, acting_person, auth, iso, moment
from accounts.api import router as api_router

from ..models import TimeOff
from . import selectors, services

router = api_router(
    "Time off",
    "When you are away: rotations that follow Roster's order hand your turns to the next person, and Roster "
    "asks your teammates to cover your shifts in rotations that follow a PagerDuty schedule "
    "(`ROSTER_TIME_OFF_LEAD_DAYS` ahead). A session or a person's API token acts for that person; an operator's "
    "token acts for no person: 409 `no_person`.",
)


class TimeOffOut(Schema):
    id: int
    start: DateTime
    end: DateTime
    note: str
    created_at: DateTime


class TimeOffList(Schema):
    time_off: list[TimeOffOut] = Field(description="Not ended yet, soonest first.")


class TimeOffCreate(Schema):
    start: Annotated[Text, Field(json_schema_extra={"format": "date-time"}, description="With its UTC offset.")]
    end: Annotated[Text, Field(json_schema_extra={"format": "date-time"}, description="After start.")]
    note: Annotated[Text, Field(description="At most 500 characters, one paragraph.")] | None = None


def time_off_json(time_off: TimeOff) -> dict:
    return {
        "id": time_off.pk,
        "start": iso(time_off.start.astimezone(dt.UTC)),
        "end": iso(time_off.end.astimezone(dt.UTC)),
        "note": time_off.note,
        "createdAt": iso(time_off.created_at),
    }


@router.get(
    "/time-off",
    response={200: TimeOffList, 409: Error},
    auth=auth("read"),
    operation_id="listMyTimeOff",
    summary="List my time off",
    description="Time off that has not ended, soonest first." + NO_PERSON,
)
def time_off_list(request):
    user = acting_person(request)
    found = selectors.time_off_upcoming(organization=request.organization, user=user, now=timezone.now())
    return {"timeOff": [time_off_json(t) for t in found]}


@router.post(
    "/time-off",
    response={201: TimeOffOut, 409: Error},
    auth=auth("write", admin=False),
    operation_id="createMyTimeOff",
    summary="Record time off",
    description="From `start` to `end` (not in the past, at most a year, not overlapping another of yours)."
    + NO_PERSON,
)
def time_off_create(request, payload: TimeOffCreate):
    user = acting_person(request)
    with ApiError.instead_of(services.TimeOffError, ApiError.of):
        created = services.time_off_create(
            organization=request.organization,
            user=user,
            start=moment("start", payload.start, offset_required=True),
            end=moment("end", payload.end, offset_required=True),
            note=payload.note or "",
        )
    return Status(201, time_off_json(created))


@router.delete(
    "/time-off/{int:time_off_id}",
    response={204: None, 409: Error},
    auth=auth("write", admin=False),
    operation_id="deleteMyTimeOff",
    summary="Delete my time off",
    description="One that has not ended (409 `time_off_over` otherwise); your turns go back to you, and the "
    "cover requests Roster opened for it that nobody has taken are cancelled (a taken one stays)." + NO_PERSON,
)
def time_off_delete(request, time_off_id: Id):
    user = acting_person(request)
    with ApiError.instead_of(services.TimeOffError, ApiError.of):
        services.time_off_delete(organization=request.organization, user=user, time_off_id=time_off_id)
    return HttpResponse(status=204)
