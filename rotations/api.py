"""JSON API for scripts: /api/rotations/... (camelCase keys, `{code, message}` errors).

The schemas check each value's type and refuse unknown keys; the rules about values are the
service's (rotations.services, its errors name the field). Apps above add keys to a rotation's JSON
(rotations.hooks.register_json_field, e.g. notifications' `slack`) with their schemas."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_time
from ninja import Query, Status
from pydantic import Field, WithJsonSchema, create_model

from accounts.actor import Actor
from accounts.api import (
    MAX_ID,
    ApiError,
    DateTime,
    Error,
    Id,
    Schema,
    Text,
    WholeNumber,
    auth,
    email,
    iso,
    moment,
    require_scope,
    shaped,
    whole_number,
)
from accounts.api import router as api_router
from accounts.text import SPACE, line_break_problem, one_line_pattern

from . import hooks, selectors, services
from .models import NOT_A_TIME_ZONE, TIME_ZONES, Override, Rotation, Skip

router = api_router(
    "Rotations", "Rotations on a native cadence or following a PagerDuty schedule. Members read; admins write."
)

MAX_RANGE = dt.timedelta(days=93)


# -- what a rotation looks like -------------------------------------------------------------------


class Cadence(Schema):
    every: int
    unit: str
    handoff_time: str
    start_date: Annotated[str, Field(json_schema_extra={"format": "date"})]
    read_only: bool = Field(description="True while bound to a PagerDuty schedule.")


class RotationMember(Schema):
    id: int
    name: str
    email: str


class PagerDutyBinding(Schema):
    schedule_id: str
    schedule_name: str | None
    kind: str | None
    deleted: bool


class SyncState(Schema):
    state: Literal["idle", "running"]
    last_sync_at: DateTime | None
    ok: bool | None
    error: str | None


class RotationCore(Schema):
    id: int
    name: str
    description: str
    time_zone: str = Field(examples=["Europe/London"])
    cadence: Cadence
    members: list[RotationMember]
    pagerduty_schedule_id: str | None
    pagerduty: PagerDutyBinding | None
    sync: SyncState


def _one_line(*, needed: str, what: str, max_length: int | None = None) -> Any:
    """Text a person types on one line, trimmed (accounts.text): `needed` when there is nothing but
    spaces, line_break_problem() for a line break, and at most `max_length` characters once trimmed."""
    pattern = one_line_pattern(max_length)

    def check(value: str) -> str | None:
        if re.fullmatch(pattern[1:-1], value):
            return None
        if not value.strip():
            return needed
        if problem := line_break_problem(value.strip(), what=what):
            return problem
        return f"{what} can be at most {max_length} characters."

    return shaped({"pattern": pattern, "minLength": 1}, check)


MemberName = _one_line(needed="Each member needs a name.", what="A member's name")  # longer: cut at 200


class MemberInput(Schema):
    name: MemberName  # type: ignore[valid-type]
    email: email("“{value}” is not an email address.")  # type: ignore[valid-type]


def _time_zone_problem(value: str) -> str | None:
    return None if value in TIME_ZONES else NOT_A_TIME_ZONE.format(value=value)


HANDOFF_TIME = r"^([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
HandoffTime = shaped({"pattern": HANDOFF_TIME}, "{name} must be HH:MM.")


START_DATE = r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$"


def _start_date_problem(value: str) -> str | None:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) or _parse(parse_date, value) is None:
        return "{name} must be YYYY-MM-DD."
    if not re.fullmatch(START_DATE[1:-1], value):
        low, high = services.FIRST_TURN_YEARS
        return f"The first turn must be between the years {low} and {high}."
    return None


StartDate = shaped({"format": "date", "pattern": START_DATE}, _start_date_problem)


class CadenceInput(Schema):
    every: (
        shaped(  # type: ignore[valid-type]
            {"minimum": 1, "maximum": 365},
            lambda n: None if 1 <= n <= 365 else "The cadence count must be a whole number from 1 to 365.",
            base=WholeNumber,
        )
        | None
    ) = None
    unit: Annotated[Text, Field(json_schema_extra={"enum": ["days", "weeks"]})] | None = None
    handoff_time: (
        Annotated[HandoffTime, Field(examples=["09:00"], description="HH:MM in the rotation's time zone.")] | None  # type: ignore[valid-type]
    ) = None
    start_date: StartDate | None = None  # type: ignore[valid-type]


Name = _one_line(needed="A rotation needs a name.", what="A rotation name", max_length=services.NAME_MAX)
TimeZone = Annotated[  # type: ignore[valid-type]
    shaped({"enum": TIME_ZONES}, _time_zone_problem, code="invalid_time_zone"), Field(examples=["Europe/London"])
]
TIME_ZONE = "An IANA time zone."
SCHEDULE_ID = f"^(?:{SPACE}*{services.SCHEDULE_ID}{SPACE}*)?$"  # empty: none
ScheduleId = shaped({"pattern": SCHEDULE_ID}, "That is not a PagerDuty schedule id.", code="invalid_schedule")
Members = Annotated[list[MemberInput], Field(description="In round-robin order.")]


class RotationCreateCore(Schema):
    name: Name  # type: ignore[valid-type]
    time_zone: TimeZone = Field(description=TIME_ZONE)  # type: ignore[valid-type]
    description: Text | None = None
    members: Members | None = None
    cadence: CadenceInput | None = None
    pagerduty_schedule_id: ScheduleId | None = Field(None, description="Binds to this schedule.")  # type: ignore[valid-type]


class RotationUpdateCore(Schema):
    name: Name = None  # type: ignore[valid-type]
    time_zone: TimeZone = Field(None, description=TIME_ZONE)  # type: ignore[valid-type]
    description: Text | None = None
    members: Members | None = None
    cadence: CadenceInput | None = None
    pagerduty_schedule_id: ScheduleId | None = Field(  # type: ignore[valid-type]
        None, description="A schedule id binds; null (or empty) unbinds."
    )


def _with_hook_fields(name: str, base: type[Schema], *, write: bool) -> Any:
    """`base` with the keys apps above add to a rotation (their schemas; their own code checks them)."""
    fields: dict[str, Any] = {
        extra.key: (
            Annotated[Any, WithJsonSchema((extra.write_schema if write else extra.schema) or {})],
            Field(None, alias=extra.key) if write else Field(alias=extra.key),
        )
        for extra in hooks.json_fields()
        if not write or extra.write is not None
    }
    return create_model(name, __base__=base, **fields)


RotationOut = _with_hook_fields("Rotation", RotationCore, write=False)
RotationCreate = RotationCreateCore
RotationUpdate = _with_hook_fields("RotationUpdate", RotationUpdateCore, write=True)


class RotationList(Schema):
    rotations: list[RotationOut]  # type: ignore[valid-type]


class SyncRunning(Schema):
    state: Literal["running"]


class SyncStarted(Schema):
    id: int
    sync: SyncRunning


class Person(Schema):
    name: str
    email: str | None
    member_id: int | None
    pagerduty_user_id: str | None
    matched: bool = Field(description="False for a PagerDuty user who is not a rotation member.")


class OnCallNow(Schema):
    at: DateTime
    gap: bool
    on_call: list[Person]
    since: DateTime | None
    until: DateTime | None
    schedule_deleted: bool


class Shift(Schema):
    start: DateTime
    end: DateTime
    gap: bool
    override: bool
    person: Person | None


class ShiftList(Schema):
    since: DateTime
    until: DateTime
    time_zone: str
    shifts: list[Shift]


Moment = Annotated[Text, Field(json_schema_extra={"format": "date-time"}, examples=["2026-03-02T09:00:00+01:00"])]


class OverrideOut(Schema):
    id: int
    member: RotationMember
    start: DateTime
    end: DateTime


class OverrideList(Schema):
    overrides: list[OverrideOut] = Field(description="Not ended yet, soonest first.")


class OverrideCreate(Schema):
    member_id: whole_number(ge=1, le=MAX_ID) = Field(description="Who covers: a member of this rotation.")  # type: ignore[valid-type]
    start: Moment = Field(description="With its UTC offset.")
    end: Moment = Field(description="With its UTC offset; after start.")


class SkipOut(Schema):
    id: int
    turn_start: DateTime


class SkipList(Schema):
    skips: list[SkipOut] = Field(description="Every skipped turn, in turn order: each moves the order on by one.")


class SkipCreate(Schema):
    turn_start: Moment = Field(description="When the turn to skip starts (a shift's `start`), with its UTC offset.")


class ShiftWindow(Schema):
    since: Annotated[Text, Field(json_schema_extra={"format": "date-time"})] | None = None
    until: Annotated[Text, Field(json_schema_extra={"format": "date-time"})] | None = None


def rotation_json(rotation: Rotation) -> dict:
    return _core_json(rotation) | {f.key: f.read(rotation) for f in hooks.json_fields()}  # apps above add keys


def rotations_json(rotations: list[Rotation]) -> list[dict]:
    """Many rotations' JSON: each app's key read in one batch for them all (no queries per rotation)."""
    extras = {f.key: f.values(rotations) for f in hooks.json_fields()}
    return [_core_json(r) | {key: values[r.pk] for key, values in extras.items()} for r in rotations]


def _core_json(rotation: Rotation) -> dict:
    return {
        "id": rotation.pk,
        "name": rotation.name,
        "description": rotation.description,
        "timeZone": rotation.time_zone,
        "cadence": {
            "every": rotation.cadence_count,
            "unit": rotation.cadence_unit,
            "handoffTime": rotation.handoff_time.strftime("%H:%M"),
            "startDate": rotation.start_date.isoformat(),
            "readOnly": rotation.is_bound,
        },
        "members": [{"id": m.pk, "name": m.name, "email": m.email} for m in rotation.members.all()],
        "pagerdutyScheduleId": rotation.pagerduty_schedule_id or None,
        "pagerduty": None
        if not rotation.is_bound
        else {
            "scheduleId": rotation.pagerduty_schedule_id,
            "scheduleName": rotation.pagerduty_schedule_name or None,
            "kind": rotation.pagerduty_schedule_kind or None,
            "deleted": rotation.pagerduty_schedule_missing,
        },
        "sync": {
            "state": "running" if rotation.sync_running else "idle",
            "lastSyncAt": rotation.last_sync_at.isoformat() if rotation.last_sync_at else None,
            "ok": rotation.last_sync_ok,
            "error": rotation.last_sync_error or None,
        },
    }


# The service's field names (RotationError.field) as the JSON body spells them (nested keys dotted).
JSON_FIELDS = {
    "name": "name",
    "description": "description",
    "time_zone": "timeZone",
    "members": "members",
    "cadence_count": "cadence.every",
    "cadence_unit": "cadence.unit",
    "handoff_time": "cadence.handoffTime",
    "start_date": "cadence.startDate",
    "schedule_id": "pagerdutyScheduleId",
    "member": "memberId",
    "start": "start",
    "end": "end",
    "turn_start": "turnStart",
}
STATUS = {  # else 400
    "not_found": 404,
    "not_a_member": 409,
    "not_a_turn": 409,
    "turn_over": 409,
    "in_the_past": 409,
    "invalid_range": 422,
    "cadence_read_only": 409,
    "not_connected": 409,
    "not_bound": 409,
    "pagerduty_action_needed": 409,
}


def _error(error: services.RotationError) -> ApiError:
    """The service's refusal as JSON: `{code, message}`, plus `errors: {jsonField: [message]}` when
    the rule is about one field of the body."""
    return ApiError(STATUS.get(error.code, 400), error.code, error.message, field=JSON_FIELDS.get(error.field or ""))


def _parse(parser, value: str):
    """parser(value), or None when the value is not one (Django's parsers raise ValueError for a
    well-formed but impossible date or time, such as 2026-02-30 or 25:00)."""
    try:
        return parser(value)
    except ValueError:
        return None


def _cadence_changes(cadence: CadenceInput | None) -> dict:
    if cadence is None:
        return {}
    changes = {
        "cadence_count": cadence.every,
        "cadence_unit": cadence.unit,
        # HandoffTime's pattern is a time parse_time reads; StartDate has checked that parse_date reads it.
        "handoff_time": cadence.handoff_time and parse_time(cadence.handoff_time),
        "start_date": cadence.start_date and parse_date(cadence.start_date),
    }
    return {field: value for field, value in changes.items() if value is not None}


def _members(members: list[MemberInput] | None) -> list[tuple[str, str]]:
    return [(m.name, m.email) for m in members or []]


def rotation_of(request, rotation_id: int) -> Rotation:
    """The request's organization's rotation, with what its JSON and timeline read (404 when not there)."""
    return selectors.rotation_for(request.organization, rotation_id, now=timezone.now())


CONFLICT = (
    " 409: the cadence is read-only while the rotation follows a PagerDuty schedule (`cadence_read_only`), or "
    "binding a schedule needs a PagerDuty connection (`not_connected`), or Slack refused `slack.createUserGroup` "
    "(`slack_refused`); 503 `slack_unavailable`: Slack could not be reached to create it."
)


@router.get("/", response=RotationList, auth=auth("read"), operation_id="listRotations", summary="List rotations")
def rotations(request):
    """Members, cadence, PagerDuty binding and last sync of every rotation."""
    found = selectors.rotations_for(request.organization, now=timezone.now())
    return {"rotations": rotations_json(list(found))}


@router.post(
    "/",
    response={201: RotationOut, 409: Error},
    auth=auth("write"),
    operation_id="createRotation",
    summary="Create a rotation",
)
def create(request, payload: RotationCreate):
    """A `pagerdutyScheduleId` binds it to that schedule and enqueues a sync (admins); binding needs a
    PagerDuty connection (409 `not_connected`)."""
    with ApiError.instead_of(services.RotationError, _error):
        rotation = services.rotation_create(
            organization=request.organization,
            name=payload.name,
            time_zone=payload.time_zone,
            description=payload.description or "",
            members=_members(payload.members),
            pagerduty_schedule_id=payload.pagerduty_schedule_id or "",
            **_cadence_changes(payload.cadence),
        )
    return Status(201, rotation_json(rotation_of(request, rotation.pk)))


@router.get(
    "/{int:rotation_id}/", response=RotationOut, auth=auth("read"), operation_id="getRotation", summary="One rotation"
)
def rotation(request, rotation_id: Id):
    return rotation_json(rotation_of(request, rotation_id))


@router.patch(
    "/{int:rotation_id}/",
    response={200: RotationOut, 409: Error, 503: Error},
    auth=auth("write"),
    operation_id="updateRotation",
    summary="Update a rotation",
    description="`members` replaces the list in round-robin order (people kept by email); a `pagerdutyScheduleId` "
    "binds, `null` unbinds (admins; a write token). `slack` changes a whole Slack workspace (which user group "
    "Roster rewrites, who is always in it, where it posts): it needs an admin token (else 403 "
    "`insufficient_scope`, `requiredScope: admin`)." + CONFLICT,
)
def update(request, rotation_id: Id, payload: RotationUpdate):  # type: ignore[valid-type]
    found = rotation_of(request, rotation_id)
    sent = payload.model_fields_set  # type: ignore[attr-defined]
    for extra in hooks.json_fields():
        if extra.key in sent:
            require_scope(request, extra.write_scope)  # before anything is read or changed
    changes = _cadence_changes(payload.cadence)  # type: ignore[attr-defined]
    for field in ("name", "description", "time_zone"):
        if field in sent and getattr(payload, field) is not None:
            changes[field] = getattr(payload, field)
    with transaction.atomic(), ApiError.instead_of(services.RotationError, _error):  # refused: nothing changes
        if "pagerduty_schedule_id" in sent:
            schedule_id = payload.pagerduty_schedule_id  # type: ignore[attr-defined]
            if schedule_id:
                services.rotation_bind(rotation=found, schedule_id=schedule_id)
            elif found.is_bound:
                services.rotation_unbind(rotation=found)
            found = rotation_of(request, rotation_id)
        if payload.members is not None:  # type: ignore[attr-defined]
            services.members_set(rotation=found, members=_members(payload.members))  # type: ignore[attr-defined]
        if changes:
            services.rotation_update(rotation=found, **changes)
        for extra in hooks.json_fields():  # last: Slack is called once the rotation's own changes passed
            if extra.key in sent and extra.write is not None:
                with ApiError.instead_of(hooks.JsonFieldError, ApiError.of):
                    extra.write(found, getattr(payload, extra.key), Actor.of_request(request))
    return rotation_json(rotation_of(request, rotation_id))


@router.delete(
    "/{int:rotation_id}/",
    response={204: None},
    auth=auth("write"),
    operation_id="deleteRotation",
    summary="Delete a rotation",
)
def delete(request, rotation_id: Id):
    services.rotation_delete(rotation=rotation_of(request, rotation_id))
    return HttpResponse(status=204)


@router.post(
    "/{int:rotation_id}/sync",
    response={202: SyncStarted, 409: Error},
    auth=auth("write"),
    operation_id="syncRotation",
    summary="Sync from PagerDuty now",
)
def sync(request, rotation_id: Id):
    """Enqueues a sync of the bound schedule (admins), as the page's Sync now does; a rotation that follows
    no schedule is a 409 `not_bound`; PagerDuty not connected a 409 `not_connected`; credentials PagerDuty
    refused (an admin must fix them in Settings → Integrations) a 409 `pagerduty_action_needed`."""
    found = rotation_of(request, rotation_id)
    with ApiError.instead_of(services.RotationError, _error):
        services.rotation_sync_now(rotation=found)
    return Status(202, {"id": found.pk, "sync": {"state": "running"}})


@router.get(
    "/{int:rotation_id}/current",
    response=OnCallNow,
    auth=auth("read"),
    operation_id="getOnCallNow",
    summary="Who is on call now",
)
def current(request, rotation_id: Id):
    """`gap: true` when nobody is."""
    found = rotation_of(request, rotation_id)
    now = timezone.now()
    on_call = selectors.on_call_now(found, now=now)
    return {
        "at": now.isoformat(),
        "gap": on_call.is_gap,
        "onCall": [selectors.person_json(p) for p in on_call.people],
        "since": on_call.since.isoformat() if on_call.since else None,
        "until": on_call.until.isoformat() if on_call.until else None,
        "scheduleDeleted": found.pagerduty_schedule_missing,
    }


def _moment(name: str, raw: str | None, default: dt.datetime) -> dt.datetime:
    """A query's date-time (`+` arrives as a space), its offset kept for the answer; not accounts.api.moment,
    which reads a body's into UTC and names the field in `errors`."""
    if raw is None:  # left out (an empty value is not a date-time: refused below)
        return default
    parsed = _parse(parse_datetime, raw.replace(" ", "+"))
    if parsed is None:
        raise ApiError(400, "invalid_request", f"{name} must be an ISO 8601 date-time.")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)


