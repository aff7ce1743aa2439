"""Pure date math for native rotations: round-robin turns on a cadence, skips and overrides.

Turn k starts on `start_date + k * period_days` at `handoff_time`, wall-clock, in the rotation's
time zone, so a 09:00 handoff stays at 09:00 across a DST change (the turn that spans the change is
an hour shorter or longer). A handoff time that does not exist on a spring-forward day is read
with zoneinfo's fold=0 (the offset before the change), i.e. an hour later in wall-clock time.

A skip passes over the person whose turn it is: that turn goes to the next person and the order
continues from there (everyone after moves up by one). Time off does the same for each turn that
overlaps it, for the person away only (`away`): their turn goes to the next person not away, and the
order continues from there. An override puts someone on call for a fixed interval, cutting into
whatever turns it covers.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

UTC = dt.UTC

# Whoever is on call: a member, a PagerDuty person, a test's string. Anything hashable.
W = TypeVar("W", bound=Hashable)
Away = Mapping[W, Sequence[tuple[dt.datetime, dt.datetime]]]  # each person's time off: (start, end)


@dataclass(frozen=True)
class Slot(Generic[W]):
    """Someone (`who`, any hashable; None = nobody: a gap) on call from `start` to `end` (UTC)."""

    start: dt.datetime
    end: dt.datetime
    who: W | None
    override: bool = False
    # The native turn this slot is (part of): its identity, kept when an override trims it or a
    # skip gives it to someone else (calendar UIDs). None: an override, a gap, a PagerDuty shift.
    turn: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Cadence:
    start_date: dt.date
    handoff_time: dt.time
    period_days: int
    tz: ZoneInfo

    def turn_start(self, k: int) -> dt.datetime:
        day = self.start_date + dt.timedelta(days=k * self.period_days)
        return dt.datetime.combine(day, self.handoff_time, tzinfo=self.tz).astimezone(UTC)

    def turn_at(self, instant: dt.datetime) -> int:
        """The index of the turn in progress at `instant` (negative before the first turn)."""
        local_day = instant.astimezone(self.tz).date()
        k = (local_day - self.start_date).days // self.period_days
        while self.turn_start(k) > instant:
            k -= 1
        while self.turn_start(k + 1) <= instant:
            k += 1
        return k


class Order(Generic[W]):
    """Whose turn k is: the round robin, moved on by one for each skip at or before k and for each
    turn at or before k passed over because its person was away.

    Only turns that overlap someone's time off are looked at (in order, since each pass moves the
    order on for every later turn); everything else is arithmetic."""

    def __init__(
        self,
        cadence: Cadence,
        members: Sequence[W],
        *,
        skipped: Iterable[dt.datetime] = (),
        away: Away[W] | None = None,
        until: dt.datetime | None = None,
    ):
        self.cadence = cadence
        self.members = list(members)
        first = cadence.turn_start(0)
        self._skips = sorted({cadence.turn_at(t) for t in skipped if t >= first})
        self._away: dict[int, list[W]] = {}
        self._away_turns: list[int] = []
        self._away_counts: list[int] = []  # passes at turns up to and including _away_turns[i]
        if away and self.members:
            self._pass_over_away(away, first, until)

    def _pass_over_away(self, away: Away[W], first: dt.datetime, until: dt.datetime | None) -> None:
        n = len(self.members)
        candidates: set[int] = set()
        for intervals in away.values():
            for start, end in intervals:
                if end <= first or end <= start or (until is not None and start >= until):
                    continue
                last = self.cadence.turn_at(end - dt.timedelta(microseconds=1))
                if until is not None:
                    last = min(last, self.cadence.turn_at(until))
                candidates.update(range(max(self.cadence.turn_at(start), 0), last + 1))
        total = 0
        for k in sorted(candidates):
            start, end = self.cadence.turn_start(k), self.cadence.turn_start(k + 1)
            base = k + bisect.bisect_right(self._skips, k) + total
            passed: list[W] = []
            while len(passed) < n:
                who = self.members[(base + len(passed)) % n]
                if not any(s < end and e > start for s, e in away.get(who, ())):
                    break
                passed.append(who)
            if len(passed) == n:
                passed = []  # everyone is away: nobody to hand the turn to, it stays with its person
            if passed:
                total += len(passed)
                self._away[k] = passed
                self._away_turns.append(k)
                self._away_counts.append(total)

    def _away_before(self, k: int) -> int:
        """Turns passed over for time off at turns before k."""
        i = bisect.bisect_left(self._away_turns, k)
        return self._away_counts[i - 1] if i else 0

    def shift(self, k: int) -> int:
        return bisect.bisect_right(self._skips, k) + self._away_before(k) + len(self._away.get(k, ()))

    def who(self, k: int) -> W:
        return self.members[(k + self.shift(k)) % len(self.members)]

    def skipped(self, k: int) -> W | None:
        """The person a skip at turn k passed over (None: no skip at k)."""
        i = bisect.bisect_left(self._skips, k)
        if i == len(self._skips) or self._skips[i] != k:
            return None
        return self.members[(k + i + self._away_before(k)) % len(self.members)]

    def away(self, k: int) -> list[W]:
        """The people turn k passed over because they were away, in the order passed."""
        return list(self._away.get(k, ()))


def turns(
    cadence: Cadence,
    members: Sequence[W],
    *,
    since: dt.datetime,
    until: dt.datetime,
    skipped: Iterable[dt.datetime] = (),
    away: Away[W] | None = None,
) -> list[Slot[W]]:
    """Round-robin turns overlapping [since, until), not clipped. Before the first turn, or with
    no members, nobody is on call (a gap slot). `away`: each person's time off (start, end)."""
    if since >= until:
        return []
    first = cadence.turn_start(0)
    if not members:
        return [Slot(since, until, None)]
    order = Order(cadence, members, skipped=skipped, away=away, until=until)
    slots: list[Slot[W]] = []
    if since < first:
        slots.append(Slot(since, min(first, until), None))
    k = max(cadence.turn_at(since), 0)
    while (start := cadence.turn_start(k)) < until:
        slots.append(Slot(start, cadence.turn_start(k + 1), order.who(k), turn=k))
        k += 1
    return slots


