"""Reads: rotations with everything their pages need in a fixed number of queries, and the
timeline (who is on call when) of a native or PagerDuty-bound rotation."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from . import cadence
from .models import DueSchedule, Handoff, Member, Override, Rotation, Shift, Skip, SyncRun, TimeOff

UPCOMING_DAYS = 14


@dataclass(frozen=True)
class Person:
    """Someone on call: a rotation member, or a PagerDuty user who matches no member."""

    key: str
    name: str
    email: str
    member_id: int | None = None
    pagerduty_user_id: str = ""

    @property
    def matched(self) -> bool:
        return self.member_id is not None

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name


def member_person(member: Member) -> Person:
    return Person(key=f"m{member.pk}", name=member.name, email=member.email, member_id=member.pk)


def shift_person(shift: Shift, members: dict[int, Member]) -> Person | None:
    if shift.is_gap:
        return None
    if shift.member_id and shift.member_id in members:
        member = members[shift.member_id]
        # Keyed by the PagerDuty user, so adding a matching member later is not a handoff.
        return Person(
            key=f"pd:{shift.pagerduty_user_id}" if shift.pagerduty_user_id else f"m{member.pk}",
            name=member.name,
            email=member.email,
            member_id=member.pk,
            pagerduty_user_id=shift.pagerduty_user_id,
        )
    return Person(
        key=f"pd:{shift.pagerduty_user_id or shift.person_email}",
        name=shift.person_name or shift.pagerduty_user_id,
        email=shift.person_email,
        pagerduty_user_id=shift.pagerduty_user_id,
    )


def _time_off_rows() -> QuerySet[TimeOff]:
    return TimeOff.objects.select_related("user").only("id", "organization_id", "start", "end", "user__email")


def time_off_prefetch() -> Prefetch:
    """The organization's time off with each person's email (native rotations pass over their turns):
    prefetched beside members and skips, two queries however many rotations there are. All of it,
    past included: like a skip, a turn passed over for time off moves the order on for good."""
    return Prefetch("organization__time_offs", queryset=_time_off_rows())


def _time_offs(rotation: Rotation) -> list[TimeOff]:
    organization = rotation._state.fields_cache.get("organization")
    if organization is not None and "time_offs" in getattr(organization, "_prefetched_objects_cache", {}):
        return list(organization.time_offs.all())
    return list(_time_off_rows().filter(organization_id=rotation.organization_id))


def away(rotation: Rotation, people: list[Person]) -> dict[Person, list[tuple[dt.datetime, dt.datetime]]]:
    """Each member's time off (the person whose account email is the member's), for cadence.Order."""
    by_email = {p.email.lower(): p for p in people if p.email}
    found: dict[Person, list[tuple[dt.datetime, dt.datetime]]] = {}
    for time_off in _time_offs(rotation):
        person = by_email.get(time_off.user.email.lower())
        if person is not None:
            found.setdefault(person, []).append((time_off.start, time_off.end))
    return found


def rotations_for(organization, *, now: dt.datetime, until: dt.datetime | None = None) -> QuerySet[Rotation]:
    """The organization's rotations `with_window` [now, until or UPCOMING_DAYS later)."""
    until = until or now + dt.timedelta(days=UPCOMING_DAYS)
    return with_window(Rotation.objects.filter(organization=organization), since=now, until=until)


def with_window(rotations: QuerySet[Rotation], *, since: dt.datetime, until: dt.datetime) -> QuerySet[Rotation]:
    """`rotations` with what `timeline` reads over [since, until) prefetched (members, skips, time off,
    the window's overrides and shifts): a constant number of queries however many rotations."""
    return rotations.select_related("organization").prefetch_related(
        "members",
        "skips",
        time_off_prefetch(),
        Prefetch("overrides", queryset=Override.objects.filter(end__gt=since, start__lt=until)),
        Prefetch("shifts", queryset=Shift.objects.filter(end__gt=since, start__lt=until), to_attr="window_shifts"),
    )