@router.get(
    "/{int:rotation_id}/shifts",
    response={200: ShiftList, 422: Error},
    auth=auth("read"),
    operation_id="listShifts",
    summary="Shifts in a window",
)
def shifts(request, rotation_id: Id, window: Query[ShiftWindow]):
    """Shifts between two ISO 8601 times, gaps included (default: the next 14 days; at most 93 days).
    Two date-times that make no window (`until` not after `since`, more than 93 days apart, or past
    the year 9999) are a 422 `invalid_range`."""
    now = timezone.now()
    since = _moment("since", window.since, now)
    try:
        until = _moment("until", window.until, since + dt.timedelta(days=selectors.UPCOMING_DAYS))
        if until <= since or until - since > MAX_RANGE:
            raise ApiError(422, "invalid_range", "until must be after since, at most 93 days later.")
        found = selectors.rotation_for(request.organization, rotation_id, now=since, until=until)
        slots = selectors.timeline(found, since=since, until=until)
    except OverflowError as error:  # a window at the very end of the calendar (year 9999)
        raise ApiError(422, "invalid_range", "since and until must be dates before the year 9999.") from error
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "timeZone": found.time_zone,
        "shifts": selectors.shift_rows(slots),
    }


def override_json(override: Override) -> dict:
    member = override.member
    return {
        "id": override.pk,
        "member": {"id": member.pk, "name": member.name, "email": member.email},
        "start": iso(override.start),
        "end": iso(override.end),
    }


