"""Cover requests and swaps (issue 25): plain functions the API, pages, Slack and tasks call.

- `cover_request_create` (ask), `cover_request_cancel` (a taken one's overrides are removed first),
  `cover_requests_expire` / `cover_requests_warn_expiring` (beat, every minute): see each docstring.
- `cover_request_take`: another member takes it until its end (one in progress is covered from
  the take on: its start becomes the take's moment), atomically (one conditional UPDATE: of two people
  at once exactly one wins; the other hears who was faster), optionally as a swap (one of the taker's
  own future shifts goes back to the requester). Then the schedule changes at once:
  native rotation → Roster overrides (claim and overrides in one transaction);
  PagerDuty-bound → `integrations.pagerduty.overrides.override_write` (exactly once: each id is stored
  as soon as PagerDuty answers, and a retry adopts an identical override), then shown on the rotation
  at once and a re-read of the schedule queued (`_show_written`) so everything that follows it moves.
  A refused write (a read-only key, an OAuth grant without schedules.write, a taker without a
  PagerDuty user) puts the request back to `open` with a sentence saying why and where to change the
  schedule in PagerDuty; transient trouble (429, 5xx) leaves it `taken` with `apply_state="pending"`
  and `covers.tasks.apply_cover` retries with the client's retry policy; refused then (or never
  reached), the request is open again and the event "failed" tells the taker and the requester.

Every ask, take, swap, cancel and expiry is audited (provider "roster") and sends
`covers.signals.cover_request_changed` once committed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.actor import SYSTEM, Actor, acting_user
from accounts.audit import audit_record
from accounts.refusal import Refusal
from config.celery import enqueue_or_log
from config.signals import send_on_commit
from integrations.pagerduty import client as pd
from integrations.pagerduty.models import PagerDutyConnection
from integrations.pagerduty.overrides import WriteRefused, override_remove, override_write
from integrations.pagerduty.selectors import get_connection
from integrations.pagerduty.services import client_for
from rotations import selectors as rotation_selectors
from rotations import services as rotation_services
from rotations import sync as rotation_sync
from rotations import tasks as rotation_tasks
from rotations.models import Member, Override, PagerDutyUser, Rotation

from . import signals
from .models import CoverRequest

if TYPE_CHECKING:
    from django.http import HttpRequest

log = logging.getLogger(__name__)

NOTE_MAX = 500
NATIVE_AHEAD = dt.timedelta(days=93)  # how far ahead a native rotation's cover may end (as GET /shifts reads)
START_GRACE = dt.timedelta(minutes=1)  # "now" typed a moment ago is still now
EXPIRY_WARNING = dt.timedelta(hours=1)  # "nobody has taken it" this long before the start (if asked earlier)
TRANSIENT = (pd.RateLimited, pd.Unavailable)
# What a taker reads while the take waits for PagerDuty (apply_state "pending"): covers.tasks.apply_cover
# retries as PagerDuty allows (its Retry-After), so no time can be promised, and it may be refused.
PENDING_SAID = (
    "PagerDuty is busy, so Roster writes it to PagerDuty as soon as PagerDuty lets it; if PagerDuty refuses it, "
    "you are told and the request is open again."
)


class CoverError(Refusal):
    """A cover request rule refused the change; `field` is "start", "end", "note", "requester", "taker",
    "swap" or None."""


# --- helpers ----------------------------------------------------------------------------------


def _when(moment: dt.datetime, rotation: Rotation) -> str:
    """A moment as people of the rotation read it: 2026-03-02 09:00 CET."""
    return moment.astimezone(rotation.tz).strftime("%Y-%m-%d %H:%M %Z")


def _window_text(start: dt.datetime, end: dt.datetime, rotation: Rotation) -> str:
    return f"{_when(start, rotation)} to {_when(end, rotation)}"


def _moment(value: dt.datetime, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise CoverError(f"The {field} must be a date and time with its time zone.", field=field)
    try:
        return value.astimezone(dt.UTC).replace(microsecond=0)  # PagerDuty keeps whole seconds
    except OverflowError as error:  # the very edge of the calendar (year 1 or 9999 in another zone)
        raise CoverError(f"The {field} is not a date Roster can use.", field=field) from error


def _on_commit(event: str, cover_request_id: int) -> None:
    send_on_commit(signals.cover_request_changed, event=event, cover_request_id=cover_request_id)


def _audit(cover_request: CoverRequest, action: str, summary: str, actor: Actor | None, **detail) -> None:
    audit_record(
        organization=cover_request.organization,
        provider="roster",
        action=f"cover_request.{action}",
        summary=summary,
        actor=actor,
        detail={"cover_request_id": cover_request.pk, "rotation_id": cover_request.rotation_id, **detail},
    )


def _check_on_call(
    rotation: Rotation,
    member: Member,
    start: dt.datetime,
    end: dt.datetime,
    advice: str,
    *,
    field: str | None = None,
    still: bool = False,
) -> None:
    """The rule of an ask, of its take (`still`: the schedule may have moved since) and of a swap's
    shift given back: `member` is on call in some of [start, end), else 409 `not_on_call`."""
    slots = rotation_selectors.timeline(rotation, since=start, until=end)
    if not any(slot.who is not None and slot.who.member_id == member.pk for slot in slots):
        raise CoverError(
            f"{member.name} is {'no longer' if still else 'not'} on call in {rotation.name} from "
            f"{_window_text(start, end, rotation)}: {advice}",
            "not_on_call",
            status=409,
            field=field,
        )


def _fresh_rotation(rotation_id: int) -> Rotation:
    """The rotation without prefetched rows (its timeline read from the database as it is now)."""
    return Rotation.objects.select_related("organization").get(pk=rotation_id)


def _check_window(rotation: Rotation, start: dt.datetime, end: dt.datetime, *, now: dt.datetime, swap: bool) -> None:
    start_field, end_field = ("swap", "swap") if swap else ("start", "end")
    if end <= start:
        raise CoverError("The end must be after the start.", "invalid_range", status=422, field=end_field)
    if start < now - START_GRACE:
        what = "shift given back" if swap else "cover"
        raise CoverError(f"The {what} must start now or later.", "in_the_past", status=409, field=start_field)
    if rotation.is_bound:
        horizon = now + dt.timedelta(days=settings.ROSTER_SYNC_LOOKAHEAD_DAYS)
        if end > horizon:
            raise CoverError(
                f"Roster knows PagerDuty's schedule up to {_when(horizon, rotation)} "
                f"({settings.ROSTER_SYNC_LOOKAHEAD_DAYS} days ahead): choose a time before then.",
                "too_far_ahead",
                status=409,
                field=end_field,
            )
    elif end > now + NATIVE_AHEAD:
        message = f"A cover can end at most {NATIVE_AHEAD.days} days ahead."
        raise CoverError(message, "too_far_ahead", status=409, field=end_field)


def may_cancel(*, cover_request: CoverRequest, member: Member | None, is_admin: bool) -> bool:
    """The requester or an organization admin may cancel."""
    return is_admin or (member is not None and member.pk == cover_request.requester_id)


# --- ask ----------------------------------------------------------------------------------------


def cover_request_create(
    *, rotation: Rotation, requester: Member, start: dt.datetime, end: dt.datetime, note: str = "", actor: Actor
) -> CoverRequest:
    """Ask for cover from `start` to `end` (part of a shift is fine). The requester must be a member
    of the rotation, on call in some of the window; the window starts now or later, ends after it
    starts, within what Roster knows of the schedule; one person's open requests do not overlap."""
    now = timezone.now()
    start, end = _moment(start, "start"), _moment(end, "end")
    note = (note or "").strip()
    if requester.rotation_id != rotation.pk:
        raise CoverError(
            "The person asking must be a member of this rotation.", "not_a_member", status=409, field="requester"
        )
    if len(note) > NOTE_MAX:
        raise CoverError(f"A note can be at most {NOTE_MAX} characters.", field="note")
    fresh = _fresh_rotation(rotation.pk)
    _check_window(fresh, start, end, now=now, swap=False)
    _check_on_call(fresh, requester, start, end, "choose a time in one of their shifts.", field="start")
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=requester.pk).first()  # one ask at a time per person
        overlapping = CoverRequest.objects.filter(
            rotation=fresh, requester=requester, status=CoverRequest.Status.OPEN, start__lt=end, end__gt=start
        ).first()
        if overlapping is not None:
            raise CoverError(
                f"{requester.name} already asked for cover from "
                f"{_window_text(overlapping.start, overlapping.end, fresh)}: cancel that request first.",
                "overlapping_request",
                status=409,
                field="start",
            )
        cover_request = CoverRequest.objects.create(
            organization_id=fresh.organization_id,
            rotation=fresh,
            requester=requester,
            requester_name=requester.name[:200],
            requester_email=requester.email[:254],
            start=start,
            end=end,
            note=note,
            created_by=actor.label[:254],
        )
        _audit(
            cover_request,
            "created",
            f"{requester.name} asked for cover in {fresh.name} from {_window_text(start, end, fresh)}",
            actor,
        )
        _on_commit("created", cover_request.pk)
    return cover_request


