"""Cover request business rules (issue 25). See the module docstrings of covers.models and
integrations.pagerduty.overrides."""

from __future__ import annotations

import datetime as dt

from accounts.actor import Actor
from rotations.models import Member, Rotation

from .models import CoverRequest

NOTE_MAX = 500


class CoverError(Exception):
    """A rule refused the change: `message` for people, `code` for scripts, `status` the HTTP status
    the API answers, `field` the input it is about (a service argument name) or None."""

    def __init__(self, message: str, code: str = "invalid_request", status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.field = field


def cover_request_create(
    *, rotation: Rotation, requester: Member, start: dt.datetime, end: dt.datetime, note: str = "", actor: Actor
) -> CoverRequest:
    raise NotImplementedError


def cover_request_take(
    *,
    cover_request_id: int,
    taker: Member,
    swap: tuple[dt.datetime, dt.datetime] | None = None,
    actor: Actor,
) -> CoverRequest:
    raise NotImplementedError


def cover_request_apply(*, cover_request_id: int) -> CoverRequest | None:
    raise NotImplementedError


def cover_request_cancel(*, cover_request: CoverRequest, actor: Actor) -> CoverRequest:
    raise NotImplementedError


def cover_requests_expire(*, now: dt.datetime | None = None) -> int:
    raise NotImplementedError


def cover_requests_warn_expiring(*, now: dt.datetime | None = None) -> int:
    raise NotImplementedError


def person_for(request, rotation: Rotation) -> Member:
    raise NotImplementedError