def rotation_for(organization, rotation_id: int, *, now: dt.datetime, until: dt.datetime | None = None) -> Rotation:
    return get_object_or_404(rotations_for(organization, now=now, until=until), pk=rotation_id)


def cadence_rule(rotation: Rotation) -> cadence.Cadence:
    return cadence.Cadence(
        start_date=rotation.start_date,
        handoff_time=rotation.handoff_time,
        period_days=rotation.period_days,
        tz=rotation.tz,
    )


def timeline(rotation: Rotation, *, since: dt.datetime, until: dt.datetime) -> list[cadence.Slot[Person]]:
    """Slots overlapping [since, until); `who` is a Person or None (a gap). Uses prefetched rows
    (see rotations_for) when the window fits inside them."""
    members = list(rotation.members.all())
    if rotation.is_bound:
        by_id = {m.pk: m for m in members}
        shifts = getattr(rotation, "window_shifts", None)
        if shifts is None:
            shifts = list(rotation.shifts.filter(end__gt=since, start__lt=until))
        return [
            cadence.Slot(s.start, s.end, shift_person(s, by_id)) for s in shifts if s.end > since and s.start < until
        ]
    people = [member_person(m) for m in members]
    slots = cadence.turns(
        cadence_rule(rotation),
        people,
        since=since,
        until=until,
        skipped=[s.turn_start for s in rotation.skips.all()],
        away=away(rotation, people) if people else None,
    )
    by_member = {p.member_id: p for p in people}
    overrides = [(o.start, o.end, by_member.get(o.member_id)) for o in rotation.overrides.all()]
    return cadence.merge_adjacent(cadence.apply_overrides(slots, [o for o in overrides if o[2] is not None]))


@dataclass
class OnCall:
    people: list[Person]
    until: dt.datetime | None  # when this changes; None if unknown
    since: dt.datetime | None
    unknown: bool = False  # a bound rotation no sync has filled in yet: not a gap

    @property
    def is_gap(self) -> bool:
        return not self.people


def on_call_now(rotation: Rotation, *, now: dt.datetime, slots: list[cadence.Slot[Person]] | None = None) -> OnCall:
    if slots is None:
        slots = timeline(rotation, since=now, until=now + dt.timedelta(days=UPCOMING_DAYS))
    current = cadence.on_call_at(slots, now)
    people = sorted({s.who for s in current if s.who is not None}, key=lambda p: p.name)
    changes = cadence.handoffs(
        slots, since=now + dt.timedelta(microseconds=1), until=dt.datetime.max.replace(tzinfo=dt.UTC)
    )
    return OnCall(
        people=people,
        until=changes[0][0] if changes else None,
        since=max((s.start for s in current), default=None),
        unknown=rotation.is_bound and not current,
    )


@dataclass
class UpcomingHandoff:
    at: dt.datetime
    people: list[Person]  # empty: a gap starts


def upcoming_handoffs(*, now: dt.datetime, slots: list[cadence.Slot[Person]]) -> list[UpcomingHandoff]:
    """The handoffs in `slots` within UPCOMING_DAYS after `now`, each with who comes on (by name)."""
    until = now + dt.timedelta(days=UPCOMING_DAYS)
    return [
        UpcomingHandoff(at=at, people=sorted(after, key=lambda p: p.name))
        for at, _, after in cadence.handoffs(slots, since=now + dt.timedelta(microseconds=1), until=until)
    ]


def unmatched_people(slots: list[cadence.Slot[Person]]) -> list[Person]:
    """PagerDuty users on the schedule who match no member (shown with an Add button)."""
    seen = {s.who.key: s.who for s in slots if s.who is not None and not s.who.matched}
    return sorted(seen.values(), key=lambda p: p.name)


def handoff_history(rotation: Rotation, limit: int = 20) -> list[Handoff]:
    return list(rotation.handoffs.all()[:limit])


