"""Time off in PagerDuty-bound rotations (issue 25): beat, every 10 minutes, opens a cover request
for each of a person's shifts inside their time off that start within `ROSTER_TIME_OFF_LEAD_DAYS`
days (note "Time off: …", asked by Roster itself). The request's creation tells them and the
rotation (covers.signals, as any request).

Exactly once per shift: a shift (the window it shares with the time off) that already has a request
Roster opened for time off, whatever became of it (taken, cancelled, expired), or any open or taken
request of the person overlapping it, gets no new one. Native rotations need none of this: they pass
over the person's turns (rotations.cadence.Order).

Deleting time off (or losing it with the membership) cancels the requests Roster opened for it that
nobody has taken yet (`time_off_deleted`, a post_delete receiver): each by the same conditional UPDATE
as any cancel, so a teammate taking it at that moment either wins (the request stays taken: the cover
stands until the person cancels it) or finds it cancelled."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from accounts.actor import SYSTEM, Actor
from accounts.models import User
from rotations import cadence
from rotations import selectors as rotation_selectors
from rotations.models import Rotation, Shift, TimeOff

from .models import CoverRequest
from .services import NOTE_MAX, CoverError, cover_request_cancel, cover_request_create

log = logging.getLogger(__name__)

NOTE_PREFIX = "Time off: "


def _note(time_off: TimeOff, name: str) -> str:
    note = NOTE_PREFIX + (time_off.note or f"{name} is away.")
    return note if len(note) <= NOTE_MAX else note[: NOTE_MAX - 1] + "…"


def opened_for_time_off(request: CoverRequest) -> bool:
    """Roster asked for this cover itself, for the requester's time off (not the person)."""
    return request.created_by == SYSTEM.label and request.note.startswith(NOTE_PREFIX)


def _covered(requests: list[CoverRequest], start: dt.datetime, end: dt.datetime) -> bool:
    for request in requests:
        if request.start < end and request.end > start:
            if opened_for_time_off(request):
                return True  # opened for time off before: once is enough, whatever became of it
            if request.status in (CoverRequest.Status.OPEN, CoverRequest.Status.TAKEN):
                return True  # the person asked themselves
    return False


def time_off_covers_open(*, now: dt.datetime | None = None) -> int:
    """Open the cover requests time off needs within the lead days. Returns how many were opened."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(days=settings.ROSTER_TIME_OFF_LEAD_DAYS)
    away: dict[tuple[int, str], list[TimeOff]] = defaultdict(list)
    for time_off in TimeOff.objects.filter(end__gt=now, start__lt=horizon).select_related("user"):
        away[(time_off.organization_id, time_off.user.email.lower())].append(time_off)
    if not away:
        return 0
    rotations = list(
        Rotation.objects.filter(
            organization_id__in={org for org, _ in away}, members__email__in={email for _, email in away}
        )
        .exclude(pagerduty_schedule_id="")
        .distinct()
        .prefetch_related(
            "members",
            Prefetch("shifts", queryset=Shift.objects.filter(end__gt=now, start__lt=horizon), to_attr="window_shifts"),
        )
    )
    asked: dict[tuple[int, str], list[CoverRequest]] = defaultdict(list)
    for request in CoverRequest.objects.filter(rotation__in=rotations, end__gt=now).only(
        "rotation_id", "requester_email", "start", "end", "status", "created_by", "note"
    ):
        asked[(request.rotation_id, request.requester_email.lower())].append(request)
    opened = 0
    for rotation in rotations:
        members = {m.pk: m for m in rotation.members.all()}
        slots = cadence.merge_adjacent(rotation_selectors.timeline(rotation, since=now, until=horizon))
        for slot in slots:
            if slot.who is None or slot.who.member_id not in members:
                continue
            member = members[slot.who.member_id]
            for time_off in away.get((rotation.organization_id, member.email.lower()), ()):
                # A shift already under way is asked for from now on (the service wants no start in the past).
                start, end = max(slot.start, time_off.start, timezone.now()), min(slot.end, time_off.end)
                if end <= start or start >= horizon:
                    continue
                requests = asked[(rotation.pk, member.email.lower())]
                if _covered(requests, start, end):
                    continue
                try:
                    made = cover_request_create(
                        rotation=rotation,
                        requester=member,
                        start=start,
                        end=end,
                        note=_note(time_off, member.name),
                        actor=SYSTEM,
                    )
                except CoverError as refused:
                    log.info(
                        "No cover request for time off %s in rotation %s: %s", time_off.pk, rotation.pk, refused.message
                    )
                    continue
                requests.append(made)
                opened += 1
    return opened


TIME_OFF_DELETED = Actor(label="system (time off deleted)")


def time_off_deleted(sender, instance: TimeOff, **kwargs) -> None:
    """Cancel the open requests Roster opened for `instance` (just deleted): see the module's text."""
    email = User.objects.filter(pk=instance.user_id).values_list("email", flat=True).first()
    if email is None:
        return  # the person is deleted: their requests went with their membership
    for request in CoverRequest.objects.filter(
        organization_id=instance.organization_id,
        requester_email__iexact=email,
        status=CoverRequest.Status.OPEN,
        created_by=SYSTEM.label,
        note__startswith=NOTE_PREFIX,
        start__lt=instance.end,
        end__gt=instance.start,
    ):
        try:
            cover_request_cancel(cover_request=request, actor=TIME_OFF_DELETED)
        except CoverError as error:  # taken (or expired) meanwhile: it stays as it is
            log.info("Cover request %s kept after its time off was deleted: %s", request.pk, error.message)
