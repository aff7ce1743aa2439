"""Rotation business rules: plain functions the views, API, tasks and tests call.

Writes are named `<entity>_<action>` with keyword-only arguments and raise `RotationError` with a
message a person can act on.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from accounts.refusal import Refusal
from accounts.text import line_break_problem

from . import selectors
from .models import Member, Override, Rotation, Shift, Skip, validate_time_zone

CADENCE_FIELDS = ("cadence_unit", "cadence_count", "handoff_time", "start_date")
EDITABLE_FIELDS = ("name", "description", "time_zone", *CADENCE_FIELDS)
SCHEDULE_ID = r"[A-Za-z0-9]{1,40}"  # a PagerDuty schedule id (P1A2B3C)
NAME_MAX: int = Rotation._meta.get_field("name").max_length or 200
MEMBER_EMAIL_MAX: int = Member._meta.get_field("email").max_length or 254
MEMBER_NAME_MAX: int = Member._meta.get_field("name").max_length or 200
FIRST_TURN_YEARS = (1900, 2999)
SKIP_GONE = "That skip was already undone; nothing changed."  # when skip_delete / override_delete return False
OVERRIDE_GONE = "That override was already removed; nothing changed."


class RotationError(Refusal):
    """A rotation rule refused the change; `field` is "name", "time_zone", "cadence_count", "start_date",
    "members", "email", "member", "end", ... (the API names its JSON key)."""


def _clean_member(name: str, email: str) -> tuple[str, str]:
    name, email = (name or "").strip(), (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise RotationError(f"“{email}” is not an email address.", field="email") from exc
    if len(email) > MEMBER_EMAIL_MAX:  # validate_email allows 320; the column holds 254
        raise RotationError(f"An email address can be at most {MEMBER_EMAIL_MAX} characters.", field="email")
    if not name:
        raise RotationError(f"A name is needed for {email}.", field="name")
    if problem := line_break_problem(name, what=f"The name of {email}"):
        raise RotationError(problem, field="name")
    if len(name) > MEMBER_NAME_MAX:
        raise RotationError(f"A name can be at most {MEMBER_NAME_MAX} characters.", field="name")
    return name, email


def _clean_members(members: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """A whole member list (round-robin order): each person valid, each email once."""
    try:
        cleaned = [_clean_member(name, email) for name, email in members]
    except RotationError as error:
        raise RotationError(error.message, error.code, field="members") from error
    emails = [email for _, email in cleaned]
    if len(set(emails)) != len(emails):
        raise RotationError("Each email can be a member only once.", "duplicate_member", field="members")
    return cleaned


def _validate(rotation: Rotation) -> None:
    try:
        validate_time_zone(rotation.time_zone)
    except ValidationError as exc:
        raise RotationError(exc.messages[0], "invalid_time_zone", field="time_zone") from exc
    if not rotation.name.strip():
        raise RotationError("A rotation needs a name.", field="name")
    if len(rotation.name) > NAME_MAX:
        raise RotationError(f"A rotation name can be at most {NAME_MAX} characters.", field="name")
    if problem := line_break_problem(rotation.name, what="A rotation name"):
        raise RotationError(problem, field="name")
    if rotation.cadence_unit not in Rotation.CadenceUnit.values:
        raise RotationError("The cadence is every N days or every N weeks.", field="cadence_unit")
    if not isinstance(rotation.cadence_count, int) or not 1 <= rotation.cadence_count <= 365:
        raise RotationError("The cadence count must be a whole number from 1 to 365.", field="cadence_count")
    if rotation.start_date is None:
        raise RotationError("Choose the day of the first turn.", field="start_date")
    if not FIRST_TURN_YEARS[0] <= rotation.start_date.year <= FIRST_TURN_YEARS[1]:
        # At the calendar's edges the first handoff in UTC is before year 1 or after 9999: every
        # page showing the rotation, and the handoff beat for all organizations, would overflow.
        raise RotationError(
            f"The first turn must be between the years {FIRST_TURN_YEARS[0]} and {FIRST_TURN_YEARS[1]}.",
            field="start_date",
        )


@transaction.atomic
def rotation_create(
    *,
    organization,
    name: str,
    time_zone: str,
    description: str = "",
    members: Sequence[tuple[str, str]] = (),
    cadence_unit: str = Rotation.CadenceUnit.WEEKS,
    cadence_count: int = 1,
    handoff_time: dt.time = dt.time(9, 0),
    start_date: dt.date | None = None,
    pagerduty_schedule_id: str = "",
    pagerduty_schedule_name: str = "",
    pagerduty_schedule_kind: str = "",
) -> Rotation:
    rotation = Rotation(
        organization=organization,
        name=(name or "").strip(),
        description=description or "",
        time_zone=(time_zone or "").strip(),
        cadence_unit=cadence_unit,
        cadence_count=cadence_count,
        handoff_time=handoff_time,
        start_date=start_date or timezone.localdate(timezone=_zone_or_utc(time_zone)),
    )
    _validate(rotation)
    rotation.save()
    cleaned = _clean_members(members)
    Member.objects.bulk_create(
        [Member(rotation=rotation, name=n, email=e, position=i) for i, (n, e) in enumerate(cleaned)]
    )
    if pagerduty_schedule_id:
        rotation_bind(
            rotation=rotation,
            schedule_id=pagerduty_schedule_id,
            schedule_name=pagerduty_schedule_name,
            schedule_kind=pagerduty_schedule_kind,
        )
    return rotation


def _zone_or_utc(name: str):
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return dt.UTC


@transaction.atomic
def rotation_update(*, rotation: Rotation, **changes) -> Rotation:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise RotationError(f"Cannot change: {', '.join(sorted(unknown))}.")
    if rotation.is_bound and any(f in changes and changes[f] != getattr(rotation, f) for f in CADENCE_FIELDS):
        raise RotationError(
            "This rotation follows a PagerDuty schedule: its cadence is read-only until you unbind it.",
            "cadence_read_only",
        )
    for field, value in changes.items():
        setattr(rotation, field, value.strip() if isinstance(value, str) and field != "description" else value)
    _validate(rotation)
    rotation.save()
    return rotation


def _schedule_changed(rotation: Rotation) -> None:
    """Bump `updated_at` when who is on call changes without the rotation row being saved (a member,
    skip or override removed, members reordered): calendar feeds derive SEQUENCE from it, which
    must only grow."""
    Rotation.objects.filter(pk=rotation.pk).update(updated_at=timezone.now())


def rotation_delete(*, rotation: Rotation) -> None:
    rotation.delete()


@transaction.atomic
def member_add(*, rotation: Rotation, name: str, email: str) -> Member:
    name, email = _clean_member(name, email)
    position = (rotation.members.aggregate(m=Max("position"))["m"] or -1) + 1
    try:
        with transaction.atomic():
            return _new_member(rotation, name, email, position)
    except IntegrityError as exc:
        raise RotationError(
            f"{email} is already a member of this rotation.", "duplicate_member", field="email"
        ) from exc


def _new_member(rotation: Rotation, name: str, email: str, position: int) -> Member:
    """A new member; the shifts synced before they were one now show them as a member."""
    member = Member.objects.create(rotation=rotation, name=name, email=email, position=position)
    Shift.objects.filter(rotation=rotation, member__isnull=True, person_email__iexact=email).update(member=member)
    return member


def member_remove(*, rotation: Rotation, member_id: int) -> None:
    deleted, _ = Member.objects.filter(rotation=rotation, pk=member_id).delete()
    if not deleted:
        raise RotationError("No such member.", "not_found")
    _schedule_changed(rotation)


@transaction.atomic
def members_set(*, rotation: Rotation, members: list[tuple[str, str]]) -> list[Member]:
    """Make the members exactly `members`, in that order (the round-robin order). People already
    in the rotation are kept by email (their past shifts stay theirs); the others are removed."""
    cleaned = _clean_members(members)
    emails = [email for _, email in cleaned]
    rotation.members.exclude(email__in=emails).delete()
    existing = {m.email: m for m in rotation.members.all()}
    kept = []
    for position, (name, email) in enumerate(cleaned):
        member = existing.get(email)
        if member is None:
            member = _new_member(rotation, name, email, position)
        elif (member.name, member.position) != (name, position):
            member.name, member.position = name, position
            member.save(update_fields=["name", "position"])
        kept.append(member)
    _schedule_changed(rotation)
    return kept


def _native_only(rotation: Rotation, what: str) -> None:
    if rotation.is_bound:
        raise RotationError(
            f"This rotation follows a PagerDuty schedule: {what} in PagerDuty, or unbind it first.", "cadence_read_only"
        )


def skip_create(*, rotation: Rotation, turn_start: dt.datetime) -> Skip:
    _native_only(rotation, "skip turns")
    if not FIRST_TURN_YEARS[0] <= turn_start.year <= FIRST_TURN_YEARS[1]:
        # Every page and the handoff beat compute the turn of each skip: year 9999 would overflow.
        raise RotationError("That is not a turn of this rotation.", "not_a_turn", field="turn_start")
    rule = selectors.cadence_rule(rotation)
    k = rule.turn_at(turn_start)
    if k < 0 or rule.turn_start(k) != turn_start:
        raise RotationError("That is not a turn of this rotation.", "not_a_turn", field="turn_start")
    if rule.turn_start(k + 1) <= timezone.now():  # skipping it would change who was on call since
        raise RotationError("That turn is over: skip the current turn or a later one.", "turn_over", field="turn_start")
    skip, _ = Skip.objects.get_or_create(rotation=rotation, turn_start=turn_start)
    return skip


def skip_delete(*, rotation: Rotation, skip_id: int) -> bool:
    """Undo a skip: the turn goes back to its person and the order after it moves back. False when it was gone."""
    deleted, _ = Skip.objects.filter(rotation=rotation, pk=skip_id).delete()
    _schedule_changed(rotation)
    return bool(deleted)


def override_create(*, rotation: Rotation, member_id: int, start: dt.datetime, end: dt.datetime) -> Override:
    _native_only(rotation, "add overrides")
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)  # in one zone Python compares wall times
    if end <= start:
        raise RotationError("An override must end after it starts.", "invalid_range", field="end")
    if end <= timezone.now():  # it would rewrite who was on call, as skipping a turn that is over would
        raise RotationError("That time is over: an override must end later than now.", "in_the_past", field="end")
    if not (FIRST_TURN_YEARS[0] <= start.year and end.year <= FIRST_TURN_YEARS[1]):
        raise RotationError(
            f"An override must fall between the years {FIRST_TURN_YEARS[0]} and {FIRST_TURN_YEARS[1]}.",
            "invalid_range",
            field="start",
        )
    member = rotation.members.filter(pk=member_id).first()
    if member is None:
        raise RotationError("Choose a member of this rotation.", "not_a_member", field="member")
    return Override.objects.create(rotation=rotation, member=member, start=start, end=end)


def override_delete(*, rotation: Rotation, override_id: int) -> bool:
    """False when it was gone."""
    deleted, _ = Override.objects.filter(rotation=rotation, pk=override_id).delete()
    _schedule_changed(rotation)
    return bool(deleted)


# --- PagerDuty binding -------------------------------------------------------------------------


@transaction.atomic
def rotation_bind(
    *, rotation: Rotation, schedule_id: str, schedule_name: str = "", schedule_kind: str = ""
) -> Rotation:
    """Follow a PagerDuty schedule from now on; a sync is enqueued when the transaction commits."""
    from integrations.pagerduty.selectors import get_connection

    schedule_id = (schedule_id or "").strip()
    if not re.fullmatch(SCHEDULE_ID, schedule_id):
        raise RotationError("That is not a PagerDuty schedule id.", "invalid_schedule", field="schedule_id")
    if get_connection(rotation.organization) is None:
        raise RotationError("Connect PagerDuty (Settings → Integrations) before binding a schedule.", "not_connected")
    changed = schedule_id != rotation.pagerduty_schedule_id
    rotation.pagerduty_schedule_id = schedule_id
    rotation.pagerduty_schedule_name = schedule_name[:255] or ("" if changed else rotation.pagerduty_schedule_name)
    rotation.pagerduty_schedule_kind = schedule_kind if schedule_kind in Rotation.ScheduleKind.values else ""
    rotation.previous_pagerduty_schedule_id = rotation.previous_pagerduty_schedule_name = ""
    rotation.previous_pagerduty_schedule_kind = ""
    if changed:
        rotation.pagerduty_schedule_url = ""
        rotation.pagerduty_schedule_missing = False
        rotation.last_sync_at = rotation.last_sync_ok = rotation.last_sync_error_at = None
        rotation.last_sync_error = rotation.last_sync_error_code = ""
        rotation.shifts.all().delete()
    rotation.save()
    rotation_request_sync(rotation=rotation)
    return rotation


def _unbind_fields() -> dict:
    return {
        "pagerduty_schedule_id": "",
        "pagerduty_schedule_name": "",
        "pagerduty_schedule_kind": "",
        "pagerduty_schedule_url": "",
        "pagerduty_schedule_missing": False,
        "sync_state": Rotation.SyncState.IDLE,
        "last_sync_ok": None,
        "last_sync_error": "",
        "last_sync_error_at": None,
        "last_sync_error_code": "",
        "updated_at": timezone.now(),
    }


@transaction.atomic
def rotation_unbind(*, rotation: Rotation) -> Rotation:
    """Back to the native cadence; members stay, PagerDuty's shifts go (handoff history stays)."""
    Shift.objects.filter(rotation=rotation).delete()
    Rotation.objects.filter(pk=rotation.pk).update(**_unbind_fields())
    rotation.refresh_from_db()
    return rotation


