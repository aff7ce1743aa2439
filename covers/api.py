"""JSON API for cover requests and swaps: /api/rotations/<id>/cover-requests and /api/cover-requests/<id>.

Members act for themselves (a session, or an API token a person made on Settings → API tokens, which
acts for them); an operator's token (`manage.py create_api_token`) acts for no person: 409 `no_person`,
unless it is an admin token naming the member (`requesterId`, `takerId`). The rules are the service's
(covers.services); its errors name the JSON field."""

from __future__ import annotations

from typing import Annotated, Literal

from django.shortcuts import get_object_or_404
from ninja import Query, Status
from pydantic import Field

from accounts.api import ApiError, DateTime, Error, Id, Schema, Text, api_actor, auth, iso, moment, shaped, whole_number
from accounts.api import router as api_router
from accounts.text import trimmed_pattern
from rotations.models import Member, Rotation

from . import selectors, services
from .models import CoverRequest

router = api_router(
    "Cover requests",
    "Ask a teammate to cover part of your shift, take someone's request (or swap: give one of your own shifts "
    "back), cancel. Taking changes the schedule at once: a Roster override, or a PagerDuty override written "
    "exactly once (then the schedule is re-read). Members act for themselves; admins may name the member.",
)

LIST_LIMIT = 200
Moment = Annotated[Text, Field(json_schema_extra={"format": "date-time"}, examples=["2026-03-02T09:00:00+00:00"])]
MemberId = whole_number(ge=1, le=2**63 - 1)
NOTE = trimmed_pattern(services.NOTE_MAX)
Note = shaped({"pattern": NOTE}, f"A note can be at most {services.NOTE_MAX} characters.")
Statuses = Literal["open", "taken", "cancelled", "expired"]


class CoverPerson(Schema):
    member_id: int | None = Field(description="null when the person has left the rotation.")
    name: str
    email: str


class CoverWindow(Schema):
    start: DateTime
    end: DateTime


class CoverRequestOut(Schema):
    id: int
    rotation_id: int
    status: Statuses
    start: DateTime
    end: DateTime
    note: str
    requester: CoverPerson
    taker: CoverPerson | None
    swap: CoverWindow | None = Field(description="A swap: the taker's shift given back to the requester.")
    apply_state: Literal["", "pending", "applied", "refused"] = Field(
        description="Writing the change to the schedule: pending (PagerDuty busy: retried), applied, or refused "
        "(`applyMessage` says why; the request is open again)."
    )
    apply_message: str
    pagerduty_schedule_url: str | None
    created_at: DateTime
    created_by: str
    taken_at: DateTime | None
    taken_by: str | None
    cancelled_at: DateTime | None
    cancelled_by: str | None
    expired_at: DateTime | None


class CoverRequestList(Schema):
    cover_requests: list[CoverRequestOut]


class CoverRequestCreate(Schema):
    start: Moment
    end: Moment
    note: Note | None = Field(None, description=f"At most {services.NOTE_MAX} characters.")  # type: ignore[valid-type]
    requester_id: MemberId | None = Field(None, description="Admins: ask on behalf of this member of the rotation.")  # type: ignore[valid-type]


class SwapInput(Schema):
    start: Moment
    end: Moment


class CoverRequestTake(Schema):
    swap: SwapInput | None = Field(None, description="Give this shift of yours back to the requester.")
    taker_id: MemberId | None = Field(None, description="Admins: this member of the rotation takes it.")  # type: ignore[valid-type]


class ListFilter(Schema):
    status: Statuses | None = None


# The service's field names the JSON body spells otherwise ("start", "end", "note", "swap" are the same).
JSON_FIELDS = {"requester": "requesterId", "taker": "takerId"}


def _person(member_id: int | None, name: str, email: str) -> dict:
    return {"memberId": member_id, "name": name, "email": email}