def apply_overrides(slots: list[Slot[W]], overrides: Iterable[tuple[dt.datetime, dt.datetime, W]]) -> list[Slot[W]]:
    """Cut each override into the slots it covers; later overrides win where they overlap."""
    result = list(slots)
    for o_start, o_end, who in sorted(overrides, key=lambda o: o[0]):
        cut: list[Slot[W]] = []
        for slot in result:
            if slot.end <= o_start or slot.start >= o_end:
                cut.append(slot)
                continue
            if slot.start < o_start:
                cut.append(replace(slot, end=o_start))
            if slot.end > o_end:
                cut.append(replace(slot, start=o_end))
        cut.append(Slot(o_start, o_end, who, override=True))
        result = sorted(cut, key=lambda s: (s.start, s.end))
    return result


def on_call_at(slots: Iterable[Slot[W]], instant: dt.datetime) -> list[Slot[W]]:
    """Slots in progress at `instant` (several when shifts overlap)."""
    return [s for s in slots if s.start <= instant < s.end]


def merge_adjacent(slots: Sequence[Slot[W]]) -> list[Slot[W]]:
    """Join back-to-back slots of the same person (so an override by the on-call person, or a
    PagerDuty entry split by a layer boundary, is not a handoff)."""
    merged: list[Slot[W]] = []
    for slot in sorted(slots, key=lambda s: (s.start, s.end)):
        if merged and merged[-1].who == slot.who and merged[-1].end == slot.start:
            first = merged[-1]
            turn = first.turn if first.turn is not None else slot.turn
            merged[-1] = Slot(first.start, slot.end, slot.who, first.override or slot.override, turn=turn)
        else:
            merged.append(slot)
    return merged


def handoffs(
    slots: Sequence[Slot[W]], *, since: dt.datetime, until: dt.datetime
) -> list[tuple[dt.datetime, frozenset[W], frozenset[W]]]:
    """Instants in [since, until) where the set of people on call changes: (at, before, after).
    An empty set is a gap. Works with overlapping slots (a sweep over start and end events)."""
    events: dict[dt.datetime, list[tuple[int, W]]] = {}
    for s in slots:
        if s.who is not None and s.end > s.start:
            events.setdefault(s.start, []).append((1, s.who))
            events.setdefault(s.end, []).append((-1, s.who))
    active: Counter[W] = Counter()
    result: list[tuple[dt.datetime, frozenset[W], frozenset[W]]] = []
    for at in sorted(events):
        before = frozenset(active)
        for delta, who in events[at]:
            active[who] += delta
            if not active[who]:
                del active[who]
        after = frozenset(active)
        if before != after and since <= at < until:
            result.append((at, before, after))
    return result
