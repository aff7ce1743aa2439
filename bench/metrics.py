"""Benchmark (not a test): GET /metrics scrape time and SQL queries with 1, 100 and 1,000 organizations.

Each organization has two rotations (one bound to a PagerDuty schedule, with sync runs), a PagerDuty
connection (every other one a Slack connection too), webhook deliveries in every status and
notifications on three channels in every status. In-process (Django's test client through the full
middleware stack), its own database: SQLite by default, or `--database-url postgres://...`. Prints, per
size, the queries per scrape and the scrape time (p50, max over `--scrapes`). The goal (issue 27): the
query count does not grow with the organizations, and a scrape stays under 200 ms at 1,000.

    .venv/bin/python bench/metrics.py [--sizes 1,100,1000] [--scrapes 15] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = Path(tempfile.gettempdir()) / "roster-bench-metrics.sqlite3"
TOKEN = "bench-metrics-token-000000000000"


def populate(first: int, last: int) -> None:
    """Organizations numbered first..last-1, with everything /metrics reads, in bulk."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Organization
    from integrations.pagerduty.models import PagerDutyConnection
    from integrations.slack.models import SlackConnection
    from notifications.models import Notification
    from rotations.models import Rotation, SyncRun
    from webhooks.models import Delivery

    now = timezone.now()
    orgs = Organization.objects.bulk_create(
        [Organization(name=f"Org {n}", slug=f"org-{n}") for n in range(first, last)]
    )
    rotations, runs, deliveries, pagerduty, slack = [], [], [], [], []
    for org in orgs:
        rotations.append(Rotation(organization=org, name="Native", start_date=now.date()))
        rotations.append(Rotation(organization=org, name="Bound", start_date=now.date(), pagerduty_schedule_id="PS1"))
        for minutes, ok in ((10, True), (5, True), (1, False)):
            at = now - timedelta(minutes=minutes)
            runs.append(SyncRun(organization=org, schedule_id="PS1", started_at=at, finished_at=at, ok=ok))
        for status, _label in Delivery.Status.choices:
            deliveries.append(Delivery(organization=org, raw_body=b"{}", status=status, received_at=now))
        pagerduty.append(PagerDutyConnection(organization=org, auth_type="api_key", api_key="u+bench-key-0000"))
        if org.pk % 2:
            slack.append(SlackConnection(organization=org, team_id=f"T{org.pk}", bot_token="xoxb-bench-0000"))
    Rotation.objects.bulk_create(rotations)
    SyncRun.objects.bulk_create(runs)
    Delivery.objects.bulk_create(deliveries)
    PagerDutyConnection.objects.bulk_create(pagerduty)
    SlackConnection.objects.bulk_create(slack)
    notifications = []
    for rotation in Rotation.objects.filter(organization__in=orgs, name="Native"):
        for channel in ("slack", "email", "webhook"):
            for status, _label in Notification.Status.choices:
                notifications.append(
                    Notification(
                        organization_id=rotation.organization_id,
                        rotation=rotation,
                        source=f"bench:{status}",
                        source_at=now,
                        channel=channel,
                        target="t",
                        kind=f"{channel}.message",
                        status=status,
                        last_error="bench" if status == "failed" else "",
                    )
                )
    Notification.objects.bulk_create(notifications)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,100,1000")
    parser.add_argument("--scrapes", type=int, default=15)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{DB}"
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    DB.unlink(missing_ok=True)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    if args.database_url:
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    settings.METRICS_TOKEN = TOKEN
    client = Client()
    print(f"GET /metrics on {connection.vendor}, {args.scrapes} scrapes per size")
    done = 0
    for size in [int(s) for s in args.sizes.split(",")]:
        populate(done, size)
        done = size
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert client.get("/metrics", headers=auth).status_code == 200  # warm-up
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/metrics", headers=auth).content
        count = len(queries)  # now: later requests clear the log it reads
        took = []
        for _ in range(args.scrapes):
            start = time.perf_counter()
            client.get("/metrics", headers=auth)
            took.append(time.perf_counter() - start)
        print(
            f"{size:>5} organizations: {count:>3} queries, {len(body) / 1024:>5.1f} KiB, "
            f"p50 {statistics.median(took) * 1000:>7.1f} ms, max {max(took) * 1000:>7.1f} ms"
        )


if __name__ == "__main__":
    main()
