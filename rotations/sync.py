"""PagerDuty schedule → a bound rotation's shifts.

One sync fetches one schedule once, for every rotation of the organization bound to it, over a
window computed from a single `now` (PagerDuty renders nothing when since and until differ by
microseconds). Users are looked up by id through a per-organization cache. The stored shifts are
replaced only when they differ from PagerDuty's final schedule, so a second run changes nothing.
Uncovered time is stored as a gap, never as the previous person. A failure keeps the last known
shifts and records the error on each rotation (and, for refused credentials, on the card); an
answer the client cannot read (no final schedule, entries without times or people) is such a
failure, never an empty schedule.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from config import metrics
from config.signals import send_on_commit
from integrations.pagerduty import client as pd
from integrations.pagerduty.budget import BudgetSpent
from integrations.pagerduty.models import PagerDutyConnection
from integrations.pagerduty.selectors import get_connection
from integrations.pagerduty.services import client_for, connection_record_error

from . import cadence, signals
from .models import Handoff, PagerDutyUser, Rotation, Shift, SyncRun
from .selectors import shift_person, timeline, with_window

log = logging.getLogger(__name__)


class SyncBlocked(pd.PagerDutyError):
    """The connection cannot be used right now (missing, invalid, needs re-authorization)."""

    code = "pagerduty_unusable"
    permanent = True


def window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    since = now.astimezone(dt.UTC).replace(microsecond=0)
    return since, since + dt.timedelta(days=settings.ROSTER_SYNC_LOOKAHEAD_DAYS)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- users ------------------------------------------------------------------------------------


@dataclass
class UserDirectory:
    """PagerDuty users by id: memory, then the PagerDutyUser table (fresh for
    ROSTER_PAGERDUTY_USER_CACHE_HOURS), then `GET /users/{id}`. One directory can serve many
    schedules of the same organization."""

    organization_id: int
    known: dict[str, tuple[str, str]] = field(default_factory=dict)
    fetched: int = 0

    def resolve(self, client: pd.PagerDutyClient, ids: set[str], names: dict[str, str], now: dt.datetime) -> dict:
        missing = ids - set(self.known)
        if missing:
            fresh_after = now - dt.timedelta(hours=settings.ROSTER_PAGERDUTY_USER_CACHE_HOURS)
            for row in PagerDutyUser.objects.filter(
                organization_id=self.organization_id, pagerduty_id__in=missing, fetched_at__gte=fresh_after
            ):
                self.known[row.pagerduty_id] = (row.name, row.email)
        for user_id in sorted(ids - set(self.known)):
            try:
                user = client.get_user(user_id)
            except pd.NotFound:
                user = {"name": names.get(user_id) or user_id, "email": ""}  # deleted in PagerDuty
            self.fetched += 1
            name = user.get("name") or user.get("summary") or names.get(user_id) or user_id
            email = (user.get("email") or "").strip().lower()
            PagerDutyUser.objects.update_or_create(
                organization_id=self.organization_id,
                pagerduty_id=user_id,
                defaults={"name": name[:200], "email": email[:254], "fetched_at": now},
            )
            self.known[user_id] = (name, email)
        return {i: self.known[i] for i in ids}


# --- from PagerDuty's entries to shifts --------------------------------------------------------


def _desired_shifts(
    rotation: Rotation,
    entries: list[dict],
    users: dict,
    *,
    since: dt.datetime,
    until: dt.datetime,
    gap_from: dt.datetime,
):
    """The shifts PagerDuty's entries make for this rotation. A gap in progress at `since` starts
    at `gap_from` (when an earlier sync saw it begin), so a later sync during a gap changes nothing."""
    by_email = {m.email.lower(): m for m in rotation.members.all()}
    shifts = []
    for e in entries:
        start, end = e["start"], e["end"]
        if end <= start or end <= since or start >= until:
            continue
        if e["user_id"] is None:
            shifts.append(Shift(rotation=rotation, start=start, end=end, is_gap=True))
            continue
        name, email = users[e["user_id"]]
        shifts.append(_person_shift(rotation, by_email, start, end, user_id=e["user_id"], name=name, email=email))
    # Time nobody covers is a gap, stored as such.
    covered = sorted((s.start, s.end) for s in shifts if not s.is_gap)
    cursor = gap_from
    for start, end in [*covered, (until, until)]:
        if start > cursor:
            if not any(s.is_gap and s.start <= cursor and s.end >= start for s in shifts):
                shifts.append(Shift(rotation=rotation, start=cursor, end=start, is_gap=True))
        cursor = max(cursor, end)
    shifts.sort(key=lambda s: (s.start, s.end, s.pagerduty_user_id))
    return shifts


def _person_shift(rotation, by_email: dict, start, end, *, user_id: str, name: str, email: str) -> Shift:
    """The PagerDuty user's shift, theirs as a member when a member has their email."""
    member = by_email.get(email) if email else None
    person = {"pagerduty_user_id": user_id, "person_name": name, "person_email": email}
    return Shift(rotation=rotation, start=start, end=end, member=member, **person)