def rotations_unbind_all(organization) -> str:
    """Disconnect hook (registry): every bound rotation returns to its cadence, members kept. Each
    keeps the schedule it followed (`previous_pagerduty_schedule_*`) so its page offers to follow it
    again once PagerDuty is connected again."""
    bound = Rotation.objects.filter(organization=organization).exclude(pagerduty_schedule_id="")
    count = bound.count()
    if not count:
        return ""
    Shift.objects.filter(rotation__in=bound).delete()
    bound.update(
        previous_pagerduty_schedule_id=F("pagerduty_schedule_id"),
        previous_pagerduty_schedule_name=F("pagerduty_schedule_name"),
        previous_pagerduty_schedule_kind=F("pagerduty_schedule_kind"),
        **_unbind_fields(),
    )
    return f"{count} rotation{'s' * (count != 1)} returned to {'their' if count != 1 else 'its'} own cadence"


NAMED_IN_WARNING = 10


def disconnect_warning(organization) -> str:
    """Disconnect hook (registry): the line shown in the disconnect confirmation, naming the rotations."""
    names = list(
        Rotation.objects.filter(organization=organization)
        .exclude(pagerduty_schedule_id="")
        .order_by("name", "id")
        .values_list("name", flat=True)
    )
    if not names:
        return ""
    shown = [f"“{name}”" for name in names[:NAMED_IN_WARNING]]
    if len(names) > NAMED_IN_WARNING:
        shown.append(f"{len(names) - NAMED_IN_WARNING} more")
    listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
    if len(names) == 1:
        what = f"{listed} follows a PagerDuty schedule and will return to its own cadence"
    else:
        what = f"{listed} follow PagerDuty schedules and will return to their own cadence"
    return f"{what}; once PagerDuty is connected again, each rotation's page offers to follow its schedule again."


