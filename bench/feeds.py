"""Benchmark (not a test): a person's calendar feed over 10 rotations (30 days back, 180 ahead).

In-process (Django's test client through the full middleware stack, its own SQLite database, one
thread), so figures compare views, not servers: `/healthz`, the feed rendered in full, and the
feed answered 304 to `If-None-Match` (the calendar client polling an unchanged feed). "cold" renders
every time (the cache cleared before each request); "cached" is a client without an ETag served
the body rendered for the same ETag. Prints
requests/s and p50/p99 latency for each, and the SQL queries per feed request.

    .venv/bin/python bench/feeds.py [--requests 200] [--rotations 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.services import in_process_app  # noqa: E402


def measure(client, path: str, n: int, *, headers: dict | None = None, status: int = 200, cold=False) -> list[float]:
    from django.core.cache import cache

    took = []
    for _ in range(n):
        if cold:
            cache.clear()
        start = time.perf_counter()
        response = client.get(path, headers=headers or {})
        took.append(time.perf_counter() - start)
        assert response.status_code == status, (path, response.status_code)
    return took


def report(name: str, took: list[float]) -> None:
    p99 = statistics.quantiles(took, n=100)[98] if len(took) >= 2 else took[0]
    print(
        f"{name:<28} {len(took) / sum(took):>9.1f} req/s  p50 {statistics.median(took) * 1000:>7.2f} ms  p99 {p99 * 1000:>7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rotations", type=int, default=10)
    args = parser.parse_args()

    in_process_app("feeds")
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Membership, Organization, User
    from rotations.calendar import feeds
    from rotations.models import Member, Rotation

    org = Organization.objects.create(name="Bench", slug="bench")
    me = User.objects.create_user(email="me@bench.example", password="x-bench-password-1")
    Membership.objects.create(user=me, organization=org, role=Membership.Role.MEMBER)  # a feed's owner is one
    for n in range(args.rotations):
        rotation = Rotation.objects.create(
            organization=org,
            name=f"Rotation {n}",
            time_zone="Europe/Paris",
            cadence_unit="days",
            start_date=dt.date.today() - dt.timedelta(days=60),
        )
        Member.objects.create(rotation=rotation, name="Me", email=me.email, position=0)
        Member.objects.create(rotation=rotation, name=f"Other {n}", email=f"o{n}@bench.example", position=1)
    _, raw = feeds.calendar_feed_create(organization=org, user=me, actor=None)
    path = f"/cal/{raw}.ics"
    client = Client()
    first = client.get(path)
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    print(
        f"person feed over {args.rotations} rotations: {first.content.count(b'BEGIN:VEVENT')} events, "
        f"{len(first.content) / 1024:.0f} KiB, {len(queries)} SQL queries per request; {args.requests} requests each"
    )
    measure(client, "/healthz", 20)  # warm-up
    report("/healthz", measure(client, "/healthz", args.requests))
    report("feed cold (full render)", measure(client, path, max(args.requests // 10, 2), cold=True))
    report("feed cached", measure(client, path, args.requests))
    report(
        "feed If-None-Match (304)",
        measure(client, path, args.requests, headers={"If-None-Match": first["ETag"]}, status=304),
    )


if __name__ == "__main__":
    main()
