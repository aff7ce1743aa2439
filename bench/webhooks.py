"""Benchmark the webhook receiver (not a test: it prints figures, it asserts nothing).

    .venv/bin/python bench/webhooks.py            # ~13 minutes
    .venv/bin/python bench/webhooks.py --quick    # ~4 minutes, smaller numbers

It starts its own PostgreSQL cluster (initdb in a temporary directory, port 5544) and its own
redis-server (port 6390), never the machine's shared ones, since its fault phases stop them; it
serves the app with gunicorn on 127.0.0.1 against that PostgreSQL (database migrated first), runs a
Celery worker with beat on that Redis, and from this (second) process:
1. measures, with the worker running and then stopped, in interleaved rounds at the same
   concurrency: the trivial `/healthz` view, a store-only floor (bench/urls.py: one INSERT of the
   body and a 202, nothing else — the least any durable receiver does) and signed deliveries to
   the receiver; prints requests/s, p50/p99 latency and the CPU each part of the machine
   (gunicorn, PostgreSQL, this load generator, the Celery worker, Redis) spent per request;
2. fires bursts of deliveries, each with a fault: (a) the worker killed (SIGKILL) a third of the
   way in and started again at two thirds; (b) Redis stopped (unsaved: its queue is lost) for the
   middle third, so deliveries are stored and then queued by the sweeper; (c) PostgreSQL stopped
   mid-burst and started again a second later, while the receiver must answer 5xx, never 2xx for
   a delivery it did not store. Deliveries answered otherwise than 2xx are sent once more after
   the burst, as PagerDuty retries them. For each burst it prints answered 2xx / stored /
   processed / lost (answered 2xx but not stored, or stored but never processed): the goal is 0.
Environment: BENCH_PG_PORT (default 5544), BENCH_REDIS_PORT (default 6390), BENCH_PORT (gunicorn,
default 8765), BENCH_GUNICORN_CONF (a gunicorn config file added to the command line, e.g. hooks
that profile each worker).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.services import (  # noqa: E402
    OwnPostgres,
    OwnRedis,
    app_env,
    migrated_app,
    own_services,
    start_web,
    start_worker,
    stop,
    wait_for_worker,
)

SECRET = "bench-signing-secret-0001"
FIXTURE = ROOT / "tests" / "webhooks" / "fixtures" / "incident.triggered.json"
STATUSES = ["triggered", "acknowledged", "resolved"]


def setup_organization():
    """A fresh bench organization with a signing secret; returns (endpoint path, organization id)."""
    from accounts.models import Organization
    from webhooks import selectors, services
    from webhooks.models import Delivery, Incident

    org, _ = Organization.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    Delivery.objects.filter(organization=org).delete()
    Incident.objects.filter(organization=org).delete()
    if not selectors.active_secrets(org):
        services.webhook_secret_add(organization=org, secret=SECRET, label="bench")
    endpoint = services.endpoint_for(org)
    return f"/webhooks/pagerduty/{endpoint.public_id}/", org.pk


class Server:
    def __init__(self, env, port: int, workers: int, logdir: Path):
        self.env, self.port, self.workers, self.logdir = env, port, workers, logdir
        self.web = self.worker = None
        self.worker_wanted = False
        self.worker_restarts = 0
        self._supervisor = None
        self._worker_lock = threading.Lock()

    def start_web(self):
        conf = ["-c", os.environ["BENCH_GUNICORN_CONF"]] if os.environ.get("BENCH_GUNICORN_CONF") else []
        self.web = start_web(self.env, self.port, self.logdir, ["--workers", str(self.workers), *conf])

    def start_worker(self):
        with self._worker_lock:
            self.worker_wanted = True
            self._spawn_worker()
        if self._supervisor is None:
            self._supervisor = threading.Thread(target=self._supervise, daemon=True)
            self._supervisor.start()

    def _supervise(self):
        """Start the worker again when it exits on its own, as the process manager running the
        Procfile does (Celery's worker exits on some broker connection losses)."""
        while True:
            time.sleep(0.5)
            worker = self.worker
            if self.worker_wanted and worker is not None and worker.poll() is not None:
                self.worker_restarts += 1
                print(
                    f"  (the worker exited by itself, code {worker.returncode}; started again, as a process manager would)"
                )
                self._spawn_worker()

    def _spawn_worker(self):
        concurrency = 2 if self.worker_pool == "prefork" else 4
        self.worker = start_worker(self.env, concurrency, self.logdir, pool=self.worker_pool)

    def wait_for_worker(self):
        wait_for_worker()

    def kill_worker(self):
        with self._worker_lock:
            self.worker_wanted = False
            if self.worker and self.worker.poll() is None:
                os.killpg(self.worker.pid, signal.SIGKILL)
                self.worker.wait()

    def stop(self):
        with self._worker_lock:
            self.worker_wanted = False
        stop(self.web, self.worker, timeout=15)


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status, None
    finally:
        conn.close()


def make_delivery(template: dict, n: int, run: str) -> tuple[bytes, dict]:
    from webhooks.signature import header_for

    event = template["event"]
    event["id"] = f"{run}-{n}"
    event["event_type"] = f"incident.{STATUSES[n % 3]}"
    event["occurred_at"] = f"2026-01-01T00:{(n // 60) % 60:02d}:{n % 60:02d}.{n % 1000:03d}Z"
    event["data"]["id"] = f"PB{(n // 3) % 500:05d}"
    event["data"]["status"] = STATUSES[n % 3]
    body = json.dumps(template).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "PagerDuty-Webhook/V3.0",
        "X-Webhook-Id": str(uuid.uuid4()),
        "X-PagerDuty-Signature": header_for(body, [SECRET]),
    }
    return body, headers


