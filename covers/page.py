"""The rotation page's "Cover requests" section (templates/covers/_section.html), read in a fixed
number of queries: what everyone sees (`section_context`, a rotations.hooks detail context) and
what the signed-in person may do (`mine`, through `{% my_cover rotation as mine %}`): their upcoming
shifts, each with its "Ask for cover" form, and the shifts they could give back in a swap."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import dateformat, timezone

from rotations import cadence, selectors
from rotations.models import Member, Rotation

from . import services
from .forms import CoverAskForm, ask_form
from .models import CoverRequest

HISTORY = 20  # requests no longer open, newest first
SHIFTS = 10  # the signed-in person's upcoming shifts shown with "Ask for cover"
DAYS = selectors.UPCOMING_DAYS


@dataclass
class MyShift:
    start: dt.datetime
    end: dt.datetime
    dialog: str  # the id of its "Ask for cover" dialog
    form: CoverAskForm
    asked: CoverRequest | None = None  # an open request of theirs already covering part of it

    @property
    def swap_value(self) -> str:
        return f"{self.start.isoformat()}|{self.end.isoformat()}"


@dataclass
class Row:
    """A cover request as the signed-in person sees it: what they may do with it."""

    request: CoverRequest
    can_take: bool = False
    can_cancel: bool = False
    swaps: list[MyShift] = field(default_factory=list)  # their own future shifts they could give back

    @property
    def dialog_suffix(self) -> str:
        return str(self.request.pk)


@dataclass
class Mine:
    """The signed-in person in this rotation: `member` (None when they are not in it), their upcoming
    shifts, and the rotation's open requests and history with what they may do with each."""

    member: Member | None
    shifts: list[MyShift] = field(default_factory=list)
    open: list[Row] = field(default_factory=list)
    history: list[Row] = field(default_factory=list)
    failed: MyShift | None = None  # an ask that was refused for a shift no longer listed


def section_context(rotation: Rotation) -> dict:
    """rotations.hooks detail context: the rotation's open requests (soonest first) and its latest
    HISTORY others (newest first), in two queries."""
    rows = CoverRequest.objects.filter(rotation=rotation)
    open_rows = list(rows.filter(status=CoverRequest.Status.OPEN).order_by("start", "id"))
    done = list(rows.exclude(status=CoverRequest.Status.OPEN).order_by("-created_at", "-id")[:HISTORY])
    return {"cover_requests": {"open": open_rows, "history": done}}


def span_parts(start: dt.datetime, end: dt.datetime, tz) -> tuple[str, str]:
    """A time range's two ends as people read them in `tz`: 'Mon 7 Dec 09:00' and '17:00 CET' (the end's
    day named too when it is another day)."""
    a, b = start.astimezone(tz), end.astimezone(tz)
    return dateformat.format(a, "D j M H:i"), dateformat.format(b, "H:i T" if a.date() == b.date() else "D j M H:i T")


def member_for(rotation: Rotation, email: str) -> Member | None:
    """The rotation's member who is this person (matched by email, case-insensitive, as the services do)."""
    wanted = (email or "").strip().casefold()
    if not wanted:
        return None
    return next((m for m in rotation.members.all() if m.email.casefold() == wanted), None)


def shift_dialog(start: dt.datetime) -> str:
    return f"cover-ask-{int(start.timestamp())}"


def upcoming_shifts(
    rotation: Rotation, member: Member, *, now: dt.datetime, days: int = DAYS
) -> list[tuple[dt.datetime, dt.datetime]]:
    """`member`'s shifts that have not ended, in the next `days` (back-to-back slots joined)."""
    slots = selectors.timeline(rotation, since=now, until=now + dt.timedelta(days=days))
    mine = [s for s in slots if s.who is not None and s.who.member_id == member.pk]
    return [(s.start, s.end) for s in cadence.merge_adjacent(mine) if s.end > now]


def mine(
    rotation: Rotation,
    email: str,
    *,
    open_requests: list[CoverRequest],
    history: list[CoverRequest],
    is_admin: bool = False,
    now: dt.datetime | None = None,
    failed_form: CoverAskForm | None = None,
    failed_dialog: str = "",
) -> Mine:
    """What the signed-in person (by account email) sees and may do: their shifts, each with a
    preselected "Ask for cover" form (a refused ask's bound form replaces the blank one of its dialog);
    Take and Swap on others' open requests (members only); Cancel on their own requests, or on any
    as an admin, while the request is open or its cover not over."""
    now = now or timezone.now()
    member = member_for(rotation, email)
    found = Mine(member=member)
    if member is not None:
        # A shift in progress: from the next whole minute (the form shows minutes; now's are already past).
        soon = (now + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
        for start, end in upcoming_shifts(rotation, member, now=now)[:SHIFTS]:
            dialog = shift_dialog(start)
            form = failed_form if failed_form is not None and dialog == failed_dialog else None
            asked = next(
                (r for r in open_requests if r.requester_id == member.pk and r.start < end and r.end > start), None
            )
            form = form or ask_form(rotation, max(start, soon), end, auto_id=f"{dialog}_%s")
            found.shifts.append(MyShift(start, end, dialog, form, asked))
        if failed_form is not None and failed_dialog and not any(s.dialog == failed_dialog for s in found.shifts):
            found.failed = MyShift(now, now, failed_dialog, failed_form)

    def own(r: CoverRequest) -> bool:
        return member is not None and r.requester_id == member.pk

    for r in open_requests:
        swaps = [s for s in found.shifts if s.start >= now and not (s.start < r.end and s.end > r.start)]
        taker = member is not None and not own(r)
        cancel = services.may_cancel(cover_request=r, member=member, is_admin=is_admin)
        found.open.append(Row(r, can_take=taker, can_cancel=cancel, swaps=swaps if taker else []))
    for r in history:
        undo = r.status == CoverRequest.Status.TAKEN and r.end > now
        undo = undo and services.may_cancel(cover_request=r, member=member, is_admin=is_admin)
        found.history.append(Row(r, can_cancel=undo))
    return found
