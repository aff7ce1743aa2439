"""Time off: recording and removing it. Each rule is checked here once; its error names the field."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from accounts.refusal import Refusal
from accounts.text import LINE_BREAKS

from ..models import Rotation, TimeOff

NOTE_MAX = 500
# A start typed as "now" on a page is a minute or two behind the clock by the time it is posted.
PAST_GRACE = dt.timedelta(minutes=5)
LONGEST = dt.timedelta(days=366)
FURTHEST = dt.timedelta(days=2 * 366)  # how far ahead time off may start


class TimeOffError(Refusal):
    """A time-off rule refused the change; `field` is "start", "end", "note" or None."""


def _rotations_changed(organization, user) -> None:
    """The native rotations this person is a member of now hand turns differently: bump `updated_at`
    (calendar feeds derive SEQUENCE from it)."""
    Rotation.objects.filter(
        organization=organization, pagerduty_schedule_id="", members__email=user.email.lower()
    ).update(updated_at=timezone.now())


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if any(char in LINE_BREAKS for char in note):
        raise TimeOffError("A note must be one paragraph: remove the line break.", field="note")
    if len(note) > NOTE_MAX:
        raise TimeOffError(f"A note is at most {NOTE_MAX} characters (this one has {len(note)}).", field="note")
    return note


@transaction.atomic
def time_off_create(
    *, organization, user, start: dt.datetime, end: dt.datetime, note: str = "", now: dt.datetime | None = None
) -> TimeOff:
    """Record that `user` (a member of `organization`) is away from `start` to `end`."""
    now = now or timezone.now()
    if not Membership.objects.filter(organization=organization, user=user).exists():
        raise TimeOffError("Only a member of the organization can record time off.", "not_a_member", status=403)
    for name, value in (("start", start), ("end", end)):
        if timezone.is_naive(value):
            raise TimeOffError(f"Give the {name} with its time zone offset.", field=name)
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)  # in one zone Python compares wall times
    if end <= start:
        raise TimeOffError("Time off must end after it starts.", field="end")
    if end <= now:
        raise TimeOffError("This time off is over already: give an end in the future.", field="end")
    if start < now - PAST_GRACE:
        raise TimeOffError("Time off cannot start in the past: give a start from now on.", field="start")
    if start > now + FURTHEST:
        raise TimeOffError("Time off can start at most two years ahead.", field="start")
    if end - start > LONGEST:
        raise TimeOffError("Time off lasts at most a year: record a longer absence in parts.", field="end")
    note = _clean_note(note)
    overlapping = (
        TimeOff.objects.select_for_update()
        .filter(organization=organization, user=user, start__lt=end, end__gt=start)
        .order_by("start")
        .first()
    )
    if overlapping is not None:
        raise TimeOffError(
            f"You already have time off from {overlapping.start:%Y-%m-%d %H:%M} to {overlapping.end:%Y-%m-%d %H:%M} "
            "UTC: change the dates, or delete that one first.",
            "overlapping",
            field="start",
        )
    time_off = TimeOff.objects.create(organization=organization, user=user, start=start, end=end, note=note)
    _rotations_changed(organization, user)
    return time_off


def time_off_delete_unstarted(*, organization, user) -> None:
    """`user` left `organization`: their time off there that has not started goes (what has started
    stays: the turns already handed over for it are history)."""
    deleted, _ = TimeOff.objects.filter(organization=organization, user=user, start__gt=timezone.now()).delete()
    if deleted:  # their turns go back to them: calendar feeds must see the change
        _rotations_changed(organization, user)


@transaction.atomic
def time_off_delete(*, organization, user, time_off_id: int, now: dt.datetime | None = None) -> None:
    """Remove one of `user`'s own time off that has not ended (an ended one is the rotations' history)."""
    now = now or timezone.now()
    found = TimeOff.objects.filter(organization=organization, user=user, pk=time_off_id).first()
    if found is None:
        raise TimeOffError("No such time off.", "not_found", status=404)
    if found.end <= now:
        raise TimeOffError(
            "This time off is over: it stays, as the rotations' turns were handed over for it.",
            "time_off_over",
            status=409,
        )
    found.delete()
    _rotations_changed(organization, user)
