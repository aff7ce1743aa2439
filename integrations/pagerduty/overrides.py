"""Writing cover requests to PagerDuty as schedule overrides, exactly once (issue 25).

`override_write` puts a person on call for a window of a classic (v2) or shift-based (v3)
schedule and returns the override's id. It is safe to call again after anything went wrong:
- with the id already stored (`known_id`) it does nothing;
- else it lists the schedule's overrides for the window first and adopts an identical one (same
  person, same start, same end): a worker that died after PagerDuty created the override, before
  the id was stored, leaves exactly one override behind, not two;
- else it creates one.

`override_remove` undoes one as PagerDuty's classic schedules do: "deleted" (not started),
"cut" (in progress: now ends now) or "past" (over: left alone). An override already gone counts
as deleted, so a retried undo is harmless too.

A permanent refusal (a read-only key, an OAuth grant without `schedules.write`, a write PagerDuty
finds invalid) raises `WriteRefused` with a sentence a person can act on; PagerDuty's own words
follow in brackets, never its JSON. Transient trouble (429, 5xx, unreachable) raises the client's
errors as ever, for the caller's task to retry. HTTP stays in client.py; no Django model is used.
"""

from __future__ import annotations

import datetime as dt

from . import client as pd
from .client import Removed


class WriteRefused(Exception):
    """PagerDuty will not take this write, and retrying will not change that. `message` is a
    sentence to show; `code`: "read_only" (403: a read-only key or a grant without
    schedules.write), "unauthorized" (401), "invalid" (400), "not_found" (404), "not_in_plan"
    (402) or "no_shift" (a shift-based schedule with nobody on call to override)."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code


def override_write(
    client: pd.PagerDutyClient,
    *,
    schedule_id: str,
    kind: str,
    start: dt.datetime,
    end: dt.datetime,
    user_id: str,
    time_zone: str,
    known_id: str = "",
    overridden_user_id: str = "",
    first_try: bool = False,
) -> str:
    """Put PagerDuty user `user_id` on call in the schedule from `start` to `end`, exactly once;
    returns the override's id (store it at once). `kind` is "v2" (classic) or "v3" (shift-based).
    For v3 the override names the shift it replaces: the schedule is read for the window and the
    shift of `overridden_user_id` (the person who asked for cover; any person on call when not
    given) that overlaps it most is taken, with its rotation or custom shift. A retry (not
    `first_try`: an earlier attempt may have created it and died before its id was stored) lists
    the window's overrides first and adopts an identical one."""
    if known_id:
        return known_id
    try:
        for existing in [] if first_try else client.list_overrides(schedule_id, start, end, kind=kind):
            if _identical(existing, user_id=user_id, start=start, end=end):
                return str(existing["id"])
        # Shift-based: who and which shift is overridden; classic schedules name neither.
        shift = _shift_to_override(client, schedule_id, start, end, overridden_user_id) if kind == "v3" else {}
        created = client.create_override(
            schedule_id,
            kind=kind,
            start=start,
            end=end,
            user_id=user_id,
            time_zone=time_zone,
            overridden_user_id=shift.get("user_id", ""),
            rotation_id=shift.get("rotation_id", ""),
            custom_shift_id=shift.get("custom_shift_id", ""),
        )
    except pd.PagerDutyError as error:
        if not error.permanent:
            raise
        raise _refused(error, schedule_id, "change") from error
    return str(created["id"])


def override_remove(client: pd.PagerDutyClient, *, schedule_id: str, kind: str, override_id: str) -> Removed:
    """Undo an override: "deleted", "cut" (it was in progress and now ends now) or "past" (it was
    over: PagerDuty keeps history). One that is already gone (a retried undo) is "deleted"."""
    try:
        return client.delete_override(schedule_id, override_id, kind=kind)
    except pd.NotFound:
        return "deleted"
    except pd.PagerDutyError as error:
        if not error.permanent:
            raise
        raise _refused(error, schedule_id, "remove the override from") from error


def _identical(existing: dict, *, user_id: str, start: dt.datetime, end: dt.datetime) -> bool:
    return existing.get("user_id") == user_id and existing.get("start") == start and existing.get("end") == end


def _shift_to_override(
    client: pd.PagerDutyClient, schedule_id: str, start: dt.datetime, end: dt.datetime, person: str
) -> dict:
    """The shift-based schedule's assignment the override replaces: {user_id, rotation_id,
    custom_shift_id}. The person's assignment overlapping the window most wins; without one (or
    without a rotation or custom shift to name) there is nothing PagerDuty could override."""
    window = client.get_schedule_window(schedule_id, pd.iso_time(start), pd.iso_time(end), kind="v3")
    best: dict | None = None
    best_overlap = dt.timedelta(0)
    for entry in window["entries"]:
        if not entry.get("user_id") or (person and entry["user_id"] != person):
            continue
        if not (entry.get("rotation_id") or entry.get("custom_shift_id")):
            continue
        overlap = min(entry["end"], end) - max(entry["start"], start)
        if overlap > best_overlap:
            best, best_overlap = entry, overlap
    if best is None:
        whom = "the person asking for cover is" if person else "nobody is"
        raise WriteRefused(
            f"PagerDuty's schedule {schedule_id} has no shift to override from {pd.iso_time(start)} to "
            f"{pd.iso_time(end)}: {whom} not on call in it then.",
            "no_shift",
        )
    return {
        "user_id": str(best["user_id"]),
        "rotation_id": str(best.get("rotation_id") or ""),
        "custom_shift_id": "" if best.get("rotation_id") else str(best.get("custom_shift_id") or ""),
    }


def _refused(error: pd.PagerDutyError, schedule_id: str, doing: str) -> WriteRefused:
    """A permanent PagerDuty error as a sentence saying what to do about it."""
    said = f" (PagerDuty said: {error.said})" if error.said else ""
    if isinstance(error, pd.Forbidden):
        return WriteRefused(
            f"PagerDuty did not let Roster {doing} schedule {schedule_id}: the connection may only read. "
            "Use a REST API key with full access, or reconnect with OAuth and tick "
            f"“Let Roster write overrides for cover requests” (schedules.write).{said}",
            "read_only",
        )
    if isinstance(error, pd.Unauthorized):
        return WriteRefused(
            "PagerDuty no longer accepts Roster's credentials (revoked or expired); an admin must reconnect PagerDuty.",
            "unauthorized",
        )
    if isinstance(error, pd.PaymentRequired):
        return WriteRefused(
            f"PagerDuty's plan for this account does not allow Roster to {doing} schedule {schedule_id}.{said}",
            "not_in_plan",
        )
    if isinstance(error, pd.NotFound):
        return WriteRefused(
            f"PagerDuty has no schedule {schedule_id} any more (deleted, or not visible to Roster's credentials).",
            "not_found",
        )
    return WriteRefused(f"PagerDuty refused to {doing} schedule {schedule_id}.{said}", "invalid")