def rotation_follow_again(*, rotation: Rotation) -> Rotation:
    """Follow again the schedule the rotation followed before PagerDuty was disconnected."""
    if rotation.is_bound:
        raise RotationError("This rotation already follows a PagerDuty schedule.", "already_bound")
    if not rotation.previous_pagerduty_schedule_id:
        raise RotationError("This rotation followed no PagerDuty schedule before.", "no_previous_schedule")
    return rotation_bind(
        rotation=rotation,
        schedule_id=rotation.previous_pagerduty_schedule_id,
        schedule_name=rotation.previous_pagerduty_schedule_name,
        schedule_kind=rotation.previous_pagerduty_schedule_kind,
    )


def rotation_request_sync(*, rotation: Rotation) -> None:
    """Mark every rotation bound to the same schedule as syncing, then enqueue one sync for the
    schedule when the transaction commits (the task clears the mark)."""
    if not rotation.is_bound:
        raise RotationError("Only a rotation that follows a PagerDuty schedule syncs.", "not_bound")
    now = timezone.now()
    Rotation.objects.filter(
        organization_id=rotation.organization_id, pagerduty_schedule_id=rotation.pagerduty_schedule_id
    ).update(sync_state=Rotation.SyncState.QUEUED, sync_requested_at=now)
    rotation.sync_state, rotation.sync_requested_at = Rotation.SyncState.QUEUED, now
    org_id, schedule_id = rotation.organization_id, rotation.pagerduty_schedule_id
    transaction.on_commit(lambda: _enqueue_sync(org_id, schedule_id))