def _replace_shifts(rotation: Rotation, desired: list[Shift], since: dt.datetime) -> bool:
    """Make the stored shifts ending after `since` equal `desired`. Returns True if anything changed."""
    with transaction.atomic():
        Rotation.objects.select_for_update().filter(pk=rotation.pk).first()
        current = rotation.shifts.filter(end__gt=since)
        if sorted(s.key() for s in current) == sorted(s.key() for s in desired):
            return False
        current.delete()
        Shift.objects.bulk_create(desired)
    return True


def _piece(shift: Shift, start: dt.datetime, end: dt.datetime) -> Shift:
    return Shift(
        rotation_id=shift.rotation_id,
        start=start,
        end=end,
        is_gap=shift.is_gap,
        member_id=shift.member_id,
        pagerduty_user_id=shift.pagerduty_user_id,
        person_name=shift.person_name,
        person_email=shift.person_email,
    )


def show_override(
    *, organization_id: int, schedule_id: str, start: dt.datetime, end: dt.datetime, pagerduty_user_id: str
) -> list[int]:
    """An override Roster just wrote to PagerDuty, shown at once without re-reading the schedule:
    on each rotation bound to it, the stored shifts between `start` and `end` become the PagerDuty
    user's, split at the override's edges as PagerDuty's final schedule splits them. The re-read
    queued beside it (tasks.request_reread) confirms it, and changes nothing when PagerDuty shows
    the same. Only the stored window is touched (nothing is invented past the last sync's horizon). A
    cover starts in the future: the minute beat (`record_handoffs`) records its handoff when it begins.
    Returns the rotations whose shifts changed."""
    user = PagerDutyUser.objects.filter(organization_id=organization_id, pagerduty_id=pagerduty_user_id).first()
    name, email = (user.name, user.email) if user else (pagerduty_user_id, "")
    changed = []
    rotations = Rotation.objects.filter(organization_id=organization_id, pagerduty_schedule_id=schedule_id)
    for rotation in rotations.prefetch_related("members"):
        by_email = {m.email.lower(): m for m in rotation.members.all()}
        with transaction.atomic():
            Rotation.objects.select_for_update().filter(pk=rotation.pk).first()
            overlapping = list(rotation.shifts.filter(end__gt=start, start__lt=end).order_by("start"))
            if not overlapping:
                continue
            lo, hi = max(start, overlapping[0].start), min(end, max(s.end for s in overlapping))
            desired = [_person_shift(rotation, by_email, lo, hi, user_id=pagerduty_user_id, name=name, email=email)]
            for shift in overlapping:
                if shift.start < lo:
                    desired.append(_piece(shift, shift.start, lo))
                if shift.end > hi:
                    desired.append(_piece(shift, hi, shift.end))
            if sorted(s.key() for s in overlapping) == sorted(s.key() for s in desired):
                continue
            Shift.objects.filter(pk__in=[s.pk for s in overlapping]).delete()
            Shift.objects.bulk_create(desired)
            changed.append(rotation.pk)
            send_on_commit(signals.shifts_changed, rotation_ids=[rotation.pk])
    return changed


# --- handoffs ----------------------------------------------------------------------------------


def last_handoff(rotation: Rotation) -> Handoff | None:
    return rotation.handoffs.order_by("-at").first()


