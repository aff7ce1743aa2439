"""The one reader of a `Retry-After` header (RFC 9110 §10.2.3), for every HTTP client Roster has
(PagerDuty, Slack, outgoing webhooks): delay-seconds ("120", "1.5") or an HTTP-date ("Wed, 21 Oct
2026 07:28:00 GMT"), as seconds from now, never below 0 nor above `maximum`; None when the header
is absent or unreadable (the caller then uses its own backoff)."""

from __future__ import annotations

import datetime as dt
import math
from email.utils import parsedate_to_datetime

MAXIMUM = 24 * 3600.0  # a server asking for more than a day is read as a day


def seconds(value: object, *, maximum: float = MAXIMUM, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait for a Retry-After value (a header's text, or None)."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    try:
        wait = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP-date is GMT
            when = when.replace(tzinfo=dt.UTC)
        wait = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    if not math.isfinite(wait):
        return None
    return min(max(wait, 0.0), maximum)