def cover_request_json(cover_request: CoverRequest) -> dict:
    rotation = cover_request.rotation
    return {
        "id": cover_request.pk,
        "rotationId": cover_request.rotation_id,
        "status": cover_request.status,
        "start": iso(cover_request.start),
        "end": iso(cover_request.end),
        "note": cover_request.note,
        "requester": _person(cover_request.requester_id, cover_request.requester_name, cover_request.requester_email),
        "taker": _person(cover_request.taker_id, cover_request.taker_name, cover_request.taker_email)
        if cover_request.taker_name
        else None,
        "swap": {"start": iso(cover_request.swap_start), "end": iso(cover_request.swap_end)}
        if cover_request.is_swap
        else None,
        "applyState": cover_request.apply_state,
        "applyMessage": cover_request.apply_message,
        "pagerdutyScheduleUrl": rotation.pagerduty_schedule_url or None,
        "createdAt": iso(cover_request.created_at),
        "createdBy": cover_request.created_by,
        "takenAt": iso(cover_request.taken_at),
        "takenBy": cover_request.taken_by or None,
        "cancelledAt": iso(cover_request.cancelled_at),
        "cancelledBy": cover_request.cancelled_by or None,
        "expiredAt": iso(cover_request.expired_at),
    }


def _error(error: services.CoverError) -> ApiError:
    field = JSON_FIELDS.get(error.field or "", error.field)
    return ApiError(error.status, error.code, error.message, field=field if error.status in (400, 409, 422) else None)


def _rotation(request, rotation_id: int) -> Rotation:
    return get_object_or_404(Rotation.objects.filter(organization=request.organization), pk=rotation_id)


def _cover_request(request, cover_request_id: int) -> CoverRequest:
    return selectors.cover_request_for(request.organization, cover_request_id)


def _member(request, rotation: Rotation, member_id: int | None, json_name: str, what: str) -> Member:
    """The member acting: the person the request acts for, or the one an admin names (`requesterId` / `takerId`)."""
    if member_id is None:
        return _acting_member(request, rotation)
    if not getattr(request, "is_org_admin", False):
        raise ApiError(403, "forbidden", f"Only organization admins can {what} on someone's behalf.")
    member = rotation.members.filter(pk=member_id).first()
    if member is None:  # who the rotation's members are is the server's state
        raise ApiError(409, "not_a_member", "Choose a member of this rotation.", field=json_name)
    return member


def _acting_member(request, rotation: Rotation) -> Member:
    with ApiError.instead_of(services.CoverError, _error):
        return services.person_for(request, rotation)


def _fresh(cover_request_id: int) -> dict:
    return cover_request_json(CoverRequest.objects.select_related("rotation").get(pk=cover_request_id))


def _words(text: str) -> str:
    """A description written over several lines, as one line."""
    return " ".join(text.split())


PERSON = (
    " 409 `no_person`: an operator's API token acts for no person (an admin token may name the member); "
    "403 `not_a_member`: you are not in the rotation."
)


@router.get(
    "/rotations/{int:rotation_id}/cover-requests",
    response=CoverRequestList,
    auth=auth("read"),
    operation_id="listCoverRequests",
    summary="List a rotation's cover requests",
)
def list_cover_requests(request, rotation_id: Id, filters: Query[ListFilter]):
    """Newest first (at most 200); `?status=open` for those waiting for someone."""
    found = selectors.cover_requests_for(_rotation(request, rotation_id), status=filters.status, limit=LIST_LIMIT)
    return {"coverRequests": [cover_request_json(c) for c in found]}


CREATE_DOC = (
    _words("""Ask the rotation's other members to cover `start`–`end` (you must be on call in some of it; part of a
    shift is fine). 400: a value of the wrong shape (`errors` names the field). 422 `invalid_range`: the end is
    not after the start. 409, naming the field in `errors`: `not_a_member` (`requesterId` is not a member of
    the rotation), `in_the_past` (the cover must start now or later), `too_far_ahead` (past what Roster knows of
    the schedule), `not_on_call` (not on call in that time), `overlapping_request` (you already asked for an
    overlapping time).""")
    + PERSON
)

TAKE_DOC = (
    _words("""You cover it until its end: one already in progress from now on (its `start` becomes the moment you
    took it); with `swap`, one of your own future shifts goes back to the requester (both changes, or
    neither). The schedule changes at once: 200 when done, 202 when PagerDuty is busy (`applyState:
    "pending"`: Roster retries by itself). 409 `already_taken` (someone was faster: the message names them),
    `not_open` (cancelled, expired or ended), `write_refused` (PagerDuty refused the write: the request is
    open again and the message says why and where to change the schedule in PagerDuty), `no_pagerduty_user`
    (you have no PagerDuty user with your email), `own_request` (you asked for it), `not_a_member` (`takerId`
    is not a member of the rotation), `not_on_call` (the requester is no longer on call then: the schedule
    changed), and for a `swap`: `in_the_past`, `too_far_ahead`, `not_on_call`,
    `swap_overlaps` (it overlaps the cover), `requester_left`; 422 `invalid_range` (its end is not after its
    start).""")
    + PERSON
)

