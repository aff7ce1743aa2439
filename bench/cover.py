"""Benchmark (not a test: it prints figures, it asserts nothing): N cover requests on PagerDuty-bound
rotations, each taken at the same moment by two competing takers through the JSON API (issue 25,
"Measured").

    .venv/bin/python bench/cover.py            # 200 requests (20 rotations x 10), 400 takes at once
    .venv/bin/python bench/cover.py --quick    # 20 requests (4 rotations x 5), 40 takes at once

Against the fake PagerDuty (tests/fake_pagerduty.py, 50 ms a call; --rate-limit enforces PagerDuty's
960 requests a minute per key), with the app served by gunicorn (gthread workers) and a Celery worker
with beat (prefork; it finishes takes PagerDuty could not apply at once) on the bench's own PostgreSQL
and Redis (bench/services.py). ROSTER_SYNC_INTERVAL is an hour (--sync-interval), so the periodic
sync does not run during the measurement: what shows the taker is the take itself (it writes the
override into the stored shifts and queues a re-read of the schedule to confirm it).

Each rotation follows its own classic schedule (8-hour turns of three people, each a PagerDuty user
and a Roster member with an API token of their own: an admin's, which acts for them). Each request asks for the whole of one of the next
shifts of its rotation (the person on call asks); its rotation's two other people both POST
`/api/cover-requests/<id>/take` at the same moment (all 2N takes released together by a barrier).
The bench then polls each rotation's `GET /api/rotations/<id>/shifts?since&until` (an admin's read
token) until every shift of each request's window is the taker's.

Prints: the takes' answers (200/202 winners, 409 already_taken losers, anything else); overrides
PagerDuty holds (must be exactly N), duplicates (the same window and person more than once: must be
0) and lost requests (taken in Roster with no override in PagerDuty, or neither taken nor refused:
must be 0); the take's answer time and the time from the take to the API showing the taker
(p50, p95, max; goal p95 under 10 s); PagerDuty calls by route.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.services import (  # noqa: E402
    app_env,
    cpu_seconds,
    migrated_app,
    own_services,
    percentile,
    start_web,
    start_worker,
    stop,
    wait_for_worker,
)
from tests.fake_pagerduty import PAGERDUTY_LIMIT, FakePagerDuty  # noqa: E402

KEY = "u+benchCoverKey001"


@dataclass
class Person:
    name: str
    email: str
    pagerduty_id: str
    token: str = ""


@dataclass
class Request:
    pk: int
    rotation_id: int
    schedule_id: str
    start: dt.datetime
    end: dt.datetime
    takers: list[Person]
    answers: list[tuple[Person, int, str, float]] = field(default_factory=list)  # (who, status, code, seconds)
    winner: Person | None = None
    visible_at: float | None = None


def setup(fake: FakePagerDuty, rotations: int, per_rotation: int) -> tuple[str, list[Request]]:
    """One organization on one PagerDuty key; `rotations` bound rotations of three people each,
    synced once; `per_rotation` open requests each (the next shifts starting an hour or more from
    now, asked for by whoever is on call). Returns the admin's read token and the requests."""
    from accounts.actor import Actor
    from accounts.models import Membership, User
    from accounts.services import api_token_create, organization_create
    from covers import services as covers
    from integrations.pagerduty.models import PagerDutyConnection
    from rotations import sync
    from rotations.models import Member, Rotation
    from tests.rotations.fake_schedules import FakeSchedule, install, users_by_query

    admin_email = "admin@cover.example"
    organization = organization_create(name="Cover", admin_email=admin_email, password="bench horse battery staple")
    _, admin_token = api_token_create(
        organization=organization, name="cover bench", created_by=User.objects.get(email=admin_email)
    )
    PagerDutyConnection.objects.create(organization=organization, auth_type="api_key", api_key=KEY, key_last4=KEY[-4:])
    fake.valid_keys[KEY] = {"id": "PADMIN", "name": "Cover admin", "email": admin_email}
    fake.route("GET", r"/users", users_by_query)

    schedules, users, people = {}, {}, {}
    for r in range(rotations):
        sid = f"PCOV{r:03d}"
        crew = [Person(f"Person {r}-{k}", f"p{r}-{k}@cover.example", f"PU{r:03d}{k}") for k in range(3)]
        for p in crew:
            users[p.pagerduty_id] = (p.name, p.email)
            user = User.objects.create_user(email=p.email, password="bench horse battery staple")
            # A person's own API token (Settings → API tokens, which admins use) acts for them.
            Membership.objects.create(user=user, organization=organization, role=Membership.Role.ADMIN)
            _, p.token = api_token_create(organization=organization, name="mine", scope="write", created_by=user)
        schedules[sid] = FakeSchedule(users=[p.pagerduty_id for p in crew], turn_hours=8, time_zone="UTC", name=sid)
        people[sid] = crew
    install(fake, schedules=schedules, users=users)

    requests: list[Request] = []
    now = dt.datetime.now(dt.UTC)
    for sid, crew in people.items():
        rotation = Rotation.objects.create(
            organization=organization,
            name=sid,
            time_zone="UTC",
            pagerduty_schedule_id=sid,
            pagerduty_schedule_kind="v2",
        )
        for position, p in enumerate(crew):
            Member.objects.create(rotation=rotation, name=p.name, email=p.email, position=position)
        sync.sync_schedule(organization_id=organization.pk, schedule_id=sid)
        shifts = rotation.shifts.filter(start__gte=now + dt.timedelta(hours=1), member__isnull=False)
        for shift in shifts.select_related("member").order_by("start")[:per_rotation]:
            assert shift.member is not None
            asked = covers.cover_request_create(
                rotation=rotation,
                requester=shift.member,
                start=shift.start,
                end=shift.end,
                note="bench",
                actor=Actor(label=shift.member.email),
            )
            takers = [p for p in crew if p.email != shift.member.email]
            requests.append(Request(asked.pk, rotation.pk, sid, asked.start, asked.end, takers))
    return admin_token, requests