def fire(port: int, jobs, concurrency: int, *, duration: float | None = None, on_sent=None, on_answer=None):
    """Run `jobs` (an iterator of (method, path, body, headers)) with `concurrency` threads;
    `on_answer(job, status)` hears each answer. Returns (latencies in seconds, status counts, elapsed)."""
    lock = threading.Lock()
    latencies, statuses = [], {}
    iterator = iter(jobs)
    start = time.monotonic()
    sent = 0

    def loop():
        nonlocal sent
        while True:
            if duration is not None and time.monotonic() - start > duration:
                return
            with lock:
                job = next(iterator, None)
                if job is None:
                    return
                sent += 1
                count = sent
            t0 = time.perf_counter()
            try:
                status, _ = request(port, *job)
            except OSError as exc:
                status = type(exc).__name__
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
            if on_answer:
                on_answer(job, status)
            if on_sent:
                on_sent(count)

    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(loop)
    return latencies, statuses, time.monotonic() - start


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(server) -> dict[int, tuple[str, float]]:
    """CPU time (user + system) used so far by each process of the run, by pid, read from /proc:
    the bench's own PostgreSQL and Redis only, not the machine's shared ones."""
    groups = {server.web.pid: "gunicorn"}
    postmaster, redis = server.postgres.postmaster_pid(), server.redis.pid()
    if server.worker and server.worker.poll() is None:
        groups[server.worker.pid] = "celery"
    found: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        pid, ppid, pgid = int(entry.name), int(fields[1]), int(fields[2])
        if pid == os.getpid():
            part = "load generator"
        elif pgid in groups:
            part = groups[pgid]
        elif postmaster in (pid, ppid) and comm.startswith("postgres"):
            part = "postgres"
        elif pid == redis:
            part = "redis"
        else:
            continue
        found[pid] = (part, (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return found


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per part between two snapshots. A process that exited in between (a killed
    worker's database connection) is missing from `after`, so its share is left out, never negative."""
    used: dict[str, float] = {}
    for pid, (part, seconds) in after.items():
        used[part] = used.get(part, 0.0) + seconds - (before[pid][1] if pid in before else 0.0)
    return used


def cpu_per_request(used: dict, requests: int) -> str:
    parts = [
        f"{part} {used.get(part, 0) / requests * 1000:.2f}"
        for part in ("gunicorn", "postgres", "load generator", "celery", "redis")
    ]
    return f"CPU ms per request: {', '.join(parts)}; total {sum(used.values()) / requests * 1000:.2f}"


def wait_until_processed(deliveries, timeout: float) -> float:
    """Wait until none of `deliveries` waits for processing; the seconds it took."""
    start = time.monotonic()
    while deliveries.filter(status="received").exists() and time.monotonic() - start < timeout:
        time.sleep(0.2)
    return time.monotonic() - start


class Measure:
    """Requests, latencies, statuses, elapsed time and CPU time summed over rounds."""

    def __init__(self):
        self.latencies, self.statuses, self.elapsed, self.cpu = [], {}, 0.0, {}

    def add(self, server, run):
        before = cpu_seconds(server)
        latencies, statuses, elapsed = run()
        used = cpu_used(before, cpu_seconds(server))
        self.latencies += latencies
        self.elapsed += elapsed
        for key, value in statuses.items():
            self.statuses[key] = self.statuses.get(key, 0) + value
        for part, seconds in used.items():
            self.cpu[part] = self.cpu.get(part, 0.0) + seconds

    def print(self, label) -> float:
        rate = report(label, self.latencies, self.statuses, self.elapsed)
        print(f"  {'':<22} {cpu_per_request(self.cpu, len(self.latencies))}")
        return rate


class Deliveries:
    """Signed deliveries made before the clock starts (signing is the sender's work, not the
    receiver's), then made on the fly if a run outlasts them. Each has a new event and webhook id."""

    def __init__(self, template, run, count):
        self.template, self.run, self.n = template, run, 0
        self.ready = [make_delivery(template, n, run) for n in range(count)]

    def __iter__(self):
        while True:
            yield self.next()

    def next(self):
        self.n += 1
        return self.ready.pop() if self.ready else make_delivery(self.template, 10**9 + self.n, self.run)

    def unsigned(self):
        while True:
            body, _ = self.next()
            yield body, {"Content-Type": "application/json"}


def percentile(values, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def report(label, latencies, statuses, elapsed):
    rate = len(latencies) / elapsed if elapsed else 0
    print(
        f"  {label:<22} {len(latencies):>7} req  {rate:>8.1f} req/s  p50 {percentile(latencies, 50) * 1000:6.1f} ms"
        f"  p99 {percentile(latencies, 99) * 1000:6.1f} ms  mean {statistics.fmean(latencies) * 1000:6.1f} ms  {statuses}"
    )
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller numbers (about 4 minutes)")
    parser.add_argument("--duration", type=float, help="seconds per throughput measurement")
    parser.add_argument("--burst", type=int, help="deliveries in each fault burst (default 10,000; 2,000 with --quick)")
    parser.add_argument(
        "--drain-timeout", type=float, default=300, help="seconds to wait for a burst to be processed (default 300)"
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, help="interleaved rounds per view (default 3; 2 with --quick)")
    parser.add_argument("--worker-pool", choices=["prefork", "threads"], default="prefork", help="Celery pool")
    parser.add_argument("--web-workers", type=int, default=max(2, (os.cpu_count() or 1) + 1))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8765")))
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("BENCH_PG_PORT", "5544")))
    parser.add_argument("--redis-port", type=int, default=int(os.environ.get("BENCH_REDIS_PORT", "6390")))
    args = parser.parse_args()
    duration = args.duration or (4.0 if args.quick else 15.0)
    burst = args.burst or (2_000 if args.quick else 10_000)
    args.rounds = args.rounds or (2 if args.quick else 3)

    with own_services(args.pg_port, args.redis_port) as (postgres, redis):
        args.database_url, args.redis_url = postgres.url, redis.url
        run_bench(args, postgres, redis, duration=duration, burst=burst)


def run_bench(args, postgres: OwnPostgres, redis: OwnRedis, *, duration: float, burst: int):
    env = app_env(
        postgres,
        redis,
        port=args.port,
        WEBHOOK_SWEEP_AFTER_SECONDS="10",
        # A message the killed worker held unacknowledged is swept once stale: 30 s here, not 5 min.
        WEBHOOK_SWEEP_STALE_SECONDS="30",
    )
    migrated_app(env)
    from config.celery import app
    from webhooks.models import Delivery

    app.control.purge()
    path, org_id = setup_organization()
    template = json.loads(FIXTURE.read_text())
    logdir = Path(tempfile.mkdtemp(prefix="roster-bench-"))
    server = Server(env, args.port, args.web_workers, logdir)
    server.worker_pool = args.worker_pool
    server.postgres, server.redis = postgres, redis
    print(
        f"Roster webhook bench: Celery {args.worker_pool} pool, gunicorn {args.web_workers} sync workers on 127.0.0.1:{args.port}, "
        f"its own PostgreSQL (127.0.0.1:{postgres.port}, {postgres.dir}) and Redis ({args.redis_url}), "
        f"{os.cpu_count()} CPUs, concurrency {args.concurrency}; logs in {logdir}"
    )
    try:
        server.start_web()
        server.start_worker()
        server.wait_for_worker()

        # 1. Throughput, latency and CPU: the trivial view, the store-only floor and the receiver,
        # interleaved in rounds so that a noisy neighbour hurts all three alike.
        run = uuid.uuid4().hex[:8]
        deliveries = Deliveries(template, run, count=int(1500 * duration) * 2)
        targets = {
            "GET /healthz": lambda: iter(lambda: ("GET", "/healthz", None, None), None),
            "POST store-only floor": lambda: (
                ("POST", f"/bench/store-only/{org_id}", body, headers) for body, headers in deliveries.unsigned()
            ),
            "POST signed delivery": lambda: (("POST", path, body, headers) for body, headers in deliveries),
        }
        rates = {}
        for phase in ("worker running", "worker stopped"):
            if phase == "worker stopped":
                server.kill_worker()
            print(
                f"\n1. {phase}: {args.rounds} rounds of {duration / args.rounds:.1f} s per view, concurrency {args.concurrency}"
            )
            totals = {label: Measure() for label in targets}
            for _ in range(args.rounds):
                for label, jobs in targets.items():
                    if phase == "worker running":
                        # Each round starts with the queue drained, so a round is not charged
                        # for processing the previous one's deliveries.
                        wait_until_processed(
                            Delivery.objects.filter(organization_id=org_id, verified=True), timeout=120
                        )
                    totals[label].add(
                        server,
                        lambda jobs=jobs: fire(args.port, jobs(), args.concurrency, duration=duration / args.rounds),
                    )
            for label, measure in totals.items():
                rates[phase, label] = measure.print(label)
            trivial, floor, receiver = (rates[phase, label] for label in targets)
            print(
                f"  receiver / trivial view: {receiver / trivial:.0%}   store-only floor / trivial view: {floor / trivial:.0%}"
                f"   receiver / store-only floor: {receiver / floor:.0%}"
            )
        server.start_worker()
        server.wait_for_worker()

        # 2. Bursts, each with a fault; deliveries answered otherwise are sent again, as PagerDuty would.
        third = burst // 3
        phases = [
            (
                "a. worker killed",
                f"the worker is killed (SIGKILL) at {third} sent and restarted at {2 * third}",
                {third: ("worker killed", server.kill_worker), 2 * third: ("worker restarted", server.start_worker)},
            ),
            (
                "b. Redis stopped",
                f"Redis is stopped (its queue lost) at {third} sent and started again at {2 * third}",
                {third: ("Redis stopped", redis.stop), 2 * third: ("Redis started", redis.start)},
            ),
            (
                "c. PostgreSQL restarted",
                f"PostgreSQL is stopped at {burst // 2} sent and started again a second later",
                {burst // 2: ("PostgreSQL stopped and started again", lambda: restart_postgres(postgres))},
            ),
        ]
        results = []
        for label, what, faults in phases:
            print(f"\n2{label[0]}. Burst of {burst} deliveries; {what}")
            results.append(
                (
                    label,
                    burst_with_fault(
                        args,
                        path=path,
                        org_id=org_id,
                        template=template,
                        size=burst,
                        faults=faults,
                        timeout=args.drain_timeout,
                    ),
                )
            )
        print("\nFault bursts (lost = answered 2xx but not stored, or stored but never processed; goal 0):")
        print(f"  {'phase':<24} {'sent':>6} {'2xx':>6} {'retried':>8} {'stored':>7} {'processed':>9} {'lost':>5}")
        for label, r in results:
            print(
                f"  {label:<24} {r['sent']:>6} {r['2xx']:>6} {r['first not 2xx']:>8} {r['stored']:>7}"
                f" {r['processed']:>9} {r['lost']:>5}"
            )
    finally:
        server.stop()


def restart_postgres(postgres: OwnPostgres) -> None:
    postgres.stop()
    time.sleep(1)
    postgres.start()


def burst_with_fault(args, *, path: str, org_id: int, template: dict, size: int, faults: dict, timeout: float) -> dict:
    """Fire `size` deliveries; when `faults` has the number sent so far, run its action (in a thread
    of its own, so the load goes on meanwhile). Then send again, once, each delivery answered
    otherwise than 2xx (PagerDuty retries 5xx and timeouts), wait for processing and count."""
    from django.db import connection
    from django.db.models import Count

    from webhooks.models import Delivery

    run = uuid.uuid4().hex[:8]
    jobs = [("POST", path, *make_delivery(template, n, run)) for n in range(size)]
    event_of = {job[3]["X-Webhook-Id"]: f"{run}-{n}" for n, job in enumerate(jobs)}
    answers: dict[str, object] = {}
    actions = []

    def on_answer(job, status):
        answers[event_of[job[3]["X-Webhook-Id"]]] = status

    def on_sent(count):
        if count in faults:
            label, action = faults[count]
            thread = threading.Thread(target=action)
            thread.start()
            actions.append(thread)
            print(f"  {label} after {count} sent")

    latencies, statuses, elapsed = fire(args.port, jobs, args.concurrency, on_sent=on_sent, on_answer=on_answer)
    for thread in actions:
        thread.join()
    report("burst", latencies, statuses, elapsed)

    def ok(status) -> bool:
        return isinstance(status, int) and 200 <= status < 300

    first_not_ok = [job for job in jobs if not ok(answers.get(event_of[job[3]["X-Webhook-Id"]]))]
    if first_not_ok:
        retried = fire(args.port, first_not_ok, args.concurrency, on_answer=on_answer)[1]
        print(f"  sent again (as PagerDuty retries): {len(first_not_ok)}; answered {retried}")
    accepted = {event for event, status in answers.items() if ok(status)}

    connection.close()  # PostgreSQL may have been restarted under this process's connection
    ours = Delivery.objects.filter(organization_id=org_id, event_id__startswith=f"{run}-")
    done_states = ["processed", "skipped"]
    wait_start = time.monotonic()
    while time.monotonic() - wait_start < timeout:
        if not ours.exclude(status__in=done_states).exists():
            break
        time.sleep(1)
    stored = set(ours.values_list("event_id", flat=True))
    processed = set(ours.filter(status__in=done_states).values_list("event_id", flat=True))
    left = dict(ours.exclude(status__in=done_states).values_list("status").annotate(n=Count("id")))
    lost = len(accepted - stored) + len(stored - processed)
    print(
        f"  answered 2xx: {len(accepted)} of {size}; stored: {len(stored)}; processed: {len(processed)}, "
        f"{time.monotonic() - wait_start:.1f} s after the burst ended; unfinished by status: {left or 'none'}"
    )
    print(
        f"  LOST: {lost} (answered 2xx but not stored: {len(accepted - stored)}; "
        f"stored but never processed: {len(stored - processed)})"
    )
    return {
        "sent": size,
        "2xx": len(accepted),
        "first not 2xx": len(first_not_ok),
        "stored": len(stored),
        "processed": len(processed),
        "lost": lost,
    }


if __name__ == "__main__":
    main()