CANCEL_DOC = (
    _words("""The requester or an admin cancels. A taken request's override is removed first (`applyMessage` says
    whether it was deleted, cut at now because it was in progress, or left because it was over). 409
    `not_open` (already cancelled or expired), `already_taken` (taken as you cancelled: its cover stands until
    cancelled again), `write_refused` (PagerDuty refused the removal); 503
    `pagerduty_unavailable` (nothing cancelled: try again).""")
    + PERSON
)


@router.post(
    "/rotations/{int:rotation_id}/cover-requests",
    response={201: CoverRequestOut, 409: Error, 422: Error},
    auth=auth("write", admin=False),
    operation_id="createCoverRequest",
    summary="Ask for cover",
    description=CREATE_DOC,
)
def create_cover_request(request, rotation_id: Id, payload: CoverRequestCreate):
    rotation = _rotation(request, rotation_id)
    start, end = moment("start", payload.start), moment("end", payload.end)
    requester = _member(request, rotation, payload.requester_id, "requesterId", "ask for cover")
    with ApiError.instead_of(services.CoverError, _error):
        created = services.cover_request_create(
            rotation=rotation,
            requester=requester,
            start=start,
            end=end,
            note=payload.note or "",
            actor=api_actor(request),
        )
    return Status(201, _fresh(created.pk))


@router.get(
    "/cover-requests/{int:cover_request_id}",
    response=CoverRequestOut,
    auth=auth("read"),
    operation_id="getCoverRequest",
    summary="One cover request",
)
def get_cover_request(request, cover_request_id: Id):
    return cover_request_json(_cover_request(request, cover_request_id))


@router.post(
    "/cover-requests/{int:cover_request_id}/take",
    response={200: CoverRequestOut, 202: CoverRequestOut, 409: Error, 422: Error},
    auth=auth("write", admin=False),
    operation_id="takeCoverRequest",
    summary="Take a cover request (or swap)",
    description=TAKE_DOC,
)
def take_cover_request(request, cover_request_id: Id, payload: CoverRequestTake | None = None):
    found = _cover_request(request, cover_request_id)
    rotation = found.rotation
    taker_id = payload.taker_id if payload is not None else None
    taker = _member(request, rotation, taker_id, "takerId", "take a cover request")
    swap = None
    if payload is not None and payload.swap is not None:
        swap = (moment("swap.start", payload.swap.start), moment("swap.end", payload.swap.end))
    with ApiError.instead_of(services.CoverError, lambda error: _error_with_link(error, rotation)):
        taken = services.cover_request_take(cover_request_id=found.pk, taker=taker, swap=swap, actor=api_actor(request))
    body = _fresh(taken.pk)
    return Status(202, body) if taken.apply_state == CoverRequest.Apply.PENDING else body


def _error_with_link(error: services.CoverError, rotation: Rotation) -> ApiError:
    refused = _error(error)
    if error.code in ("write_refused", "no_pagerduty_user"):
        refused.extra["pagerdutyScheduleUrl"] = rotation.pagerduty_schedule_url or None
    return refused


@router.post(
    "/cover-requests/{int:cover_request_id}/cancel",
    response={200: CoverRequestOut, 409: Error, 503: Error},
    auth=auth("write", admin=False),
    operation_id="cancelCoverRequest",
    summary="Cancel a cover request",
    description=CANCEL_DOC,
)
def cancel_cover_request(request, cover_request_id: Id):
    found = _cover_request(request, cover_request_id)
    if not getattr(request, "is_org_admin", False):
        member = _acting_member(request, found.rotation)
        if not services.may_cancel(cover_request=found, member=member, is_admin=False):
            raise ApiError(403, "forbidden", "Only the person who asked for cover, or an admin, can cancel it.")
    with ApiError.instead_of(services.CoverError, lambda error: _error_with_link(error, found.rotation)):
        cancelled = services.cover_request_cancel(cover_request=found, actor=api_actor(request))
    return _fresh(cancelled.pk)
