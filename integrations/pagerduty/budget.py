"""A PagerDuty credential's request budget for Roster's background work (issue 26).

PagerDuty allows 960 requests a minute per API key (per user and app for OAuth). Roster's background
work (the periodic sync, the change poll, the re-reads they start) spends at most
`PAGERDUTY_BACKGROUND_BUDGET_PER_MINUTE` (480) of them in any 60 s, counted by every process together
(`config.limits.shared_limiter()`: Redis, or one SQLite file without it), so the rest stays for people
clicking (schedule picker, Sync now, cover requests) and for the customer's own scripts on the same
key. PagerDuty's `ratelimit-remaining` / `ratelimit-reset` headers lower it: when what PagerDuty says
is left this minute falls below that reserve, background work pauses until its `ratelimit-reset`
(the key is busier than Roster knows). A 429 pauses it for the wait PagerDuty asked.

Each credential has its own budget: one organization's 500 schedules never spend another's.

    budget = Budget.for_connection(connection)
    budget.take(block=5)        # one request; waits up to 5 s, else raises BudgetSpent
    budget.available()          # how many more this minute
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from limits import RateLimitItemPerMinute

from config import limits, retry_after

from . import client as pd
from .models import PagerDutyConnection

NAMESPACE = "pagerduty-budget"
PAGERDUTY_LIMIT = 960  # PagerDuty's requests a minute per key, when its headers do not say


class BudgetSpent(pd.RateLimited):
    """Roster's own budget for this credential is spent for now: come back after `retry_after`."""

    code = "pagerduty_budget_spent"


def credential_key(connection: PagerDutyConnection) -> str:
    """Who PagerDuty counts the requests of: the API key itself, or the OAuth app and the user it acts
    as. Hashed: the budget's key never holds a secret."""
    if connection.auth_type == PagerDutyConnection.AuthType.OAUTH:
        app = connection.oauth_client_id or ("operator" if connection.oauth_uses_operator_app else "")
        raw = f"oauth:{connection.region}:{app}:{connection.external_user_id or connection.organization_id}"
    else:
        raw = f"key:{connection.region}:{connection.api_key}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


@dataclass
class Budget:
    key: str
    per_minute: int

    @classmethod
    def for_connection(cls, connection: PagerDutyConnection) -> Budget:
        return cls(credential_key(connection), settings.PAGERDUTY_BACKGROUND_BUDGET_PER_MINUTE)

    @property
    def _item(self) -> RateLimitItemPerMinute:
        return RateLimitItemPerMinute(max(1, self.per_minute))

    def _pause_key(self) -> str:
        return f"{NAMESPACE}/pause/{self.key}"

    def paused_for(self) -> float:
        """Seconds PagerDuty's own headers (or a 429) asked background work to wait; 0 when none."""
        until = limits.shared_limiter().storage.get(self._pause_key())  # epoch seconds, 0 when none
        return max(0.0, until - time.time())

    def used(self) -> int:
        """Requests spent in the last 60 s."""
        stats = limits.shared_limiter().get_window_stats(self._item, NAMESPACE, self.key)
        return self._item.amount - stats.remaining

    def available(self) -> int:
        """How many more requests background work may send now."""
        if self.paused_for() > 0:
            return 0
        return limits.shared_limiter().get_window_stats(self._item, NAMESPACE, self.key).remaining

    def wait(self) -> float:
        """Seconds until one more request fits (0 when one fits now)."""
        paused = self.paused_for()
        if paused > 0:
            return paused
        stats = limits.shared_limiter().get_window_stats(self._item, NAMESPACE, self.key)
        if stats.remaining > 0:
            return 0.0
        return max(0.05, stats.reset_time - time.time())

    def try_take(self) -> bool:
        if self.paused_for() > 0:
            return False
        return limits.shared_limiter().hit(self._item, NAMESPACE, self.key)

    def take(self, *, block: float = 0.0) -> None:
        """Spend one request, waiting up to `block` seconds for room; else raise BudgetSpent."""
        deadline = time.monotonic() + block
        while not self.try_take():
            wait = self.wait()
            if time.monotonic() + wait > deadline:
                raise BudgetSpent(
                    "Roster's PagerDuty request budget for these credentials is spent for this minute.",
                    retry_after=math.ceil(wait),
                )
            time.sleep(min(wait, 1.0))

    def observe(self, status: int, headers) -> None:
        """PagerDuty's answer: pause background work when the key has no more than the people's reserve
        left this minute (or after a 429), until PagerDuty's `ratelimit-reset`."""
        wait = 0.0
        try:
            remaining = int(headers.get("ratelimit-remaining"))
            reset = float(headers.get("ratelimit-reset"))
        except (TypeError, ValueError):
            remaining, reset = None, 0.0
        if remaining is not None:
            try:
                limit = int(headers.get("ratelimit-limit") or PAGERDUTY_LIMIT)
            except ValueError:
                limit = PAGERDUTY_LIMIT
            reserve = max(0, limit - self.per_minute)
            if remaining < reserve:
                wait = reset
        if status == 429:
            wait = max(wait, reset, retry_after.seconds(headers.get("Retry-After")) or 1.0)
        if wait > 0:
            wait = min(wait, 3600)
            storage = limits.shared_limiter().storage
            storage.clear(self._pause_key())
            # The counter holds the moment the pause ends (its expiry only cleans it up).
            storage.incr(self._pause_key(), math.ceil(wait) + 5, amount=math.ceil(time.time() + wait))