# --- take ---------------------------------------------------------------------------------------


def _load(cover_request_id: int) -> CoverRequest:
    cover_request = (
        CoverRequest.objects.select_related("rotation", "organization", "requester").filter(pk=cover_request_id).first()
    )
    if cover_request is None:
        raise CoverError("There is no such cover request.", "not_found", status=404)
    return cover_request


def _not_open(cover_request: CoverRequest, taker: Member | None = None) -> CoverError:
    """Why a request that is no longer open cannot be taken (by `taker`) or cancelled."""
    if cover_request.status == CoverRequest.Status.TAKEN and taker is not None and cover_request.taker_id == taker.pk:
        return CoverError("You already took it.", "already_taken", status=409)
    if cover_request.status == CoverRequest.Status.TAKEN:
        who = cover_request.taker_name or "Someone"
        return CoverError(f"{who} took it first.", "already_taken", status=409)
    if cover_request.status == CoverRequest.Status.CANCELLED:
        return CoverError("This cover request was cancelled.", "not_open", status=409)
    if cover_request.status == CoverRequest.Status.EXPIRED:
        return CoverError("This cover request expired: it ended before anyone took it.", "not_open", status=409)
    return CoverError("This cover request ended before anyone took it.", "not_open", status=409)


def cover_request_take(
    *, cover_request_id: int, taker: Member, swap: tuple[dt.datetime, dt.datetime] | None = None, actor: Actor
) -> CoverRequest:
    """`taker` covers the request until its end (one in progress from now on); with `swap` (start, end),
    one of the taker's own future shifts (or part of one) goes back to the requester: both changes are
    made, or neither.

    Raises CoverError: 409 `already_taken` ("<Name> took it first.") for the loser of a race ("You
    already took it." to its winner), 409 `not_open` (cancelled, expired or ended), 409 `not_on_call` (the shift moved: the
    requester is no longer on call then), 409 `write_refused` (PagerDuty refused the write:
    the request is open again, its `apply_message` says why), 409 `no_pagerduty_user`, 400 for a rule
    about the input. A transient PagerDuty error returns the request with `apply_state="pending"`:
    `covers.tasks.apply_cover` finishes it."""
    now = timezone.now()
    cover_request = _load(cover_request_id)
    rotation = _fresh_rotation(cover_request.rotation_id)
    if cover_request.status != CoverRequest.Status.OPEN or cover_request.end <= now:
        raise _not_open(cover_request, taker)
    cover_request.start = max(cover_request.start, now.replace(microsecond=0))  # one in progress: from now on
    if taker.rotation_id != rotation.pk:
        raise CoverError("Only a member of this rotation can take it.", "not_a_member", status=403, field="taker")
    if taker.pk == cover_request.requester_id or taker.email.casefold() == cover_request.requester_email.casefold():
        raise CoverError(
            "You asked for this cover: someone else has to take it.", "own_request", status=409, field="taker"
        )
    if cover_request.requester is not None:
        try:
            _check_on_call(
                rotation,
                cover_request.requester,
                cover_request.start,
                cover_request.end,
                "the schedule changed since they asked, so there is nothing to cover. "
                "They can cancel this request and ask again.",
                still=True,
            )
        except CoverError:
            if (latest := _load(cover_request.pk)).status != CoverRequest.Status.OPEN:
                raise _not_open(latest, taker) from None  # what moved the shift was someone taking it first
            raise
    swap_window = None
    if swap is not None:
        swap_window = (_moment(swap[0], "swap"), _moment(swap[1], "swap"))
        _check_swap(cover_request, rotation, taker, swap_window, now=now)

    if rotation.is_bound:
        checked = _check_pagerduty_people(cover_request, rotation, taker, swap_window)
        return _take_bound(cover_request, rotation, taker, swap_window, checked, now=now, actor=actor)
    return _take_native(cover_request, rotation, taker, swap_window, now=now, actor=actor)


