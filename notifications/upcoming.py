"""Upcoming shifts: reminders before a shift starts, and "a shift of yours moved" events, for native
and PagerDuty-bound rotations alike (both read through `rotations.selectors.timeline`).

Reminders. Each channel (`registry.Channel`) has `leads()` and `plan_upcoming()`. Beat runs
`tasks.upcoming` every minute: `upcoming_scan` asks every channel's `leads()` (one query each) how
far ahead it wants to hear of each rotation's shifts, loads those rotations with their members,
skips, overrides and stored shifts in a fixed number of queries, and for each shift starting
within the rotation's largest lead calls every channel's `plan_upcoming` with an `UpcomingShift`. Rows are
made by `services.notifications_create` with source `shift:<start>:<person key>`, unique per
(shift, channel, target, kind): a channel yields its reminder whenever `shift.lead` (how long until
the shift starts) is within its own lead, and the scans of the following minutes, overlapping
scans and retries never make a second row. Rows that exist already are found in one query per
scan, so a quiet minute inserts nothing. When the reminder is delivered, a shift that no longer
exists (moved, overridden, skipped, re-synced away) or has started is skipped with the reason
(`services.notification_deliver`).

Moved shifts. Each channel has `watched()` (rotation ids) and `plan_shift_changed()`.
For every watched rotation the scan keeps a `ShiftSnapshot` of its next WATCH_DAYS of shifts; each
minute (and after a PagerDuty sync changed a rotation's shifts) the current shifts are diffed with
it over the window both cover, per person: a person whose shifts there differ is one `ShiftChange`
(`before`, `after`), whose rows have source `moved:<snapshot version>:<person key>:<digest>` and are
made in the same transaction that stores the new snapshot, so a re-scan never repeats a change. A
snapshot older than a day is retaken so the compared window stays near WATCH_DAYS.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from rotations import cadence
from rotations.models import Rotation
from rotations.selectors import Person, with_window

from . import registry, services
from .models import Notification, ShiftSnapshot
from .registry import ShiftChange, UpcomingShift, iso
from .selectors import people_slots

log = logging.getLogger(__name__)

MAX_LEAD = dt.timedelta(days=7)  # no channel hears of a shift earlier than this
WATCH_DAYS = 7
RETAKE_AFTER = dt.timedelta(days=1)


def rotations_with_window(ids: Iterable[int], *, since: dt.datetime, until: dt.datetime) -> QuerySet[Rotation]:
    """Rotations with what `timeline` reads over [since, until) prefetched: a fixed number of queries."""
    return with_window(Rotation.objects.filter(pk__in=list(ids)), since=since, until=until)


def _plan(planners: list, rotation: Rotation, event) -> list[registry.Planned]:
    """Every channel's `plan_upcoming` (or `plan_shift_changed`) of one shift or change."""
    failed = f"An upcoming-shift planner failed for rotation {rotation.pk}"
    return registry.plan_each(planners, rotation, event, log=log, failed=failed)


def _existing(keys: set[tuple[int, str]]) -> set[tuple]:
    if not keys:
        return set()
    return set(
        Notification.objects.filter(rotation_id__in={r for r, _ in keys}, source__in={s for _, s in keys}).values_list(
            "rotation_id", "source", "channel", "target", "kind"
        )
    )


# --- reminders ---------------------------------------------------------------------------------


def upcoming_scan(*, now: dt.datetime | None = None) -> list[int]:
    """Make the reminders of shifts starting within each rotation's largest lead (idempotent).
    Returns the ids of the rows made and still waiting (to queue)."""
    now = now or timezone.now()
    planners = [c.plan_upcoming for c in registry.channels()]
    leads = {r: min(lead, MAX_LEAD) for r, lead in registry.upcoming_leads().items()}
    if not planners or not leads:
        return []
    cache: dict = {}
    found: list[tuple[Rotation, UpcomingShift, list[registry.Planned]]] = []
    for rotation in rotations_with_window(leads, since=now, until=now + max(leads.values())):
        horizon = now + leads[rotation.pk]
        try:
            slots = people_slots(rotation, since=now, until=horizon + dt.timedelta(seconds=1))
        except Exception:
            log.exception("Could not read the upcoming shifts of rotation %s", rotation.pk)
            continue
        for slot in slots:
            if now < slot.start <= horizon and slot.who is not None:
                shift = UpcomingShift(rotation.pk, slot.start, slot.end, slot.who, slot.start - now, cache)
                planned = _plan(planners, rotation, shift)
                if planned:
                    found.append((rotation, shift, planned))
    existing = _existing({(rotation.pk, shift.source) for rotation, shift, _ in found})
    made: list[int] = []
    for rotation, shift, planned in found:
        new = [p for p in planned if (rotation.pk, shift.source, p.channel, p.target[:200], p.kind) not in existing]
        if new:
            made += services.notifications_create(
                rotation=rotation,
                source=shift.source,
                source_at=shift.start,
                planned=new,
                base_payload={"rotation": {"id": rotation.pk, "name": rotation.name}, **shift.payload()},
            )
    return made


