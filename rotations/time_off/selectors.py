"""Reads of time off."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from ..models import TimeOff


def time_off_upcoming(*, organization, user, now: dt.datetime) -> QuerySet[TimeOff]:
    """The person's time off that has not ended, soonest first."""
    return TimeOff.objects.filter(organization=organization, user=user, end__gt=now).order_by("start", "id")