def _check_swap(
    cover_request: CoverRequest,
    rotation: Rotation,
    taker: Member,
    window: tuple[dt.datetime, dt.datetime],
    *,
    now: dt.datetime,
) -> None:
    start, end = window
    _check_window(rotation, start, end, now=now, swap=True)
    if cover_request.requester is None:
        raise CoverError(
            f"{cover_request.requester_name} is no longer a member of this rotation: take it without a swap.",
            "requester_left",
            status=409,
            field="swap",
        )
    if start < cover_request.end and end > cover_request.start:
        raise CoverError(
            "The shift given back cannot overlap the cover itself.", "swap_overlaps", status=409, field="swap"
        )
    _check_on_call(rotation, taker, start, end, "a swap gives back one of your own shifts.", field="swap")


def _claim(
    cover_request: CoverRequest,
    taker: Member,
    swap: tuple[dt.datetime, dt.datetime] | None,
    *,
    now: dt.datetime,
    actor: Actor,
    apply_state: str,
) -> CoverRequest:
    """The one conditional UPDATE that decides who takes it: of two takers at once exactly one
    changes the row (with the cover's start: now for one in progress); the other reads who was faster."""
    claimed = CoverRequest.objects.filter(pk=cover_request.pk, status=CoverRequest.Status.OPEN, end__gt=now).update(
        status=CoverRequest.Status.TAKEN,
        start=cover_request.start,
        taker=taker,
        taker_name=taker.name[:200],
        taker_email=taker.email[:254],
        swap_start=swap[0] if swap else None,
        swap_end=swap[1] if swap else None,
        taken_at=now,
        taken_by=actor.label[:254],
        apply_state=apply_state,
        apply_message="",
        pagerduty_override_id="",
        swap_override_id="",
        updated_at=now,
    )
    if not claimed:
        raise _not_open(_load(cover_request.pk), taker)
    return _load(cover_request.pk)


def _audit_taken(cover_request: CoverRequest, rotation: Rotation, actor: Actor) -> None:
    cover = _window_text(cover_request.start, cover_request.end, rotation)
    if cover_request.is_swap:
        assert cover_request.swap_start is not None and cover_request.swap_end is not None
        given = _window_text(cover_request.swap_start, cover_request.swap_end, rotation)
        action = "swapped"
        summary = (
            f"{cover_request.taker_name} swapped with {cover_request.requester_name} in {rotation.name}: "
            f"covers {cover}, gives back {given}"
        )
    else:
        action = "taken"
        summary = f"{cover_request.taker_name} took {cover_request.requester_name}'s cover in {rotation.name}: {cover}"
    _audit(cover_request, action, summary, actor, taker=cover_request.taker_email)