# --- moved shifts ------------------------------------------------------------------------------


def snapshot_rows(slots: list[cadence.Slot[Person]]) -> list[list]:
    return [[iso(s.start), iso(s.end), s.who.key, s.who.name, s.who.email] for s in slots if s.who]


def _by_person(rows: list[list], since: dt.datetime, until: dt.datetime) -> dict[str, tuple[Person, tuple]]:
    found: dict[str, tuple[Person, list]] = {}
    for start_s, end_s, key, name, email in rows:
        start, end = max(dt.datetime.fromisoformat(start_s), since), min(dt.datetime.fromisoformat(end_s), until)
        if start < end:
            person, intervals = found.setdefault(key, (Person(key=key, name=name, email=email), []))
            intervals.append((start, end))
    return {key: (person, tuple(sorted(intervals))) for key, (person, intervals) in found.items()}


def diff(old: list[list], new: list[list], *, since: dt.datetime, until: dt.datetime):
    """(person, before, after) for each person whose shifts within [since, until) differ: `before`
    their shifts there that are no longer, `after` their new ones."""
    before, after = _by_person(old, since, until), _by_person(new, since, until)
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key, (None, ())), after.get(key, (None, ()))
        if was[1] != now[1]:  # only the shifts that changed: the others are the same on both sides
            gone = tuple(i for i in was[1] if i not in now[1])
            new_ones = tuple(i for i in now[1] if i not in was[1])
            yield (now[0] or was[0]), gone, new_ones


def shift_changes_scan(*, now: dt.datetime | None = None, rotation_ids: Iterable[int] | None = None) -> list[int]:
    """Diff each watched rotation's upcoming shifts with its snapshot; make the rows of each change
    and store the new snapshot together. Returns the ids of rows made and waiting."""
    now = now or timezone.now()
    planners = [c.plan_shift_changed for c in registry.channels()]
    watched = {rotation_id for c in registry.channels() for rotation_id in c.watched()}
    if rotation_ids is not None:
        watched &= set(rotation_ids)
    if not watched:
        return []
    until = now + dt.timedelta(days=WATCH_DAYS)
    snapshots = {s.rotation_id: s for s in ShiftSnapshot.objects.filter(rotation_id__in=watched)}
    cache: dict = {}
    fresh: list[ShiftSnapshot] = []
    retake: list[ShiftSnapshot] = []
    made: list[int] = []
    for rotation in rotations_with_window(watched, since=now, until=until):
        try:
            rows = snapshot_rows(people_slots(rotation, since=now, until=until))
        except Exception:
            log.exception("Could not read the upcoming shifts of rotation %s", rotation.pk)
            continue
        old = snapshots.get(rotation.pk)
        if old is None:
            fresh.append(ShiftSnapshot(rotation=rotation, shifts=rows, taken_at=now))
            continue
        window_end = min(old.taken_at + dt.timedelta(days=WATCH_DAYS), until)
        changes = [
            ShiftChange(rotation.pk, person, before, after, now, window_end, old.version + 1, cache)
            for person, before, after in diff(old.shifts, rows, since=now, until=window_end)
        ]
        if changes:
            made += _record_changes(rotation, old, changes, planners=planners, rows=rows, now=now)
        elif now - old.taken_at >= RETAKE_AFTER:
            old.shifts, old.taken_at = rows, now
            retake.append(old)
    ShiftSnapshot.objects.bulk_create(fresh, ignore_conflicts=True)
    ShiftSnapshot.objects.bulk_update(retake, ["shifts", "taken_at"])
    return made


def _record_changes(
    rotation: Rotation, old: ShiftSnapshot, changes: list[ShiftChange], *, planners: list, rows: list, now: dt.datetime
) -> list[int]:
    made: list[int] = []
    with transaction.atomic():
        # Another scan found the same change first: its rows exist (same sources); only one stores the version.
        ShiftSnapshot.objects.filter(pk=old.pk, version=old.version).update(
            shifts=rows, taken_at=now, version=old.version + 1
        )
        for change in changes:
            planned = _plan(planners, rotation, change)
            if planned:
                made += services.notifications_create(
                    rotation=rotation,
                    source=change.source,
                    source_at=now,
                    planned=planned,
                    base_payload={"rotation": {"id": rotation.pk, "name": rotation.name}, **change.payload()},
                )
    return made