def warm_up(base: str, admin_token: str, requests: list[Request], count: int) -> None:
    """Every gunicorn worker answers a few API requests first (its first one loads the API), as a
    server that has been up a while would."""
    import requests as http

    rotation_id = requests[0].rotation_id

    def get(_: int) -> None:
        http.get(
            f"{base}/api/rotations/{rotation_id}/shifts",
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(get, range(count)))


def take_all(base: str, requests: list[Request]) -> tuple[float, list[threading.Thread]]:
    """Every request's two takers POST at once (a barrier releases all 2N threads together).
    Returns the moment they were released (epoch seconds) and the threads, still running."""
    import requests as http

    jobs = [(r, p) for r in requests for p in r.takers]
    barrier = threading.Barrier(len(jobs) + 1)
    lock = threading.Lock()

    def take(request: Request, person: Person) -> None:
        session = http.Session()
        headers = {"Authorization": f"Bearer {person.token}"}
        barrier.wait()
        started = time.time()
        try:
            answer = session.post(f"{base}/api/cover-requests/{request.pk}/take", headers=headers, timeout=120)
            status = answer.status_code
            code = "" if status < 300 else str(answer.json().get("code", ""))
        except http.RequestException as error:
            status, code = 0, type(error).__name__
        with lock:
            request.answers.append((person, status, code, time.time() - started))
            if status in (200, 202):
                request.winner = person

    threads = [threading.Thread(target=take, args=job, daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    barrier.wait()
    return time.time(), threads


def poll_until_visible(
    base: str, admin_token: str, requests: list[Request], *, t0: float, timeout: float, takers: list[threading.Thread]
) -> None:
    """From the moment the takes are sent, while they are answered: each round reads every rotation's shifts over the window of its requests (one GET per
    rotation, a few at a time) and marks the requests whose whole window shows their taker."""
    import requests as http

    by_rotation: dict[int, list[Request]] = {}
    for r in requests:
        by_rotation.setdefault(r.rotation_id, []).append(r)
    headers = {"Authorization": f"Bearer {admin_token}"}
    local = threading.local()

    def look(rotation_id: int) -> None:
        waiting = [r for r in by_rotation[rotation_id] if r.visible_at is None]
        if not waiting:
            return
        session = getattr(local, "session", None) or http.Session()
        local.session = session
        since, until = min(r.start for r in waiting), max(r.end for r in waiting)
        try:
            answer = session.get(
                f"{base}/api/rotations/{rotation_id}/shifts",
                params={"since": since.isoformat(), "until": until.isoformat()},
                headers=headers,
                timeout=30,
            )
        except http.RequestException:
            return
        if answer.status_code != 200:
            return
        seen_at = time.time()
        shifts = answer.json()["shifts"]
        for r in waiting:
            winner = r.winner
            if winner is None:
                continue
            inside = [
                s
                for s in shifts
                if dt.datetime.fromisoformat(s["start"]) < r.end and dt.datetime.fromisoformat(s["end"]) > r.start
            ]
            if inside and all(not s["gap"] and (s["person"] or {}).get("email") == winner.email for s in inside):
                r.visible_at = seen_at

    with ThreadPoolExecutor(max_workers=4) as pool:
        while time.time() < t0 + timeout:
            list(pool.map(look, list(by_rotation)))
            answered = not any(t.is_alive() for t in takers)
            if answered and all(r.visible_at is not None or r.winner is None for r in requests):
                return
            time.sleep(0.2)


def report(fake: FakePagerDuty, requests: list[Request], t0: float, pd_calls_before: int) -> None:
    from covers.models import CoverRequest

    n = len(requests)
    answers = Counter((status, code) for r in requests for _, status, code, _ in r.answers)
    print(f"\nTakes: {sum(answers.values())} for {n} requests")
    for (status, code), count in sorted(answers.items()):
        print(f"  {status or 'no answer'} {code or ''}: {count}")
    two_winners = sum(1 for r in requests if sum(s in (200, 202) for _, s, _, _ in r.answers) > 1)
    print(f"Requests with two winners (must be 0): {two_winners}")

    held = [c for sid in {r.schedule_id for r in requests} for c in fake.overrides_of(sid)]
    by_window = Counter((c.schedule_id, c.start, c.end, c.user_id) for c in held)
    duplicates = sum(count - 1 for count in by_window.values())
    rows = {c.pk: c for c in CoverRequest.objects.filter(pk__in=[r.pk for r in requests])}
    lost = 0
    users = {p.email: p.pagerduty_id for r in requests for p in r.takers}
    for r in requests:
        row = rows[r.pk]
        written = by_window.get((r.schedule_id, r.start, r.end, users.get(row.taker_email, "")), 0)
        if row.status != CoverRequest.Status.TAKEN or not written:
            lost += 1
    print(
        f"Overrides PagerDuty holds: {len(held)} (want exactly {n}); duplicates: {duplicates}; lost: {lost}; "
        f"requests by status: {dict(Counter(row.status for row in rows.values()))}, "
        f"apply: {dict(Counter(row.apply_state or '-' for row in rows.values()))}"
    )

    winners = [t for r in requests for _, s, _, t in r.answers if s in (200, 202)]
    losers = [t for r in requests for _, s, _, t in r.answers if s == 409]
    if winners:
        print(
            f"Take answered (winners): p50 {percentile(winners, 0.5):.2f} s  p95 {percentile(winners, 0.95):.2f} s  "
            f"max {max(winners):.2f} s"
        )
    if losers:
        print(
            f"Take answered (409 losers): p50 {percentile(losers, 0.5):.2f} s  p95 {percentile(losers, 0.95):.2f} s  "
            f"max {max(losers):.2f} s"
        )
    lags = [r.visible_at - t0 for r in requests if r.visible_at is not None]
    unseen = sum(1 for r in requests if r.winner is not None and r.visible_at is None)
    if lags:
        p95 = percentile(lags, 0.95)
        print(
            f"Take → the API shows the taker: p50 {percentile(lags, 0.5):.2f} s  p95 {p95:.2f} s  "
            f"max {max(lags):.2f} s  ({len(lags)} of {n} seen; never seen: {unseen}); goal p95 < 10 s: "
            + ("met" if p95 < 10 and not unseen else "NOT met")
        )
    from rotations.models import DueSchedule, SyncRun

    deadline = time.monotonic() + 60
    while DueSchedule.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.5)  # the worker still confirms some takes
    runs = SyncRun.objects.filter(started_at__gte=dt.datetime.fromtimestamp(t0, dt.UTC))
    print(
        f"Re-reads confirming the takes: {runs.count()} for {len({r.schedule_id for r in requests})} schedules "
        f"(still queued: {DueSchedule.objects.count()}); re-reads that changed what the takes showed "
        f"(want 0): {runs.filter(changed=True).count()}"
    )
    calls = fake.log[pd_calls_before:]
    print(f"PagerDuty calls after the takes: {len(calls)} ({dict(sorted(_routes(calls).items()))})")
    print(f"429s from PagerDuty: {sum(fake.throttled.values())}")


def _routes(calls) -> Counter:
    """PagerDuty calls by method and path with the ids written as {id}."""
    found: Counter = Counter()
    for call in calls:
        parts = call.path.split("?")[0].split("/")
        shape = "/".join("{id}" if part[:1] == "P" and part[1:2].isupper() else part for part in parts)
        found[f"{call.method} {shape}"] += 1
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20 requests (4 rotations x 5)")
    parser.add_argument("--rotations", type=int, help="bound rotations (default 20, --quick 4)")
    parser.add_argument("--per-rotation", type=int, help="requests per rotation (default 10, --quick 5)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the fake PagerDuty takes per call")
    parser.add_argument("--rate-limit", action="store_true", help=f"enforce {PAGERDUTY_LIMIT} requests/min per key")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--sync-interval", type=int, default=3600, help="ROSTER_SYNC_INTERVAL for the worker")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for the API to show every taker")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8771")))
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("BENCH_PG_PORT", "5625")))
    parser.add_argument("--redis-port", type=int, default=int(os.environ.get("BENCH_REDIS_PORT", "6425")))
    args = parser.parse_args()
    rotations = args.rotations or (4 if args.quick else 20)
    per_rotation = args.per_rotation or (5 if args.quick else 10)

    worker = web = None
    limit = PAGERDUTY_LIMIT if args.rate_limit else 0
    with (
        FakePagerDuty(latency=args.latency, rate_limit_per_minute=limit) as fake,
        own_services(args.pg_port, args.redis_port) as (postgres, redis),
    ):
        try:
            env = app_env(
                postgres,
                redis,
                port=args.port,
                PAGERDUTY_API_URL=fake.url,
                PAGERDUTY_EU_API_URL=fake.url,
                ROSTER_SYNC_INTERVAL=str(args.sync_interval),
            )
            migrated_app(env)
            started = time.time()
            admin_token, requests = setup(fake, rotations, per_rotation)
            logdir = Path(tempfile.mkdtemp(prefix="roster-bench-cover-"))
            print(
                f"Roster cover bench: {len(requests)} cover requests on {rotations} PagerDuty-bound rotations "
                f"(made in {time.time() - started:.0f} s), two takers each, {2 * len(requests)} takes at once; fake "
                f"PagerDuty {fake.url} ({args.latency * 1000:.0f} ms a call"
                + (f", {PAGERDUTY_LIMIT}/min per key enforced" if limit else "")
                + f"); gunicorn {args.web_workers} x {args.threads} threads on 127.0.0.1:{args.port}; Celery prefork "
                f"x{args.concurrency} with beat, ROSTER_SYNC_INTERVAL={args.sync_interval}; PostgreSQL "
                f"127.0.0.1:{postgres.port}, Redis {redis.url}; logs in {logdir}"
            )
            worker = start_worker(env, args.concurrency, logdir)
            wait_for_worker()
            gunicorn = ["--workers", str(args.web_workers), "--worker-class", "gthread", "--threads", str(args.threads)]
            gunicorn += ["--timeout", "120", "--access-logfile", str(logdir / "access.log")]
            gunicorn += ["--access-logformat", "%(t)s %(m)s %(U)s %(s)s %(L)s"]
            web = start_web(env, args.port, logdir, gunicorn, wsgi=os.environ.get("BENCH_WSGI", "config.wsgi"))
            base = f"http://127.0.0.1:{args.port}"
            warm_up(base, admin_token, requests, 4 * args.web_workers * args.threads)
            before = len(fake.log)
            parts = {"web": web.pid, "worker": worker.pid, "PostgreSQL": postgres.postmaster_pid() or 0}
            cpu_before = {name: cpu_seconds(pid) for name, pid in parts.items()} | {"bench": time.process_time()}
            t0, takers = take_all(base, requests)
            poll_until_visible(base, admin_token, requests, t0=t0, timeout=args.timeout, takers=takers)
            for thread in takers:
                thread.join()
            last = max((t for r in requests for _, _, _, t in r.answers), default=0.0)
            wall = time.time() - t0
            cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in parts.items()}
            cpu["bench"] = time.process_time() - cpu_before["bench"]
            print(f"All {2 * len(requests)} takes answered within {last:.1f} s")
            print(
                f"CPU while taking and polling ({wall:.1f} s of wall, {os.cpu_count()} cores): "
                + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in cpu.items())
                + " (bench: its takers, pollers and the fake PagerDuty)"
            )
            time.sleep(2)  # anything the worker still does (a pending apply) shows in the counts
            report(fake, requests, t0, before)
        finally:
            stop(web, worker)


if __name__ == "__main__":
    main()