def _take_native(
    cover_request: CoverRequest,
    rotation: Rotation,
    taker: Member,
    swap: tuple[dt.datetime, dt.datetime] | None,
    *,
    now: dt.datetime,
    actor: Actor,
) -> CoverRequest:
    """Claim and Roster overrides in one transaction: both changes of a swap, or nothing."""
    with transaction.atomic():
        taken = _claim(cover_request, taker, swap, now=now, actor=actor, apply_state=CoverRequest.Apply.APPLIED)
        try:
            override = rotation_services.override_create(
                rotation=rotation, member_id=taker.pk, start=taken.start, end=taken.end
            )
            swapped = None
            if swap is not None:
                assert taken.requester_id is not None
                swapped = rotation_services.override_create(
                    rotation=rotation, member_id=taken.requester_id, start=swap[0], end=swap[1]
                )
        except rotation_services.RotationError as error:
            raise CoverError(error.message, error.code) from error
        CoverRequest.objects.filter(pk=taken.pk).update(native_override=override, swap_native_override=swapped)
        taken.native_override, taken.swap_native_override = override, swapped
        _audit_taken(taken, rotation, actor)
        _on_commit("taken", taken.pk)
    return taken


# --- PagerDuty ----------------------------------------------------------------------------------


def refused_sentence(reason: str, rotation: Rotation) -> str:
    """Why Roster did not change the schedule, and where a person can: at most 500 characters."""
    url = rotation.pagerduty_schedule_url
    suffix = " You can change the schedule in PagerDuty instead" + (f": {url}" if url else ".")
    reason = reason.strip()
    if len(reason) + len(suffix) > 500:
        reason = reason[: 499 - len(suffix)] + "…"
    return reason + suffix


def _client(rotation: Rotation) -> pd.PagerDutyClient:
    """A client with the organization's PagerDuty connection (its `on_override_write` records the
    card's "Write overrides" capability), or WriteRefused saying why there is none."""
    connection = get_connection(rotation.organization)
    if connection is None:
        raise WriteRefused(
            f"PagerDuty is not connected, so Roster cannot change schedule {rotation.pagerduty_schedule_id}.",
            "not_connected",
        )
    if connection.status == PagerDutyConnection.Status.NEEDS_REAUTH:
        raise WriteRefused(
            "PagerDuty needs re-authorization (Settings → Integrations) before Roster can change its schedules.",
            "unauthorized",
        )
    if connection.status == PagerDutyConnection.Status.INVALID:
        raise WriteRefused(
            "PagerDuty refused Roster's stored credentials (Settings → Integrations): an admin must reconnect it.",
            "unauthorized",
        )
    return client_for(connection)


def _pagerduty_user(organization_id: int, member: Member, client: pd.PagerDutyClient) -> str:
    """The PagerDuty user id of `member`, matched by email as the sync does: the sync's directory
    first, then `GET /users?query=`. "" when PagerDuty has none."""
    email = member.email.strip()
    row = (
        PagerDutyUser.objects.filter(organization_id=organization_id, email__iexact=email)
        .order_by("-fetched_at")
        .first()
    )
    if row is not None:
        return row.pagerduty_id
    found = client.find_user_by_email(email)
    if not found or not found.get("id"):
        return ""
    user_id = str(found["id"])
    PagerDutyUser.objects.update_or_create(
        organization_id=organization_id,
        pagerduty_id=user_id,
        defaults={
            "name": str(found.get("name") or found.get("summary") or member.name)[:200],
            "email": email.lower()[:254],
            "fetched_at": timezone.now(),
        },
    )
    return user_id


def _no_pagerduty_user(member_name: str, member_email: str) -> str:
    return (
        f"{member_name} has no PagerDuty user with the email {member_email}, so Roster cannot put them on "
        "call in PagerDuty's schedule. Add them to PagerDuty with that email (or change it there to match)."
    )


def _check_pagerduty_people(
    cover_request: CoverRequest, rotation: Rotation, taker: Member, swap: tuple[dt.datetime, dt.datetime] | None
) -> Checked | None:
    """Before anything is written: the taker (and, for a swap, the requester) must be PagerDuty
    users, and the connection usable. Refused in plain words; the request stays open. PagerDuty
    unreachable for the lookup: None, the claim goes ahead and the apply task looks again."""
    try:
        client = _client(rotation)
    except WriteRefused as refused:
        raise _refuse_open(cover_request, rotation, refused.message) from refused
    people = [(taker.name, taker.email, taker)]
    if swap is not None and cover_request.requester is not None:
        people.append((cover_request.requester_name, cover_request.requester_email, cover_request.requester))
    ids = []
    for name, email, member in people:
        try:
            found = _pagerduty_user(rotation.organization_id, member, client)
        except pd.PagerDutyError as error:  # transient (429, 5xx): None
            if error.permanent:
                raise _refuse_open(cover_request, rotation, error.message) from error
            return None
        if not found:
            sentence = refused_sentence(_no_pagerduty_user(name, email), rotation)
            raise CoverError(sentence, "no_pagerduty_user", status=409, field="taker")
        ids.append(found)
    return Checked(client, taker_id=ids[0], requester_id=ids[1] if len(ids) > 1 else None)