@router.get(
    "/{int:rotation_id}/overrides",
    response=OverrideList,
    auth=auth("read"),
    operation_id="listOverrides",
    summary="List overrides",
)
def overrides(request, rotation_id: Id):
    found = rotation_of(request, rotation_id).overrides.filter(end__gt=timezone.now()).select_related("member")
    return {"overrides": [override_json(o) for o in found.order_by("start")]}


@router.post(
    "/{int:rotation_id}/overrides",
    response={201: OverrideOut, 409: Error, 422: Error},
    auth=auth("write"),
    operation_id="createOverride",
    summary="Add an override",
)
def override_create(request, rotation_id: Id, payload: OverrideCreate):
    """`memberId` is on call from `start` to `end` instead of whoever the order gives it to (admins). 409
    `cadence_read_only`: the rotation follows a PagerDuty schedule (add overrides there); 409 `not_a_member`:
    `memberId` is not a member of this rotation; 409 `in_the_past`: `end` is not later than now (it would
    rewrite who was on call); 422 `invalid_range`: `end` is not after `start`, or they fall
    outside the years 1900 to 2999."""
    found = rotation_of(request, rotation_id)
    start = moment("start", payload.start, offset_required=True)
    end = moment("end", payload.end, offset_required=True)
    with ApiError.instead_of(services.RotationError, _error):
        made = services.override_create(rotation=found, member_id=payload.member_id, start=start, end=end)
    return Status(201, override_json(made))