def sync_history(rotation: Rotation, limit: int = 10) -> list[SyncRun]:
    if not rotation.is_bound:
        return []
    return list(
        SyncRun.objects.filter(organization_id=rotation.organization_id, schedule_id=rotation.pagerduty_schedule_id)[
            :limit
        ]
    )


def shift_rows(slots: list[cadence.Slot[Person]]) -> list[dict]:
    """Slots as the JSON API shows them (camelCase; a gap has `gap: true` and no person)."""
    return [
        {
            "start": s.start.isoformat(),
            "end": s.end.isoformat(),
            "gap": s.who is None,
            "override": s.override,
            "person": None if s.who is None else person_json(s.who),
        }
        for s in slots
    ]


def person_json(person: Person) -> dict:
    return {
        "name": person.name,
        "email": person.email or None,
        "memberId": person.member_id,
        "pagerdutyUserId": person.pagerduty_user_id or None,
        "matched": person.matched,
    }


# --- the rotation page's timeline ----------------------------------------------------------------

SHOWN_DAYS = 3  # a PagerDuty-bound rotation shows this many days, the rest behind "Show more"


@dataclass
class Cover:
    """An override inside a turn: `who` covers [start, end)."""

    override: Override
    who: str
    start: dt.datetime
    end: dt.datetime


@dataclass
class Turn:
    """One turn of a native rotation: whose it is, the skip that passed over someone (with who
    that was), and the overrides that apply inside it."""

    start: dt.datetime
    end: dt.datetime
    who: Person | None
    skip: Skip | None = None
    skipped: Person | None = None
    covers: list[Cover] | None = None
    away: list[Person] | None = None  # passed over for their time off


def native_turns(rotation: Rotation, *, now: dt.datetime) -> list[Turn]:
    """The turn in progress and those starting in the next UPCOMING_DAYS, skips and overrides where they apply."""
    people = [member_person(m) for m in rotation.members.all()]
    if not people:
        return []
    rule = cadence_rule(rotation)
    first = rule.turn_start(0)
    skips: dict[int, Skip] = {}
    for skip in rotation.skips.all():
        if skip.turn_start >= first:
            skips.setdefault(rule.turn_at(skip.turn_start), skip)
    until = now + dt.timedelta(days=UPCOMING_DAYS)
    order = cadence.Order(
        rule, people, skipped=[s.turn_start for s in skips.values()], away=away(rotation, people), until=until
    )
    overrides = sorted(rotation.overrides.all(), key=lambda o: o.start)
    by_member = {p.member_id: p for p in people}
    turns = []
    k = max(rule.turn_at(now), 0)
    while (start := rule.turn_start(k)) < until:
        end = rule.turn_start(k + 1)
        turn_skip = skips.get(k)
        covers = [
            Cover(
                o, by_member[o.member_id].name if o.member_id in by_member else "", max(o.start, start), min(o.end, end)
            )
            for o in overrides
            if o.start < end and o.end > start
        ]
        turns.append(
            Turn(
                start=start,
                end=end,
                who=order.who(k),
                skip=turn_skip,
                skipped=order.skipped(k) if turn_skip else None,
                covers=covers,
                away=order.away(k),
            )
        )
        k += 1
    return turns


@dataclass
class Day:
    day: dt.date
    slots: list[cadence.Slot[Person]]


@dataclass
class BoundDays:
    """A PagerDuty-bound rotation's shifts by local day; `daily_gap` is (start, end) local times
    when nobody is on call at the same hours every day (said once instead of on every day)."""

    shown: list[Day]
    more: list[Day]
    daily_gap: tuple[dt.time, dt.time] | None