@dataclass
class Checked:
    """What the take's checks found, so its first write does not look it up again."""

    client: pd.PagerDutyClient
    taker_id: str
    requester_id: str | None  # looked up only for a swap


def _refuse_open(cover_request: CoverRequest, rotation: Rotation, reason: str) -> CoverError:
    """Record on an open request why its take was refused (it stays open); the error to raise."""
    sentence = refused_sentence(reason, rotation)
    CoverRequest.objects.filter(pk=cover_request.pk, status=CoverRequest.Status.OPEN).update(
        apply_state=CoverRequest.Apply.REFUSED, apply_message=sentence, updated_at=timezone.now()
    )
    return CoverError(sentence, "write_refused", status=409)


def _take_bound(
    cover_request: CoverRequest,
    rotation: Rotation,
    taker: Member,
    swap: tuple[dt.datetime, dt.datetime] | None,
    checked: Checked | None,
    *,
    now: dt.datetime,
    actor: Actor,
) -> CoverRequest:
    with transaction.atomic():
        taken = _claim(cover_request, taker, swap, now=now, actor=actor, apply_state=CoverRequest.Apply.PENDING)
        _audit_taken(taken, rotation, actor)
    try:
        outcome = _apply_bound(taken.pk, first_try=(taken, rotation, checked) if checked else None, taking=True)
    except TRANSIENT as error:
        log.info("Cover request %s: PagerDuty busy (%s); the task retries", taken.pk, error.code)
        from . import tasks  # tasks imports this module

        # Queued without raising: with the broker down, beat's `expire` queues it later.
        what = f"the apply of cover request {taken.pk}; beat will"
        transaction.on_commit(lambda: enqueue_or_log(tasks.apply_cover, taken.pk, what=what))
        outcome = _load(taken.pk)
    if outcome.status == CoverRequest.Status.OPEN:  # refused: open again, with the sentence
        raise CoverError(outcome.apply_message, "write_refused", status=409)
    if outcome.status == CoverRequest.Status.TAKEN:
        _on_commit("taken", outcome.pk)
    return outcome


PENDING_STALE = dt.timedelta(minutes=20)  # longer than the apply task's longest wait between tries (15 min)


def cover_requests_pending_lost(*, now: dt.datetime | None = None) -> list[int]:
    """Taken requests still pending that no apply task has tried for PENDING_STALE (its message was
    lost: the broker was down when the take queued it): beat queues them again."""
    now = now or timezone.now()
    return list(
        CoverRequest.objects.filter(
            status=CoverRequest.Status.TAKEN, apply_state=CoverRequest.Apply.PENDING, updated_at__lt=now - PENDING_STALE
        ).values_list("pk", flat=True)
    )


def cover_request_apply(*, cover_request_id: int) -> CoverRequest | None:
    """Write a taken request's change to PagerDuty (the task's work): does nothing unless it is
    `taken` and `pending`. Raises RateLimited/Unavailable for the task to retry; a refusal puts it
    back to `open` with the sentence. None when the row is gone."""
    if not CoverRequest.objects.filter(pk=cover_request_id).exists():
        return None
    outcome = _apply_bound(cover_request_id)
    if outcome.status == CoverRequest.Status.TAKEN and outcome.apply_state == CoverRequest.Apply.APPLIED:
        _on_commit("taken", outcome.pk)  # told now that the schedule changed, not at the next sweep
    return outcome


def _update_taken(cover_request_id: int, **fields) -> bool:
    """Change a request (and its `updated_at`) only while it is taken; False when it no longer is
    (cancelled meanwhile: a caller that stores a written override's id removes what it wrote)."""
    taken = CoverRequest.objects.filter(pk=cover_request_id, status=CoverRequest.Status.TAKEN)
    return bool(taken.update(**fields, updated_at=timezone.now()))