def rotation_sync_now(*, rotation: Rotation) -> tuple[str, str]:
    """ "Sync now" (the page and the API): request a sync unless the connection needs an admin first
    (refused), and say honestly what will happen. Returns (level, message): "success" or "warning"."""
    from integrations.pagerduty.selectors import connection_health, get_connection

    health = connection_health(get_connection(rotation.organization), organization=rotation.organization)
    if rotation.is_bound and health.state == "not_connected":  # unbound: rotation_request_sync says `not_bound`
        raise RotationError(
            "Not synced: PagerDuty is not connected (Settings → Integrations). Showing the last known schedule.",
            "not_connected",
        )
    if rotation.is_bound and health.state == "action_needed":
        raise RotationError(
            f"Not synced: PagerDuty needs an admin's attention in Settings → Integrations ({health.message}) "
            "Showing the last known schedule.",
            "pagerduty_action_needed",
        )
    with transaction.atomic():
        rotation_request_sync(rotation=rotation)
    if health.state == "degraded":
        return (
            "warning",
            "Sync queued, but PagerDuty could not be reached at the last attempt: Roster retries automatically "
            "and shows the last known schedule meanwhile.",
        )
    return "success", "Sync requested: the schedule updates in a moment."


def _enqueue_sync(organization_id: int, schedule_id: str) -> None:
    """Queue a schedule sync. If the broker is down, say so on the rotations instead of failing
    the request: the beat sync picks the schedule up again once the broker is back."""
    from config.celery import enqueue_or_log

    from .tasks import sync_schedule

    what = f"a sync of schedule {schedule_id} for organization {organization_id}"
    if not enqueue_or_log(sync_schedule, organization_id, schedule_id, what=what):
        Rotation.objects.filter(organization_id=organization_id, pagerduty_schedule_id=schedule_id).update(
            sync_state=Rotation.SyncState.IDLE,
            last_sync_error_at=timezone.now(),
            last_sync_error="The sync could not be queued (the task queue is unavailable); it will run at the next scheduled sync.",
        )
