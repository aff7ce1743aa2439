"""Rate limits shared by every process that counts them (the `limits` package, moving window).

One place for every limit Roster keeps: counters live in the Redis the cache and broker use
(`REDIS_URL`), so every gunicorn and Celery process counts together; without Redis (the test settings,
`make run`'s single web process) they live in this process's memory.

Counts that every process must share even without Redis (a PagerDuty credential's request budget,
spent by a web process and a prefork worker pool at once) use `shared_limiter()`: Redis where
`REDIS_URL` is set, else one SQLite file on this machine (`ROSTER_LIMITS_SQLITE`, see limits_sqlite.py).

    refused = config.limits.hit("5/minute", "test-event", str(org.pk))
    if refused:
        ...  # answer 429 with Retry-After: refused.retry_after
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from limits import parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

NAMESPACE = "roster"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refused:
    """A hit over the limit: how long until the window lets one more through."""

    retry_after: int  # whole seconds, at least 1

    def wait_words(self) -> str:
        """How long, for a sentence: "42 seconds", "1 minute", "12 minutes" (rounded up: never too early)."""
        if self.retry_after <= 60:
            return f"{self.retry_after} second{'' if self.retry_after == 1 else 's'}"
        minutes = math.ceil(self.retry_after / 60)
        return f"{minutes} minute{'' if minutes == 1 else 's'}"


@cache
def _limiter(redis_url: str) -> MovingWindowRateLimiter:
    storage = storage_from_string(redis_url) if redis_url else MemoryStorage()
    assert isinstance(storage, Storage)  # the synchronous storage for a redis:// URL
    return MovingWindowRateLimiter(storage)


def limiter() -> MovingWindowRateLimiter:
    """The moving-window limiter on the shared storage (for callers that need `test()` or stats)."""
    return _limiter(settings.REDIS_URL or "")


@cache
def _shared_limiter(redis_url: str, sqlite_path: str) -> MovingWindowRateLimiter:
    if redis_url:
        return _limiter(redis_url)
    from .limits_sqlite import SQLiteStorage

    return MovingWindowRateLimiter(SQLiteStorage(f"roster-sqlite://{sqlite_path}"))


def shared_limiter() -> MovingWindowRateLimiter:
    """The moving-window limiter every process of this installation shares: on Redis with REDIS_URL,
    else on the SQLite file ROSTER_LIMITS_SQLITE (never one process's memory)."""
    return _shared_limiter(settings.REDIS_URL or "", str(settings.ROSTER_LIMITS_SQLITE))


def hit(rate: str, *keys: str) -> Refused | None:
    """Count one hit of `rate` (e.g. "10/hour") for `keys`; None when allowed, else how long to wait.
    With Redis down the hit is allowed and a warning logged: a limit is never why a person's action fails."""
    item = parse(rate)
    lim = limiter()
    try:
        if lim.hit(item, NAMESPACE, *keys):
            return None
        reset_at, _remaining = lim.get_window_stats(item, NAMESPACE, *keys)
    except RedisError:
        log.warning("Rate limit %s for %s is off: Redis is unavailable", rate, keys[0], exc_info=True)
        return None
    return Refused(retry_after=max(1, math.ceil(reset_at - time.time())))


def clear() -> None:
    """Forget every count (tests: each starts afresh)."""
    limiter().storage.reset()
    shared = shared_limiter().storage
    if shared is not limiter().storage:
        shared.reset()