def _apply_bound(
    cover_request_id: int, *, first_try: tuple[CoverRequest, Rotation, Checked] | None = None, taking: bool = False
) -> CoverRequest:
    """Write a taken request's overrides. `first_try`: the take's own attempt, with the request it
    just claimed, its rotation and what its checks found; nothing can have been written before (a
    retry first looks for what an earlier try wrote). `taking`: the take's own attempt, even without
    its checks (PagerDuty was busy for them): its taker hears a refusal at once, so it did not "fail"."""
    if first_try is not None:
        cover_request, rotation, checked = first_try
    else:
        cover_request, checked = _load(cover_request_id), None
        if cover_request.status != CoverRequest.Status.TAKEN or cover_request.apply_state != CoverRequest.Apply.PENDING:
            return cover_request
        _update_taken(cover_request.pk)  # a task is trying (see cover_requests_pending_lost)
        rotation = _fresh_rotation(cover_request.rotation_id)
    schedule_id, kind = rotation.pagerduty_schedule_id, rotation.pagerduty_schedule_kind or "v2"
    try:
        if not schedule_id:
            raise WriteRefused("This rotation no longer follows a PagerDuty schedule.", "not_found")
        client = checked.client if checked else _client(rotation)
        taker_id = checked.taker_id if checked else _written_pagerduty_id(cover_request, rotation, client, taker=True)
        if checked and checked.requester_id is not None:
            requester_id = checked.requester_id
        elif kind == "v3" or cover_request.is_swap:
            requester_id = _written_pagerduty_id(cover_request, rotation, client, taker=False)
        else:
            requester_id = ""
        override_id = override_write(
            client,
            schedule_id=schedule_id,
            kind=kind,
            start=cover_request.start,
            end=cover_request.end,
            user_id=taker_id,
            time_zone=rotation.time_zone,
            known_id=cover_request.pagerduty_override_id,
            overridden_user_id=requester_id,
            first_try=first_try is not None,
        )
        if override_id != cover_request.pagerduty_override_id:
            if not _update_taken(cover_request.pk, pagerduty_override_id=override_id):
                _remove_quietly(client, rotation, override_id)
                return _load(cover_request.pk)
            cover_request.pagerduty_override_id = override_id
        if cover_request.is_swap:
            assert cover_request.swap_start is not None and cover_request.swap_end is not None
            try:
                swap_id = override_write(
                    client,
                    schedule_id=schedule_id,
                    kind=kind,
                    start=cover_request.swap_start,
                    end=cover_request.swap_end,
                    user_id=requester_id,
                    time_zone=rotation.time_zone,
                    known_id=cover_request.swap_override_id,
                    overridden_user_id=taker_id,
                    first_try=first_try is not None,
                )
            except WriteRefused as swap_refused:
                # Both or neither: the cover written first goes (a failure to reach PagerDuty stays
                # pending). If PagerDuty refuses to take it back, it is a cover, not a swap: say so.
                try:
                    _remove(client, rotation, override_id)
                except WriteRefused as kept:
                    return _kept_as_cover(cover_request, rotation, taker_id, swap_refused.message, kept.message)
                CoverRequest.objects.filter(pk=cover_request.pk).update(pagerduty_override_id="")
                raise
            if swap_id != cover_request.swap_override_id and not _update_taken(
                cover_request.pk, swap_override_id=swap_id
            ):
                _remove_quietly(client, rotation, swap_id)
                return _load(cover_request.pk)
    except WriteRefused as refused:
        return _reopen(cover_request, rotation, refused.message, pending=not taking)
    except pd.PagerDutyError as error:  # e.g. the user look-up refused: a sentence, not a stuck request
        if not error.permanent:
            raise
        return _reopen(cover_request, rotation, error.message, pending=not taking)
    _update_taken(cover_request.pk, apply_state=CoverRequest.Apply.APPLIED, apply_message="")
    _show_written(cover_request, rotation, taker_id, requester_id)
    return _load(cover_request.pk)


def _show_written(cover_request: CoverRequest, rotation: Rotation, taker_id: str, requester_id: str) -> None:
    """The overrides just written, shown on the rotation at once (its shifts, then Slack, calendars
    and handoffs), and a re-read of the schedule queued to confirm them from PagerDuty: the take does
    not wait for a whole schedule to be read and compared."""
    shown = [(cover_request.start, cover_request.end, taker_id)]
    if cover_request.is_swap:
        assert cover_request.swap_start is not None and cover_request.swap_end is not None
        shown.append((cover_request.swap_start, cover_request.swap_end, requester_id))
    for start, end, user_id in shown:
        rotation_sync.show_override(
            organization_id=rotation.organization_id,
            schedule_id=rotation.pagerduty_schedule_id,
            start=start,
            end=end,
            pagerduty_user_id=user_id,
        )
    rotation_tasks.request_reread(organization_id=rotation.organization_id, schedule_id=rotation.pagerduty_schedule_id)


def _written_pagerduty_id(
    cover_request: CoverRequest, rotation: Rotation, client: pd.PagerDutyClient, *, taker: bool
) -> str:
    """The taker's PagerDuty user (WriteRefused when there is none), or the requester's: whose shift a
    shift-based override replaces, and who gets the swap's shift. The requester's is only needed for
    a swap (without it, "" lets a v3 override pick who is on call)."""
    if taker:
        member, name, email = cover_request.taker, cover_request.taker_name, cover_request.taker_email
    else:
        member, name, email = cover_request.requester, cover_request.requester_name, cover_request.requester_email
    found = _pagerduty_user(rotation.organization_id, member or Member(name=name, email=email), client)
    if not found and (taker or cover_request.is_swap):
        raise WriteRefused(_no_pagerduty_user(name, email))
    return found


def _remove(client: pd.PagerDutyClient, rotation: Rotation, override_id: str) -> str:
    return override_remove(
        client,
        schedule_id=rotation.pagerduty_schedule_id,
        kind=rotation.pagerduty_schedule_kind or "v2",
        override_id=override_id,
    )


def _remove_quietly(client: pd.PagerDutyClient, rotation: Rotation, override_id: str) -> None:
    """A request cancelled while its override was being written: take the override back."""
    try:
        _remove(client, rotation, override_id)
    except (pd.PagerDutyError, WriteRefused) as error:
        log.warning(
            "Could not remove override %s of schedule %s: %s", override_id, rotation.pagerduty_schedule_id, error
        )