def record_handoff(rotation: Rotation, slots: list[cadence.Slot], now: dt.datetime) -> Handoff | None:
    """Record a handoff when the people on call now differ from the last recorded ones; returns it
    only when this call inserted it. The rotation's row is locked while comparing and inserting, so
    overlapping syncs and the handoff beat record one handoff, never two for the same change (the
    unique (rotation, at) constraint is the last guard). Apps above (notifications) hear of each
    new handoff through `signals.handoff_recorded`, after the commit."""
    in_progress = cadence.on_call_at(slots, now)
    people = sorted({s.who for s in in_progress if s.who is not None}, key=lambda p: p.key)
    key = "|".join(p.key for p in people)
    with transaction.atomic():
        if not Rotation.objects.select_for_update().filter(pk=rotation.pk).exists():
            return None  # deleted meanwhile
        previous = last_handoff(rotation)
        if previous is not None and previous.to_key == key:
            return None
        if in_progress:
            at = max(s.start for s in in_progress if (s.who is None) == (not people))
        else:
            ended = [s.end for s in slots if s.end <= now]
            at = max(ended) if ended else now.replace(microsecond=0)
        if previous is not None and at <= previous.at:
            at = now.replace(microsecond=0)
        try:
            with transaction.atomic():
                handoff = Handoff.objects.create(
                    rotation=rotation,
                    at=at,
                    from_label=previous.to_label if previous else "",
                    to_label=", ".join(p.label for p in people),
                    to_key=key,
                )
        except IntegrityError:
            return None  # recorded by another process at the same instant
        send_on_commit(signals.handoff_recorded, handoff_id=handoff.pk)
    return handoff


def record_handoffs(*, now: dt.datetime | None = None) -> int:
    """Beat, every minute: record the handoffs of native rotations (their turns, skips and
    overrides need no PagerDuty call) and of bound rotations whose last sync succeeded, from their
    stored shifts, so a handoff is recorded within a minute rather than at the next sync."""
    now = now or timezone.now()
    recorded = 0
    since, until = now - dt.timedelta(days=1), now + dt.timedelta(days=1)
    rotations = with_window(
        Rotation.objects.filter(Q(pagerduty_schedule_id="") | Q(last_sync_ok=True)), since=since, until=until
    )
    for rotation in rotations:
        slots = timeline(rotation, since=since, until=until)
        if rotation.is_bound:
            slots = cadence.merge_adjacent(slots)
        recorded += record_handoff(rotation, slots, now) is not None
    return recorded


# --- the sync ----------------------------------------------------------------------------------


NEEDS_REAUTH_MESSAGE = "PagerDuty needs re-authorization (Settings → Integrations): showing the last known schedule."


def _usable_client(connection: PagerDutyConnection | None) -> pd.PagerDutyClient:
    if connection is None:
        raise SyncBlocked("PagerDuty is not connected: showing the last known schedule.")
    if connection.status == PagerDutyConnection.Status.NEEDS_REAUTH:
        raise SyncBlocked(NEEDS_REAUTH_MESSAGE)
    if connection.status == PagerDutyConnection.Status.INVALID:
        raise SyncBlocked(
            "PagerDuty refused the stored credentials (Settings → Integrations): showing the last known schedule."
        )
    return client_for(connection)


def _record_failure(rotations: list[Rotation], run: SyncRun, error: pd.PagerDutyError, now: dt.datetime, **extra):
    message = error.message
    if isinstance(error, pd.NotFound):
        message = "The PagerDuty schedule was deleted (or these credentials can no longer see it)."
    elif isinstance(error, pd.RateLimited):
        message = f"{error.stored_message} The sync will resume by itself."
    elif isinstance(error, pd.UnreadableResponse):
        message = f"{error.message} Showing the last known schedule; the sync will try again."
    elif isinstance(error, pd.Unavailable):
        message = f"{error.stored_message} Roster retries automatically; showing the last known schedule."
    Rotation.objects.filter(pk__in=[r.pk for r in rotations]).update(
        last_sync_at=now,
        last_sync_ok=False,
        last_sync_error=message[:500],
        last_sync_error_at=now,
        last_sync_error_code=error.code[:60],
        sync_state=Rotation.SyncState.QUEUED if isinstance(error, pd.RateLimited) else Rotation.SyncState.IDLE,
        updated_at=now,
        **extra,
    )
    run.ok, run.error, run.error_code, run.finished_at = False, message[:500], error.code, timezone.now()
    run.save()