@router.delete(
    "/{int:rotation_id}/overrides/{int:override_id}",
    response={204: None},
    auth=auth("write"),
    operation_id="deleteOverride",
    summary="Remove an override",
)
def override_delete(request, rotation_id: Id, override_id: Id):
    """The time goes back to whoever the order gives it to (admins). 404 `not_found`: it was already removed."""
    if not services.override_delete(rotation=rotation_of(request, rotation_id), override_id=override_id):
        raise ApiError(404, "not_found", services.OVERRIDE_GONE)
    return HttpResponse(status=204)


def skip_json(skip: Skip) -> dict:
    return {"id": skip.pk, "turnStart": iso(skip.turn_start)}


@router.get(
    "/{int:rotation_id}/skips", response=SkipList, auth=auth("read"), operation_id="listSkips", summary="List skips"
)
def skips(request, rotation_id: Id):
    return {"skips": [skip_json(s) for s in rotation_of(request, rotation_id).skips.all()]}


@router.post(
    "/{int:rotation_id}/skips",
    response={201: SkipOut, 409: Error},
    auth=auth("write"),
    operation_id="createSkip",
    summary="Skip a turn",
)
def skip_create(request, rotation_id: Id, payload: SkipCreate):
    """The turn goes to the next person and the order continues from there (admins); skipping a skipped turn
    again changes nothing. 409 `cadence_read_only`: the rotation follows a PagerDuty schedule; 409 `not_a_turn`:
    `turnStart` is not when a turn of this rotation starts; 409 `turn_over`: that turn has ended."""
    found = rotation_of(request, rotation_id)
    turn_start = moment("turnStart", payload.turn_start, offset_required=True)
    with ApiError.instead_of(services.RotationError, _error):
        made = services.skip_create(rotation=found, turn_start=turn_start)
    return Status(201, skip_json(made))


@router.delete(
    "/{int:rotation_id}/skips/{int:skip_id}",
    response={204: None},
    auth=auth("write"),
    operation_id="deleteSkip",
    summary="Undo a skip",
)
def skip_delete(request, rotation_id: Id, skip_id: Id):
    """The turn goes back to its person and the order after it moves back (admins). 404 `not_found`: it was
    already undone."""
    if not services.skip_delete(rotation=rotation_of(request, rotation_id), skip_id=skip_id):
        raise ApiError(404, "not_found", services.SKIP_GONE)
    return HttpResponse(status=204)
