"""Benchmark (not a test): sync S bound rotations over S/2 distinct PagerDuty schedules.

Runs standalone on its own SQLite database against the fake PagerDuty server (with latency), and
prints, for S = 10, 100 and 1000: PagerDuty requests per distinct schedule, user look-ups, and the
seconds one beat sync takes (cold user cache, then warm).

    .venv/bin/python bench/sync.py [--latency 0.01] [--sizes 10,100,1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.services import in_process_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.01, help="seconds the fake PagerDuty waits per request")
    parser.add_argument("--sizes", default="10,100,1000", help="comma-separated numbers of bound rotations")
    parser.add_argument("--users", type=int, default=40, help="PagerDuty users shared by all schedules")
    args = parser.parse_args()

    database = in_process_app("sync")  # Celery in-process: the beat task's fan-out runs here
    from django.conf import settings

    from accounts.models import Organization
    from integrations.pagerduty.models import PagerDutyConnection
    from rotations.models import Member, Rotation, Shift
    from rotations.tasks import start_sync
    from tests.fake_pagerduty import FakePagerDuty
    from tests.rotations.fake_schedules import FakeSchedule, install

    users = {f"PU{i:05d}": (f"Person {i}", f"person{i}@bench.example") for i in range(args.users)}
    user_ids = list(users)
    print(f"fake PagerDuty latency {args.latency * 1000:.0f} ms/request; {args.users} users shared by all schedules")
    print(
        f"{'S':>6} {'schedules':>9} {'sched req':>9} {'req/sched':>9} {'user req':>8} {'shifts':>7} {'cold s':>8} {'warm s':>8} {'ms/rotation':>11}"
    )
    with FakePagerDuty(latency=args.latency) as fake:
        settings.PAGERDUTY_API_URL = settings.PAGERDUTY_EU_API_URL = fake.url
        for size in (int(s) for s in args.sizes.split(",")):
            Rotation.objects.all().delete()
            Organization.objects.all().delete()
            org = Organization.objects.create(name=f"Bench {size}", slug=f"bench-{size}")
            PagerDutyConnection.objects.create(
                organization=org, auth_type="api_key", api_key="u+fakeUserKey0001", key_last4="0001"
            )
            distinct = max(size // 2, 1)
            schedules = {
                f"PS{n:05d}": FakeSchedule(
                    users=[user_ids[(n + k) % len(user_ids)] for k in range(4)],
                    kind="v3" if n % 2 else "v2",
                    gaps_every=7 * (n % 2),
                )
                for n in range(distinct)
            }
            install(fake, schedules=schedules, users=users)
            ids = list(schedules)
            rotations = Rotation.objects.bulk_create(
                [
                    Rotation(
                        organization=org,
                        name=f"R{i}",
                        time_zone="Europe/Paris",
                        pagerduty_schedule_id=ids[i % distinct],
                        pagerduty_schedule_kind=schedules[ids[i % distinct]].kind,
                    )
                    for i in range(size)
                ]
            )
            Member.objects.bulk_create(
                [
                    Member(rotation=r, name=name, email=email, position=0)
                    for r in rotations
                    for name, email in list(users.values())[:3]
                ]
            )

            fake.calls.clear()
            started = time.perf_counter()
            start_sync()
            cold = time.perf_counter() - started
            schedule_requests = sum(n for (_, path), n in fake.calls.items() if "/schedules/" in path)
            user_requests = sum(n for (_, path), n in fake.calls.items() if path.startswith("/users/"))
            started = time.perf_counter()
            start_sync()
            warm = time.perf_counter() - started
            failed = Rotation.objects.filter(organization=org).exclude(last_sync_ok=True).count()
            shifts = Shift.objects.filter(rotation__organization=org).count()
            print(
                f"{size:>6} {distinct:>9} {schedule_requests:>9} {schedule_requests / distinct:>9.2f} {user_requests:>8} {shifts:>7} {cold:>8.2f} {warm:>8.2f} {cold / size * 1000:>11.1f}"
                + (f"  ({failed} rotations failed!)" if failed else "")
            )
    database.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