def bound_days(rotation: Rotation, slots: list[cadence.Slot[Person]], *, now: dt.datetime) -> BoundDays:
    tz = rotation.tz
    merged = cadence.merge_adjacent(slots)
    gaps = [s for s in merged if s.who is None]
    hours = {(s.start.astimezone(tz).time(), s.end.astimezone(tz).time()) for s in gaps}
    dates = [s.start.astimezone(tz).date() for s in gaps]
    daily_gap = None
    if (
        len(gaps) >= 2
        and len(hours) == 1
        and all(s.end - s.start < dt.timedelta(days=1) for s in gaps)
        and all((b - a).days == 1 for a, b in zip(dates, dates[1:], strict=False))
        and not any(s.start >= gaps[-1].end + dt.timedelta(days=1) for s in merged)
    ):
        # The same hours every day for as long as the shifts are known: said once.
        daily_gap = hours.pop()
    days: dict[dt.date, list[cadence.Slot[Person]]] = {}
    for slot in merged:
        if slot.who is None and daily_gap is not None:
            continue
        days.setdefault(max(slot.start, now).astimezone(tz).date(), []).append(slot)
    ordered = [Day(day, day_slots) for day, day_slots in sorted(days.items())]
    return BoundDays(shown=ordered[:SHOWN_DAYS], more=ordered[SHOWN_DAYS:], daily_gap=daily_gap)


def bound_rotations(organization) -> list[Rotation]:
    """Rotations that follow a PagerDuty schedule, with what the card shows of their sync."""
    return list(
        Rotation.objects.filter(organization=organization)
        .exclude(pagerduty_schedule_id="")
        .only(
            "id",
            "name",
            "pagerduty_schedule_name",
            "pagerduty_schedule_id",
            "last_sync_ok",
            "last_sync_error",
            "last_sync_error_code",
        )
        .order_by("name")
    )


@dataclass(frozen=True)
class Freshness:
    """What the PagerDuty card says of how soon changes made in PagerDuty reach Roster (issue 26)."""

    detection: str  # "oncalls", "full_fetches" or "" (no change poll yet)
    within_seconds: int  # about how long a change in PagerDuty takes to show
    full_sync_seconds: int  # schedules /oncalls cannot see: the periodic full sync
    requests_used: int  # of the budget, in the last 60 s
    budget: int
    due: int  # schedules waiting in the organization's queue


def bound_schedule_ids(organization_id: int) -> list[str]:
    return list(
        Rotation.objects.filter(organization_id=organization_id)
        .exclude(pagerduty_schedule_id="")
        .values_list("pagerduty_schedule_id", flat=True)
        .distinct()
        .order_by("pagerduty_schedule_id")
    )


def fallback_batch() -> int:
    """Without /oncalls: whole schedules re-read per poll, half the budget's share of a poll interval."""
    share = settings.PAGERDUTY_BACKGROUND_BUDGET_PER_MINUTE * settings.ROSTER_CHANGE_POLL_SECONDS / 60
    return max(1, int(share / 2))


def _round_up(seconds: float, step: int = 5) -> int:
    return max(step, math.ceil(seconds / step) * step)


def freshness(organization) -> Freshness | None:
    """From measured figures: the change-poll interval, how long the last poll took and the recent wait
    from a noticed change to its re-read; without /oncalls, how many polls it takes to re-read every
    schedule in turn. None without a PagerDuty connection."""
    from integrations.pagerduty.budget import Budget
    from integrations.pagerduty.models import PagerDutyConnection
    from integrations.pagerduty.selectors import get_connection

    connection = get_connection(organization)
    if connection is None:
        return None
    poll = settings.ROSTER_CHANGE_POLL_SECONDS
    wait = connection.refetch_wait_seconds
    full_sync = settings.ROSTER_SYNC_INTERVAL + wait
    if connection.change_detection == PagerDutyConnection.ChangeDetection.FULL_FETCHES:
        schedules = len(bound_schedule_ids(organization.pk))
        polls = math.ceil(max(schedules, 1) / fallback_batch())
        within = min(polls * poll + wait, full_sync)
    else:
        within = poll + connection.change_poll_seconds + wait
    budget = Budget.for_connection(connection)
    return Freshness(
        detection=connection.change_detection,
        within_seconds=_round_up(within),
        full_sync_seconds=_round_up(full_sync),
        requests_used=budget.used(),
        budget=budget.per_minute,
        due=DueSchedule.objects.filter(organization=organization).count(),
    )
