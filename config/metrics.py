"""Counters that Roster's processes increment (prometheus-client), defined once.

Figures that live in the database (backlogs, ages, health, beat) are not here: `ops.collector` reads
them at scrape time. These count events as they happen in whichever process they happen in; with
`PROMETHEUS_MULTIPROC_DIR` set (`make run`, and every gunicorn and Celery process on a host) each
process writes its counts to files in that directory and `/metrics` adds them up (prometheus-client's
multiprocess mode). Labels never carry an organization, a path or anything secret.
"""

from prometheus_client import Counter, Histogram

PAGERDUTY_REQUESTS = Counter(
    "roster_pagerduty_requests",
    "Requests Roster sent PagerDuty's REST API, by outcome: ok, rate_limited, client_error, server_error, unreachable.",
    ["outcome"],
)
PAGERDUTY_RATE_LIMITED = Counter(
    "roster_pagerduty_rate_limited",
    "PagerDuty answers of 429 (rate limited), including those retried before the caller saw them.",
)
OAUTH_REFRESH_FAILURES = Counter(
    "roster_oauth_refresh_failures",
    "OAuth token refreshes that failed (the provider refused or could not be reached).",
    ["provider"],
)
HTTP_REQUESTS = Histogram(
    "roster_http_request_duration_seconds",
    "Time to answer an HTTP request, by the URL pattern it matched (never the path), method and status.",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

CHANGE_VISIBLE = Histogram(
    "roster_change_visible_seconds",
    "Time from a change Roster knows the moment of to the rotation showing it, by source (sync_now: a "
    "person's Sync now until the synced shifts are stored; change_poll: a change the poll noticed until its "
    "schedule is re-read; cover_request: an override Roster wrote, already shown, until PagerDuty's schedule "
    "is re-read to confirm it).",
    ["source"],
    buckets=(1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)


def pagerduty_outcome(status: int | None) -> str:
    """The outcome label for a PagerDuty answer's status (None: no answer at all)."""
    if status is None:
        return "unreachable"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server_error"
    if status >= 400:
        return "client_error"
    return "ok"
