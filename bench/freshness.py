"""Benchmark (not a test: it prints figures, it asserts nothing): how soon a change made in PagerDuty
shows in Roster's API, per organization, and how hard Roster presses each PagerDuty key (issue 26).

    .venv/bin/python bench/freshness.py --quick   # 100, 20 and 5 schedules, 3 minutes of changes: ~5-6 min
    .venv/bin/python bench/freshness.py           # 500, 50 and 5 schedules, 10 minutes of changes

Against the fake PagerDuty (tests/fake_pagerduty.py: 50 ms a call, PagerDuty's 960 requests a minute
per key enforced with its 429), a real Celery worker with beat (prefork, --concurrency processes) on
the bench's own PostgreSQL and Redis (bench/services.py), with the CURRENT sync and
ROSTER_SYNC_INTERVAL=120 unless --sync-interval says otherwise. Three organizations, each on its own
API key, with 500, 50 and 5 bound schedules (a fifth of the largest one's schedules are in no escalation
policy, so PagerDuty's /oncalls cannot see them). Once every rotation has synced once, for N minutes the
fake applies random overrides and layer edits (--changes-per-minute per organization) at random
moments, each on a range within the next 7 days; the bench polls each organization's
`GET /api/rotations/<id>/shifts?since&until` with that organization's admin API token. A change is
visible only when every shift the API shows for its range is the new person's; the lag is from the
moment the fake made the change to the first poll that shows it. After the changes, the bench keeps
polling until every change is visible, at most --tail seconds (default: the sync interval + 30 s, so
today's sync has its chance); a change still not visible then is reported as never seen, not dropped.

Prints per organization: p50, p95 and max lag; requests per key in any 60 s (mean and peak); 429s;
changes never seen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.services import (  # noqa: E402
    app_env,
    migrated_app,
    own_services,
    percentile,
    start_worker,
    stop,
    wait_for_worker,
)
from tests.fake_pagerduty import PAGERDUTY_LIMIT, Change, FakePagerDuty  # noqa: E402

USERS = {f"PU{n:03d}": (f"Person {n}", f"person{n}@bench.example") for n in range(40)}
SIZES, QUICK_SIZES = (500, 50, 5), (100, 20, 5)


@dataclass
class Org:
    name: str
    key: str
    size: int
    token: str = ""
    rotations: dict = field(default_factory=dict)  # schedule id → rotation id
    unseen_by_oncalls: set = field(default_factory=set)  # schedules in no escalation policy
    changes: list = field(default_factory=list)  # (Change, seen_at or None)


def setup(fake: FakePagerDuty, orgs: list[Org]) -> None:
    """Each organization: an admin, an admin's read API token, a PagerDuty connection on its own key
    and one rotation bound to each of its schedules (classic, 8-hour turns of 4 of the 40 users)."""
    from accounts.models import User
    from accounts.services import api_token_create, organization_create
    from integrations.pagerduty.models import PagerDutyConnection
    from rotations.models import Rotation
    from tests.rotations.fake_schedules import FakeSchedule, install

    user_ids = list(USERS)
    schedules, policies = {}, {}
    for index, org in enumerate(orgs):
        email = f"admin@{org.name.lower()}.example"
        organization = organization_create(name=org.name, admin_email=email, password="bench horse battery staple")
        _, org.token = api_token_create(
            organization=organization, name="freshness bench", created_by=User.objects.get(email=email)
        )
        PagerDutyConnection.objects.create(
            organization=organization, auth_type="api_key", api_key=org.key, key_last4=org.key[-4:]
        )
        fake.valid_keys[org.key] = {"id": f"PADMIN{index}", "name": f"{org.name} admin", "email": email}
        ids = [f"P{org.name[:1]}{n:04d}" for n in range(org.size)]
        org.unseen_by_oncalls = set(ids[: org.size // 5]) if index == 0 else set()
        for n, sid in enumerate(ids):
            schedules[sid] = FakeSchedule(users=[user_ids[(n + k) % len(user_ids)] for k in range(4)], name=sid)
            if sid not in org.unseen_by_oncalls:
                policies[f"EP{sid}"] = {sid}
        rotations = Rotation.objects.bulk_create(
            [
                Rotation(
                    organization=organization,
                    name=sid,
                    time_zone="UTC",
                    pagerduty_schedule_id=sid,
                    pagerduty_schedule_kind="v2",
                )
                for sid in ids
            ]
        )
        org.rotations = {r.pagerduty_schedule_id: r.pk for r in rotations}
    install(fake, schedules=schedules, users=USERS)
    fake.escalation_policies = policies


def synced_once(orgs: list[Org]) -> int:
    from rotations.models import Rotation

    ids = [pk for org in orgs for pk in org.rotations.values()]
    return Rotation.objects.filter(pk__in=ids, last_sync_at__isnull=False).count()


def random_change(fake: FakePagerDuty, org: Org, rng: random.Random, taken: dict) -> Change:
    """An override or a layer edit on a random schedule, within the next 7 days, on a range no earlier
    change of that schedule touches (so each change has one answer the API must show)."""
    while True:
        sid = rng.choice(list(org.rotations))
        now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        start = now + dt.timedelta(minutes=rng.randrange(10, 7 * 24 * 60 - 8 * 60))
        end = start + dt.timedelta(minutes=rng.randrange(30, 8 * 60))
        if any(start < e and s < end for s, e in taken.get(sid, [])):
            continue
        schedule = fake.schedules[sid]
        current = {who for _, _, who in schedule.render(start, end)}
        person = rng.choice([u for u in USERS if u not in current])
        taken.setdefault(sid, []).append((start, end))
        change = fake.override if rng.random() < 0.5 else fake.edit_layer
        return change(sid, start, end, person)


def visible(client, org: Org, change: Change) -> bool:
    answer = client.get(
        f"/api/rotations/{org.rotations[change.schedule_id]}/shifts",
        {"since": change.start.isoformat(), "until": change.end.isoformat()},
        headers={"Authorization": f"Bearer {org.token}"},
        SERVER_NAME="127.0.0.1",
    )
    if answer.status_code != 200:
        return False
    shifts = answer.json()["shifts"]
    return bool(shifts) and all(
        not s["gap"] and (s["person"] or {}).get("pagerdutyUserId") == change.user_id for s in shifts
    )


def per_minute(times: list[float], start: float, end: float) -> tuple[float, int]:
    """Requests in any 60 s between start and end: the mean per minute and the peak of any window."""
    times = sorted(t for t in times if start <= t <= end)
    peak, first = 0, 0
    for last, moment in enumerate(times):
        while times[first] < moment - 60:
            first += 1
        peak = max(peak, last - first + 1)
    return len(times) / max(end - start, 1) * 60, peak


def report(fake: FakePagerDuty, orgs: list[Org], t0: float, t_end: float) -> None:
    print(f"\nPer organization (changes from {0:.0f} s to {t_end - t0:.0f} s of the run):")
    for org in orgs:
        groups = [("", org.changes)]
        if org.unseen_by_oncalls:
            groups += [
                (
                    "  in an escalation policy",
                    [c for c in org.changes if c[0].schedule_id not in org.unseen_by_oncalls],
                ),
                ("  in no escalation policy", [c for c in org.changes if c[0].schedule_id in org.unseen_by_oncalls]),
            ]
        for label, changes in groups:
            lags = [seen - change.made_at for change, seen in changes if seen is not None]
            unseen = [t_end - change.made_at for change, seen in changes if seen is None]
            head = f"{org.name} ({org.size} schedules){label}" if not label else f"{'':<4}{label.strip()}"
            figures = (
                f"p50 {percentile(lags, 0.5):5.0f} s  p95 {percentile(lags, 0.95):5.0f} s  max {max(lags):5.0f} s"
                if lags
                else "no change seen"
            )
            never = f"never seen {len(unseen)}" + (
                f" (the youngest {min(unseen):.0f} s old at the end)" if unseen else ""
            )
            print(f"  {head:<36} lag {figures}  ({len(lags)} of {len(changes)} seen; {never})")
        times = [r.at for r in fake.log if r.token == org.key]
        mean, peak = per_minute(times, t0, t_end)
        print(
            f"  {'':<4}requests on its key: mean {mean:.0f}/min, peak {peak} in any 60 s (PagerDuty allows "
            f"{PAGERDUTY_LIMIT}); 429s: {fake.throttled[org.key]}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100, 20 and 5 schedules, 3 minutes of changes")
    parser.add_argument("--sizes", help="the three organizations' schedule counts, e.g. 10,5,2")
    parser.add_argument("--minutes", type=float, help="minutes of changes (default 10, --quick 3)")
    parser.add_argument("--changes-per-minute", type=float, default=10, help="changes per organization a minute")
    parser.add_argument(
        "--tail", type=float, help="seconds to keep polling after the last change (default: the sync interval + 30)"
    )
    parser.add_argument("--sync-interval", type=int, default=120, help="ROSTER_SYNC_INTERVAL for the worker")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake PagerDuty takes per call")
    parser.add_argument("--concurrency", type=int, default=4, help="Celery worker processes")
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("BENCH_PG_PORT", "5620")))
    parser.add_argument("--redis-port", type=int, default=int(os.environ.get("BENCH_REDIS_PORT", "6420")))
    args = parser.parse_args()
    minutes = args.minutes or (3 if args.quick else 10)
    tail = args.tail if args.tail is not None else args.sync_interval + 30.0
    sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else QUICK_SIZES if args.quick else SIZES

    rng = random.Random(args.seed)
    orgs = [
        Org("Large", "u+benchLargeKey01", sizes[0]),
        Org("Medium", "u+benchMediumKey2", sizes[1]),
        Org("Small", "u+benchSmallKey03", sizes[2]),
    ]
    worker = None
    with (
        FakePagerDuty(latency=args.latency, rate_limit_per_minute=PAGERDUTY_LIMIT) as fake,
        own_services(args.pg_port, args.redis_port) as (postgres, redis),
    ):
        try:
            env = app_env(
                postgres,
                redis,
                PAGERDUTY_API_URL=fake.url,
                PAGERDUTY_EU_API_URL=fake.url,
                ROSTER_SYNC_INTERVAL=str(args.sync_interval),
            )
            migrated_app(env)
            from django.test import Client

            setup(fake, orgs)
            logdir = Path(tempfile.mkdtemp(prefix="roster-bench-freshness-"))
            total = sum(o.size for o in orgs)
            print(
                f"Roster freshness bench: {', '.join(f'{o.name} {o.size}' for o in orgs)} bound schedules "
                f"(a fifth of the Large one's in no escalation policy); fake PagerDuty {fake.url} "
                f"({args.latency * 1000:.0f} ms a call, {PAGERDUTY_LIMIT}/min per key enforced); Celery prefork "
                f"x{args.concurrency} with beat, ROSTER_SYNC_INTERVAL={args.sync_interval}; PostgreSQL "
                f"127.0.0.1:{postgres.port}, Redis {redis.url}; logs in {logdir}"
            )
            worker = start_worker(env, args.concurrency, logdir)
            wait_for_worker()
            from rotations.tasks import start_sync

            started = time.time()
            start_sync.delay()  # the first sync, as binding a rotation starts one; then beat's, every interval
            while synced_once(orgs) < total and time.time() - started < 600:
                time.sleep(2)
            print(f"First sync of {synced_once(orgs)} of {total} rotations took {time.time() - started:.0f} s")

            client = Client()
            t0 = time.time()
            changes_end = t0 + minutes * 60
            next_change = {org.name: t0 + rng.expovariate(args.changes_per_minute / 60) for org in orgs}
            taken: dict = {}
            next_print = t0 + 30
            while True:
                now = time.time()
                if now >= changes_end + tail:
                    break
                for org in orgs:
                    while now < changes_end and next_change[org.name] <= now:
                        org.changes.append([random_change(fake, org, rng, taken), None])
                        next_change[org.name] += rng.expovariate(args.changes_per_minute / 60)
                for org in orgs:
                    for entry in org.changes:
                        if entry[1] is None and visible(client, org, entry[0]):
                            entry[1] = time.time()
                if now >= next_print:
                    waiting = sum(seen is None for org in orgs for _, seen in org.changes)
                    made = sum(len(org.changes) for org in orgs)
                    print(f"  {now - t0:5.0f} s: {made} changes made, {waiting} not visible yet")
                    next_print = now + 30
                if now >= changes_end and all(seen is not None for org in orgs for _, seen in org.changes):
                    break
                time.sleep(max(0.0, 1.0 - (time.time() - now)))
            report(fake, orgs, t0, time.time())
        finally:
            stop(worker)


if __name__ == "__main__":
    main()