def sync_schedule(
    *,
    organization_id: int,
    schedule_id: str,
    now: dt.datetime | None = None,
    client: pd.PagerDutyClient | None = None,
    users: UserDirectory | None = None,
) -> SyncRun | None:
    """Sync every rotation of the organization bound to `schedule_id`. Raises only errors worth
    retrying (RateLimited, Unavailable), after recording them."""
    bound = Rotation.objects.filter(organization_id=organization_id, pagerduty_schedule_id=schedule_id)
    rotations = list(bound.prefetch_related("members"))
    if not rotations:
        return None
    now = now or timezone.now()
    since, until = window(now)
    run = SyncRun.objects.create(
        organization_id=organization_id, schedule_id=schedule_id, started_at=now, rotations=len(rotations)
    )
    connection = get_connection(rotations[0].organization)
    try:
        client = client or _usable_client(connection)
        kind = next((r.pagerduty_schedule_kind for r in rotations if r.pagerduty_schedule_kind), "")
        schedule = client.get_schedule_window(schedule_id, _iso(since), _iso(until), kind=kind)
        ids = {e["user_id"] for e in schedule["entries"] if e["user_id"]}
        names = {e["user_id"]: e["user_name"] for e in schedule["entries"] if e["user_id"]}
        directory = users or UserDirectory(organization_id)
        people = directory.resolve(client, ids, names, now)
    except BudgetSpent:
        run.delete()  # Roster's own budget, not PagerDuty's answer: nothing to show; the queue keeps it
        raise
    except pd.NotFound as error:
        _record_failure(rotations, run, error, now, pagerduty_schedule_missing=True)
        return run
    except pd.PagerDutyError as error:
        if connection is not None and isinstance(error, pd.Unauthorized):
            connection.refresh_from_db()
            if connection.status == PagerDutyConnection.Status.NEEDS_REAUTH:
                # OAuth: the refresh PagerDuty refused already put its own message on the card.
                error = SyncBlocked(NEEDS_REAUTH_MESSAGE)
        _record_failure(rotations, run, error, now)
        connection_wide = isinstance(error, pd.Unauthorized | pd.Forbidden | pd.Unavailable) and not isinstance(
            error, pd.UnreadableResponse
        )
        if connection is not None and connection_wide:
            # On the card too: refused credentials need an admin; PagerDuty down shows as Degraded
            # until a later call succeeds (rate limits and one unreadable schedule are the sync's own).
            connection_record_error(connection, error)
        log.info(
            "Sync of PagerDuty schedule %s for organization %s failed: %s", schedule_id, organization_id, error.code
        )
        if not error.permanent:
            raise
        return run

    for rotation in rotations:
        gap_from = min(
            rotation.shifts.filter(is_gap=True, start__lte=since, end__gt=since).values_list("start", flat=True),
            default=since,
        )
        desired = _desired_shifts(rotation, schedule["entries"], people, since=since, until=until, gap_from=gap_from)
        if _replace_shifts(rotation, desired, since):
            run.changed = True
            send_on_commit(signals.shifts_changed, rotation_ids=[rotation.pk])
        run.shifts += len(desired)
        members = {m.pk: m for m in rotation.members.all()}
        slots = [cadence.Slot(s.start, s.end, shift_person(s, members)) for s in desired]
        record_handoff(rotation, cadence.merge_adjacent(slots), now)
    Rotation.objects.filter(pk__in=[r.pk for r in rotations]).update(
        pagerduty_schedule_name=schedule["name"][:255],
        pagerduty_schedule_kind=schedule["kind"],
        pagerduty_schedule_url=pd.web_link(schedule["html_url"])[:500],
        pagerduty_schedule_missing=False,
        last_sync_at=now,
        last_sync_ok=True,
        last_sync_error="",
        last_sync_error_code="",
        sync_state=Rotation.SyncState.IDLE,
        updated_at=now,
    )
    run.ok, run.finished_at = True, timezone.now()
    run.save()
    for rotation in rotations:  # someone clicked Sync now: how long until the page shows PagerDuty's state
        if rotation.sync_state == Rotation.SyncState.QUEUED and rotation.sync_requested_at is not None:
            waited = (run.finished_at - rotation.sync_requested_at).total_seconds()
            metrics.CHANGE_VISIBLE.labels(source="sync_now").observe(max(waited, 0.0))
    return run
