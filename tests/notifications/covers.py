"""Cover requests for notification tests: made directly (covers.services is another app's), and
each event told as covers.services tells it: the row changes, then (after the commit) the signal."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from covers.models import CoverRequest
from covers.signals import cover_request_changed
from rotations.models import Member
from tests.factories import cover_request

# The timestamp each event sets (covers.services sets them; notifications sweeps by them).
STAMPS = {
    "taken": "taken_at",
    "cancelled": "cancelled_at",
    "expired": "expired_at",
    "expiring": "expiry_warned_at",
    "failed": "take_failed_at",
}
STATUS = {"taken": "taken", "cancelled": "cancelled", "expired": "expired"}


def member(rotation, email: str) -> Member:
    return Member.objects.get(rotation=rotation, email=email)


def ask(
    rotation, email: str, start: dt.datetime, end: dt.datetime, note: str = "", *, tell: bool = True
) -> CoverRequest:
    """`email` asks for cover of [start, end); `tell=False`: the listener never heard of it (a lost signal)."""
    cover = cover_request(rotation, email, start, end, note=note)
    if tell:
        cover_request_changed.send(sender=CoverRequest, event="created", cover_request_id=cover.pk)
    return cover


def happen(cover: CoverRequest, event: str, *, tell: bool = True, by: str = "", **fields) -> CoverRequest:
    """The event happens to the request (`taken`, `failed`: `by` is the taker's email)."""
    now = timezone.now()
    setattr(cover, STAMPS[event], now)
    if event in STATUS:
        cover.status = STATUS[event]
    if event == "taken":
        taker = member(cover.rotation, by)
        cover.taker, cover.taker_name, cover.taker_email, cover.taken_by = taker, taker.name, taker.email, taker.email
    if event == "failed":  # PagerDuty refused a pending take: open again (covers.services._reopen)
        taker = member(cover.rotation, by)
        cover.failed_taker_name, cover.failed_taker_email = taker.name, taker.email
        cover.apply_state, cover.apply_message = "refused", "PagerDuty could not be reached for a long time."
    if event == "cancelled":
        cover.cancelled_by = by or cover.requester_email
    for name, value in fields.items():
        setattr(cover, name, value)
    cover.save()
    if tell:
        cover_request_changed.send(sender=CoverRequest, event=event, cover_request_id=cover.pk)
    return cover
