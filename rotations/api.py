"""JSON API for scripts: /api/rotations/... (camelCase keys, `{code, message}` errors)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime, parse_time

from accounts.actor import Actor
from accounts.api import ApiError, api_view, json_body, require_scope

from . import hooks, selectors, services
from .models import Rotation

MAX_RANGE = dt.timedelta(days=93)
WRITE_METHODS = ("POST", "PATCH", "DELETE")


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


# The service's field names (RotationError.field) as the JSON body spells them.
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
}


def _error(error: services.RotationError) -> ApiError:
    """The service's refusal as JSON: `{code, message}`, plus `errors: {jsonField: [message]}` when
    the rule is about one field of the body."""
    status = 404 if error.code == "not_found" else 409 if error.code in ("cadence_read_only", "not_connected") else 400
    field = JSON_FIELDS.get(error.field or "")
    return ApiError(status, error.code, error.message, extra={"errors": {field: [error.message]}} if field else None)


def _parse(parser, value: str):
    """parser(value), or None when the value is not one (Django's parsers raise ValueError for a
    well-formed but impossible date or time, such as 2026-02-30 or 25:00)."""
    try:
        return parser(value)
    except ValueError:
        return None


def _cadence_changes(data: dict) -> dict:
    cadence = data.get("cadence")
    if cadence is None:
        return {}
    if not isinstance(cadence, dict):
        raise ApiError(400, "invalid_request", "cadence must be an object {every, unit, handoffTime, startDate}.")
    changes = {}
    if "every" in cadence:
        if not isinstance(cadence["every"], int) or isinstance(cadence["every"], bool):
            raise ApiError(400, "invalid_request", "cadence.every must be a whole number.")
        changes["cadence_count"] = cadence["every"]
    if "unit" in cadence:
        changes["cadence_unit"] = cadence["unit"]
    if "handoffTime" in cadence:
        parsed = _parse(parse_time, str(cadence["handoffTime"]))
        if parsed is None:
            raise ApiError(400, "invalid_request", "cadence.handoffTime must be HH:MM.")
        changes["handoff_time"] = parsed
    if "startDate" in cadence:
        parsed = _parse(parse_date, str(cadence["startDate"]))
        if parsed is None:
            raise ApiError(400, "invalid_request", "cadence.startDate must be YYYY-MM-DD.")
        changes["start_date"] = parsed
    return changes


def _members(data: dict) -> list[tuple[str, str]]:
    members = data.get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise ApiError(400, "invalid_request", 'members must be a list of {"name", "email"}.')
    return [(str(m.get("name") or ""), str(m.get("email") or "")) for m in members]


def _strings(data: dict, *names: str) -> dict:
    for name in names:
        if name in data and not isinstance(data[name], str):
            raise ApiError(400, "invalid_request", f"{name} must be a string.")
    return data


def _get(request, rotation_id: int) -> Rotation:
    return selectors.rotation_for(request.organization, rotation_id, now=timezone.now())


@api_view(["GET", "POST"], admin_methods=WRITE_METHODS, scopes={"GET": "read", "POST": "write"})
def rotations(request):
    if request.method == "GET":
        found = selectors.rotations_for(request.organization, now=timezone.now())
        return JsonResponse({"rotations": rotations_json(list(found))})
    data = _strings(json_body(request), "name", "timeZone", "description", "pagerdutyScheduleId")
    if not data.get("name") or not data.get("timeZone"):
        raise ApiError(400, "invalid_request", 'Send at least {"name", "timeZone"}.')
    try:
        rotation = services.rotation_create(
            organization=request.organization,
            name=data["name"],
            time_zone=data["timeZone"],
            description=data.get("description") or "",
            members=_members(data),
            pagerduty_schedule_id=data.get("pagerdutyScheduleId") or "",
            **_cadence_changes(data),
        )
    except services.RotationError as error:
        raise _error(error) from error
    return JsonResponse(rotation_json(_get(request, rotation.pk)), status=201)


@api_view(
    ["GET", "PATCH", "DELETE"], admin_methods=WRITE_METHODS, scopes={"GET": "read", "PATCH": "write", "DELETE": "write"}
)
def rotation(request, rotation_id: int):
    found = _get(request, rotation_id)
    if request.method == "GET":
        return JsonResponse(rotation_json(found))
    if request.method == "DELETE":
        services.rotation_delete(rotation=found)
        return HttpResponse(status=204)
    data = json_body(request)
    for extra in hooks.json_fields():
        if extra.key in data:
            require_scope(request, extra.write_scope)  # before anything is read or changed
    _strings(data, "name", "timeZone", "description")
    changes = {**_cadence_changes(data)}
    for extra in hooks.json_fields():
        if extra.key in data and extra.write is not None:
            try:
                extra.write(found, data[extra.key], Actor.of_request(request))
            except hooks.JsonFieldError as refused:
                extra_errors = {"errors": {refused.field: [refused.message]}}
                raise ApiError(refused.status, refused.code, refused.message, extra=extra_errors) from refused
    for key, field in (("name", "name"), ("description", "description"), ("timeZone", "time_zone")):
        if key in data:
            changes[field] = data[key]
    try:
        if "pagerdutyScheduleId" in data:
            schedule_id = data["pagerdutyScheduleId"]
            if schedule_id and not isinstance(schedule_id, str):
                raise ApiError(400, "invalid_request", "pagerdutyScheduleId must be a string or null.")
            if schedule_id:
                services.rotation_bind(rotation=found, schedule_id=schedule_id)
            elif found.is_bound:
                services.rotation_unbind(rotation=found)
            found = _get(request, rotation_id)
        if "members" in data:
            services.members_set(rotation=found, members=_members(data))
        if changes:
            services.rotation_update(rotation=found, **changes)
    except services.RotationError as error:
        raise _error(error) from error
    return JsonResponse(rotation_json(_get(request, rotation_id)))


@api_view(["POST"], admin_methods=WRITE_METHODS, scopes={"POST": "write"})
def sync(request, rotation_id: int):
    found = _get(request, rotation_id)
    try:
        services.rotation_request_sync(rotation=found)
    except services.RotationError as error:
        raise _error(error) from error
    return JsonResponse({"id": found.pk, "sync": {"state": "running"}}, status=202)


@api_view(["GET"], admin_methods=(), scopes={"GET": "read"})
def current(request, rotation_id: int):
    found = _get(request, rotation_id)
    now = timezone.now()
    on_call = selectors.on_call_now(found, now=now)
    return JsonResponse(
        {
            "at": now.isoformat(),
            "gap": on_call.is_gap,
            "onCall": [selectors.person_json(p) for p in on_call.people],
            "since": on_call.since.isoformat() if on_call.since else None,
            "until": on_call.until.isoformat() if on_call.until else None,
            "scheduleDeleted": found.pagerduty_schedule_missing,
        }
    )


def _moment(request, name: str, default: dt.datetime) -> dt.datetime:
    raw = request.GET.get(name)
    if not raw:
        return default
    parsed = _parse(parse_datetime, raw.replace(" ", "+"))
    if parsed is None:
        raise ApiError(400, "invalid_request", f"{name} must be an ISO 8601 date-time.")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)


@api_view(["GET"], admin_methods=(), scopes={"GET": "read"})
def shifts(request, rotation_id: int):
    now = timezone.now()
    since = _moment(request, "since", now)
    try:
        until = _moment(request, "until", since + dt.timedelta(days=selectors.UPCOMING_DAYS))
        if until <= since or until - since > MAX_RANGE:
            raise ApiError(400, "invalid_range", "until must be after since, at most 93 days later.")
        found = selectors.rotation_for(request.organization, rotation_id, now=since, until=until)
        slots = selectors.timeline(found, since=since, until=until)
    except OverflowError as error:  # a window at the very end of the calendar (year 9999)
        raise ApiError(400, "invalid_range", "since and until must be dates before the year 9999.") from error
    return JsonResponse(
        {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "timeZone": found.time_zone,
            "shifts": selectors.shift_rows(slots),
        }
    )
