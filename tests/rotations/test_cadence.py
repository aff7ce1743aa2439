"""Native round-robin cadence: pure date math, DST-correct, with skips and one-off overrides."""

import datetime as dt
from zoneinfo import ZoneInfo

from rotations.cadence import Cadence, Slot, apply_overrides, handoffs, merge_adjacent, on_call_at, turns

NY = ZoneInfo("America/New_York")
UTC = dt.UTC


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def daily(start=dt.date(2026, 3, 5), tz=NY, period=1, at=dt.time(9, 0)):
    return Cadence(start_date=start, handoff_time=at, period_days=period, tz=tz)


def test_turns_go_round_robin_in_member_order():
    slots = turns(daily(), ["ana", "bo", "cy"], since=utc(2026, 3, 5, 14), until=utc(2026, 3, 9, 13))
    assert [s.who for s in slots] == ["ana", "bo", "cy", "ana"]


def test_the_handoff_stays_at_nine_local_across_the_spring_dst_change():
    # 2026-03-08 02:00 America/New_York jumps to 03:00 (EST -5 → EDT -4)
    slots = turns(daily(), ["ana", "bo"], since=utc(2026, 3, 6, 14), until=utc(2026, 3, 10, 12))
    local_starts = [s.start.astimezone(NY).strftime("%m-%d %H:%M") for s in slots]
    assert local_starts == ["03-06 09:00", "03-07 09:00", "03-08 09:00", "03-09 09:00"]
    assert [s.start.hour for s in slots] == [14, 14, 13, 13]  # UTC moves by an hour
    shortened = slots[1]
    assert shortened.end - shortened.start == dt.timedelta(hours=23)


def test_the_handoff_stays_at_nine_local_across_the_autumn_dst_change():
    cadence = daily(start=dt.date(2026, 10, 26), period=7)  # weekly on Mondays
    slots = turns(cadence, ["ana", "bo"], since=utc(2026, 10, 27), until=utc(2026, 11, 10))
    assert [s.start.astimezone(NY).strftime("%m-%d %H:%M") for s in slots] == [
        "10-26 09:00",
        "11-02 09:00",
        "11-09 09:00",
    ]
    assert slots[0].end - slots[0].start == dt.timedelta(days=7, hours=1)


def test_a_turn_in_progress_at_since_is_included_whole():
    slots = turns(daily(), ["ana", "bo"], since=utc(2026, 3, 5, 20), until=utc(2026, 3, 5, 21))
    assert slots == [Slot(utc(2026, 3, 5, 14), utc(2026, 3, 6, 14), "ana")]


def test_nobody_is_on_call_before_the_first_turn_or_without_members():
    assert turns(daily(), ["ana"], since=utc(2026, 3, 1), until=utc(2026, 3, 5, 14))[0].who is None
    assert turns(daily(), [], since=utc(2026, 3, 6), until=utc(2026, 3, 7)) == [
        Slot(utc(2026, 3, 6), utc(2026, 3, 7), None)
    ]


def test_a_skip_passes_the_turn_to_the_next_person_and_the_order_continues():
    cadence = daily()
    skipped = [cadence.turn_start(1)]  # bo's turn
    slots = turns(cadence, ["ana", "bo", "cy"], since=utc(2026, 3, 5, 14), until=utc(2026, 3, 9, 13), skipped=skipped)
    assert [s.who for s in slots] == ["ana", "cy", "ana", "bo"]


def test_an_override_cuts_into_the_turns_it_covers():
    slots = turns(daily(), ["ana", "bo"], since=utc(2026, 3, 5, 14), until=utc(2026, 3, 7, 13))
    result = apply_overrides(slots, [(utc(2026, 3, 6, 0), utc(2026, 3, 6, 18), "zed")])
    assert [(s.start.hour, s.end.hour, s.who) for s in result] == [(14, 0, "ana"), (0, 18, "zed"), (18, 14, "bo")]
    assert [s.who for s in on_call_at(result, utc(2026, 3, 6, 12))] == ["zed"]


def test_handoffs_list_each_change_of_person_including_gaps_and_overlaps():
    slots = [
        Slot(utc(2026, 1, 1, 0), utc(2026, 1, 1, 8), "ana"),
        Slot(utc(2026, 1, 1, 8), utc(2026, 1, 1, 10), "ana"),  # same person: no handoff
        Slot(utc(2026, 1, 1, 12), utc(2026, 1, 1, 20), "bo"),  # 10-12 is a gap
        Slot(utc(2026, 1, 1, 18), utc(2026, 1, 1, 22), "cy"),  # overlaps bo
    ]
    result = handoffs(merge_adjacent(slots), since=utc(2026, 1, 1, 1), until=utc(2026, 1, 2))
    assert [(at.hour, sorted(b), sorted(a)) for at, b, a in result] == [
        (10, ["ana"], []),
        (12, [], ["bo"]),
        (18, ["bo"], ["bo", "cy"]),
        (20, ["bo", "cy"], ["cy"]),
        (22, ["cy"], []),
    ]