def _kept_as_cover(
    cover_request: CoverRequest, rotation: Rotation, taker_id: str, swap_reason: str, keep_reason: str
) -> CoverRequest:
    """A swap whose second override PagerDuty refused, and whose first it would not take back: what
    PagerDuty holds is a cover, so the request is taken as one (no swap), saying what happened."""
    sentence = refused_sentence(
        f"{cover_request.taker_name} covers {_window_text(cover_request.start, cover_request.end, rotation)}, "
        f"but the swap is not made: PagerDuty refused the shift given back ({swap_reason.rstrip('.')}) and "
        f"would not take the cover back ({keep_reason.rstrip('.')}).",
        rotation,
    )
    _update_taken(
        cover_request.pk,
        swap_start=None,
        swap_end=None,
        swap_override_id="",
        apply_state=CoverRequest.Apply.APPLIED,
        apply_message=sentence,
    )
    _audit(cover_request, "swap_refused", f"Swap in {rotation.name} kept as a cover: {sentence}", SYSTEM)
    kept = _load(cover_request.pk)
    _show_written(kept, rotation, taker_id, "")
    return kept


def _reopen(cover_request: CoverRequest, rotation: Rotation, reason: str, *, pending: bool = True) -> CoverRequest:
    """PagerDuty refused: the request is open again, with the sentence (and nothing written).
    `pending`: the taker was told the take was under way, so it "failed" (taker and requester hear it)."""
    sentence = refused_sentence(reason, rotation)
    taker = {"failed_taker_name": cover_request.taker_name, "failed_taker_email": cover_request.taker_email}
    failed = {"take_failed_at": timezone.now(), **taker} if pending else {}
    with transaction.atomic():
        reopened = _update_taken(
            cover_request.pk,
            status=CoverRequest.Status.OPEN,
            taker=None,
            taker_name="",
            taker_email="",
            swap_start=None,
            swap_end=None,
            taken_at=None,
            taken_by="",
            apply_state=CoverRequest.Apply.REFUSED,
            apply_message=sentence,
            pagerduty_override_id="",
            swap_override_id="",
            **failed,
        )
        if reopened:
            _audit(
                cover_request,
                "refused",
                f"PagerDuty did not take {cover_request.taker_name}'s cover in {rotation.name}: open again",
                SYSTEM,
                reason=sentence,
            )
            if failed:
                _on_commit("failed", cover_request.pk)
    return _load(cover_request.pk)


def cover_request_apply_gave_up(*, cover_request_id: int, error: Exception) -> CoverRequest | None:
    """The task's retries ran out (PagerDuty unreachable for long): whatever was written is taken
    back when possible and the request is open again, saying so."""
    cover_request = CoverRequest.objects.select_related("rotation").filter(pk=cover_request_id).first()
    if cover_request is None or cover_request.status != CoverRequest.Status.TAKEN:
        return cover_request
    rotation = _fresh_rotation(cover_request.rotation_id)
    try:
        client = _client(rotation)
        for override_id in (cover_request.pagerduty_override_id, cover_request.swap_override_id):
            if override_id:
                _remove(client, rotation, override_id)
    except (pd.PagerDutyError, WriteRefused) as failed:
        log.warning("Cover request %s: could not take back its overrides: %s", cover_request_id, failed)
        return cover_request
    return _reopen(
        cover_request,
        rotation,
        f"PagerDuty could not be reached for a long time ({getattr(error, 'message', error)}), so Roster did "
        "not change the schedule.",
    )


def _resync(rotation: Rotation) -> None:
    """Re-read the schedule at once, so the rotation's shifts (and Slack, calendars, handoffs) show
    the change now, not at the next periodic sync. PagerDuty busy: the sync task retries."""
    org_id, schedule_id = rotation.organization_id, rotation.pagerduty_schedule_id
    try:
        rotation_sync.sync_schedule(organization_id=org_id, schedule_id=schedule_id)
    except TRANSIENT:
        transaction.on_commit(lambda: rotation_tasks.sync_schedule.delay(org_id, schedule_id))


# --- cancel -------------------------------------------------------------------------------------


def _removed_sentence(what: str, result: str, rotation: Rotation, now: dt.datetime) -> str:
    if result == "cut":
        return f"{what} was in progress: it was cut at {_when(now, rotation)}."
    if result == "past":
        return f"{what} was already over, so it is left in {'PagerDuty' if rotation.is_bound else 'the schedule'}."
    return f"{what} was deleted from {'PagerDuty’s schedule' if rotation.is_bound else 'the schedule'}."


def _remove_native(rotation: Rotation, override: Override | None, now: dt.datetime) -> str:
    """A Roster override undone as PagerDuty undoes one: deleted, cut at now, or left when over."""
    if override is None:
        return "deleted"
    if override.end <= now:
        return "past"
    if override.start < now:
        Override.objects.filter(pk=override.pk).update(end=now)
        Rotation.objects.filter(pk=rotation.pk).update(updated_at=now)  # calendar feeds' SEQUENCE grows
        return "cut"
    rotation_services.override_delete(rotation=rotation, override_id=override.pk)
    return "deleted"


def cover_request_cancel(*, cover_request: CoverRequest, actor: Actor) -> CoverRequest:
    """Cancel: an open request is cancelled; a taken one's overrides are removed first (deleted, cut
    at now when in progress, or left when over), which `apply_message` says. A removal PagerDuty
    refuses (409 `write_refused`) or cannot take now (503 `pagerduty_unavailable`) leaves it taken."""
    now = timezone.now()
    rotation = _fresh_rotation(cover_request.rotation_id)
    current = _load(cover_request.pk)
    if current.status in (CoverRequest.Status.CANCELLED, CoverRequest.Status.EXPIRED):
        raise _not_open(current)
    sentences: list[str] = []
    if current.status == CoverRequest.Status.TAKEN:
        swap = "The shift given back" if current.is_swap else ""
        if rotation.is_bound:
            ids = [("The override", current.pagerduty_override_id), (swap, current.swap_override_id)]
            try:
                client = _client(rotation) if any(i for _, i in ids) else None
                for what, override_id in ids:
                    if override_id and client is not None:
                        result = _remove(client, rotation, override_id)
                        sentences.append(_removed_sentence(what, result, rotation, now))
            except WriteRefused as refused:
                raise CoverError(refused_sentence(refused.message, rotation), "write_refused", status=409) from refused
            except pd.PagerDutyError as error:
                raise CoverError(
                    f"PagerDuty could not be reached ({error.message}): nothing was cancelled, try again.",
                    "pagerduty_unavailable",
                    status=503,
                ) from error
        else:
            with transaction.atomic():
                for what, override in (("The override", current.native_override), (swap, current.swap_native_override)):
                    if what:
                        result = _remove_native(rotation, override, now)
                        sentences.append(_removed_sentence(what, result, rotation, now))
    with transaction.atomic():
        changed = CoverRequest.objects.filter(pk=current.pk, status=current.status).update(
            status=CoverRequest.Status.CANCELLED,
            cancelled_at=now,
            cancelled_by=actor.label[:254],
            apply_message=" ".join(sentences)[:500] if sentences else current.apply_message,
            pagerduty_override_id="",
            swap_override_id="",
            updated_at=now,
        )
        if not changed:  # taken or expired meanwhile: say what it is now (reopened: cancel that)
            latest = _load(current.pk)
            if latest.status == CoverRequest.Status.OPEN:
                return cover_request_cancel(cover_request=latest, actor=actor)
            raise _not_open(latest)
        _audit(
            current,
            "cancelled",
            f"Cover for {current.requester_name} in {rotation.name} "
            f"({_window_text(current.start, current.end, rotation)}) cancelled"
            + (f" after {current.taker_name} took it" if current.status == CoverRequest.Status.TAKEN else ""),
            actor,
            undo=" ".join(sentences),
        )
        _on_commit("cancelled", current.pk)
    if rotation.is_bound and current.status == CoverRequest.Status.TAKEN:
        _resync(rotation)
    return _load(current.pk)


# --- beat ---------------------------------------------------------------------------------------


def cover_requests_expire(*, now: dt.datetime | None = None) -> int:
    """Open requests whose end has passed expire (each once: a conditional UPDATE)."""
    now = now or timezone.now()
    expired = 0
    for cover_request in CoverRequest.objects.filter(status=CoverRequest.Status.OPEN, end__lte=now).select_related(
        "rotation", "organization"
    ):
        with transaction.atomic():
            if not CoverRequest.objects.filter(pk=cover_request.pk, status=CoverRequest.Status.OPEN).update(
                status=CoverRequest.Status.EXPIRED, expired_at=now, updated_at=now
            ):
                continue
            _audit(
                cover_request,
                "expired",
                f"Nobody took {cover_request.requester_name}'s cover in {cover_request.rotation.name} "
                f"({_window_text(cover_request.start, cover_request.end, cover_request.rotation)}): expired",
                SYSTEM,
            )
            _on_commit("expired", cover_request.pk)
        expired += 1
    return expired


def cover_requests_warn_expiring(*, now: dt.datetime | None = None) -> int:
    """An hour before an open request starts, nobody has taken it: "expiring", once per request (not
    for one asked within that hour: its asker knows it starts soon)."""
    now = now or timezone.now()
    warned = 0
    for cover_request_id in CoverRequest.objects.filter(
        status=CoverRequest.Status.OPEN,
        expiry_warned_at=None,
        start__gt=now,
        start__lte=now + EXPIRY_WARNING,
        created_at__lte=F("start") - EXPIRY_WARNING,
    ).values_list("pk", flat=True):
        with transaction.atomic():
            if CoverRequest.objects.filter(
                pk=cover_request_id, status=CoverRequest.Status.OPEN, expiry_warned_at=None
            ).update(expiry_warned_at=now, updated_at=now):
                _on_commit("expiring", cover_request_id)
                warned += 1
    return warned


# --- who acts -----------------------------------------------------------------------------------


def person_for(request: HttpRequest, rotation: Rotation) -> Member:
    """The member of `rotation` acting: the session's person or a person's API token's creator,
    matched by email (any case). CoverError 409 `no_person` for an operator's token, 403
    `not_a_member` when that person is not in the rotation."""
    user = acting_user(request)
    if user is None:
        raise CoverError(
            "This API token acts for no person (an operator's token): sign in, use a token you made on "
            "Settings → API tokens, or (as an admin) name the member.",
            "no_person",
            status=409,
        )
    member = rotation.members.filter(email__iexact=user.email).first()
    if member is None:
        raise CoverError(f"{user.email} is not a member of the rotation {rotation.name}.", "not_a_member", status=403)
    return member
