"""Benchmark the webhook receiver (not a test: it prints figures, it asserts nothing).

    .venv/bin/python bench/webhooks.py            # ~5 minutes
    .venv/bin/python bench/webhooks.py --quick    # ~1.5 minutes, smaller numbers

It serves the app with gunicorn on 127.0.0.1 against PostgreSQL (its own database, migrated
first), runs a Celery worker with beat on Redis, and from this (second) process:
1. measures, with the worker running and then stopped, in interleaved rounds at the same
   concurrency: the trivial `/healthz` view, a store-only floor (bench/urls.py: one INSERT of the
   body and a 202, nothing else — the least any durable receiver does) and signed deliveries to
   the receiver; prints requests/s, p50/p99 latency and the CPU each part of the machine
   (gunicorn, PostgreSQL, this load generator, the Celery worker, Redis) spent per request;
2. fires a burst of deliveries, kills the worker (SIGKILL) a third of the way in and starts it
   again at two thirds, then waits for the queue and the sweeper to drain and prints how many
   accepted deliveries were lost (stored or processed rows short of the 2xx answers).
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/roster_bench),
BENCH_REDIS_URL (default redis://127.0.0.1:6379/13), BENCH_PORT (default 8765), BENCH_GUNICORN_CONF
(a gunicorn config file added to the command line, e.g. hooks that profile each worker).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent
SECRET = "bench-signing-secret-0001"
FIXTURE = ROOT / "tests" / "webhooks" / "fixtures" / "incident.triggered.json"
STATUSES = ["triggered", "acknowledged", "resolved"]


def bench_env(args) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        # Persistent connections, as a production deployment would set them (see .env.example).
        "DATABASE_URL": f"{args.database_url}?conn_max_age=60&conn_health_checks=true",
        "REDIS_URL": args.redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "FIELD_ENCRYPTION_KEY": "nSNuHu8hkzQjfZF2rZ8p3vJZ0R2mX4oqQb9g3VQyG3E=",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{args.port}",
        "LOG_LEVEL": "WARNING",
        "WEBHOOK_SWEEP_AFTER_SECONDS": "10",
        # A message the killed worker held unacknowledged is swept once stale: 30 s here, not 5 min.
        "WEBHOOK_SWEEP_STALE_SECONDS": "30",
    }


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_organization():
    """A fresh bench organization with a signing secret; returns (endpoint path, organization id)."""
    from accounts.models import Organization
    from webhooks import services
    from webhooks.models import Delivery, Incident

    org, _ = Organization.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    Delivery.objects.filter(organization=org).delete()
    Incident.objects.filter(organization=org).delete()
    if not services.active_secrets(org):
        services.webhook_secret_add(organization=org, secret=SECRET, label="bench")
    endpoint = services.endpoint_for(org)
    return f"/webhooks/pagerduty/{endpoint.public_id}/", org.pk


class Server:
    def __init__(self, env, port: int, workers: int, logdir: Path):
        self.env, self.port, self.workers, self.logdir = env, port, workers, logdir
        self.web = self.worker = None

    def start_web(self):
        log = open(self.logdir / "gunicorn.log", "w")  # noqa: SIM115
        self.web = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
            ]
            + ["--log-level", "warning", "--backlog", "2048"]
            + (["-c", os.environ["BENCH_GUNICORN_CONF"]] if os.environ.get("BENCH_GUNICORN_CONF") else []),
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if request(self.port, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start; see {self.logdir / 'gunicorn.log'}")

    def start_worker(self):
        log = open(self.logdir / "celery.log", "a")  # noqa: SIM115
        self.worker = subprocess.Popen(
            [str(VENV_BIN / "celery"), "-A", "config", "worker", "-B", "--loglevel", "warning"]
            + ["--pool", self.worker_pool, "--concurrency", "2" if self.worker_pool == "prefork" else "4"]
            + ["--schedule", str(self.logdir / "beat-schedule"), "--without-gossip", "--without-mingle"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_for_worker(self):
        from config.celery import app

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if app.control.ping(timeout=0.5):
                return
        raise RuntimeError(f"the Celery worker did not start; see {self.logdir / 'celery.log'}")

    def kill_worker(self):
        if self.worker and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait()

    def stop(self):
        for proc in (self.web, self.worker):
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)


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


def fire(port: int, jobs, concurrency: int, *, duration: float | None = None, on_sent=None):
    """Run `jobs` (an iterator of (method, path, body, headers)) with `concurrency` threads.
    Returns (latencies in seconds, status counts, elapsed)."""
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
            if on_sent:
                on_sent(count)

    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(loop)
    return latencies, statuses, time.monotonic() - start


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(server) -> dict[int, tuple[str, float]]:
    """CPU time (user + system) used so far by each process of the run, by pid, read from /proc."""
    groups = {server.web.pid: "gunicorn"}
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
        pid, pgid = int(entry.name), int(fields[2])
        if pid == os.getpid():
            part = "load generator"
        elif pgid in groups:
            part = groups[pgid]
        elif comm.startswith("postgres"):
            part = "postgres"
        elif comm.startswith("redis"):
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
    parser.add_argument("--quick", action="store_true", help="smaller numbers (about a minute)")
    parser.add_argument("--duration", type=float, help="seconds per throughput measurement")
    parser.add_argument("--burst", type=int, help="deliveries in the worker-restart burst")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, help="interleaved rounds per view (default 3; 2 with --quick)")
    parser.add_argument("--worker-pool", choices=["prefork", "threads"], default="prefork", help="Celery pool")
    parser.add_argument("--web-workers", type=int, default=max(2, (os.cpu_count() or 1) + 1))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8765")))
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/roster_bench"),
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    args = parser.parse_args()
    duration = args.duration or (4.0 if args.quick else 15.0)
    burst = args.burst or (2_000 if args.quick else 10_000)
    args.rounds = args.rounds or (2 if args.quick else 3)

    env = bench_env(args)
    os.environ.update(env)
    ensure_database(args.database_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from django.db.models import Count

    from config.celery import app
    from webhooks.models import Delivery

    app.control.purge()
    path, org_id = setup_organization()
    template = json.loads(FIXTURE.read_text())
    logdir = Path(tempfile.mkdtemp(prefix="roster-bench-"))
    server = Server(env, args.port, args.web_workers, logdir)
    server.worker_pool = args.worker_pool
    print(
        f"Roster webhook bench: Celery {args.worker_pool} pool, gunicorn {args.web_workers} sync workers on 127.0.0.1:{args.port}, PostgreSQL "
        f"{urlparse(args.database_url).path.lstrip('/')}, Redis {args.redis_url}, {os.cpu_count()} CPUs, "
        f"concurrency {args.concurrency}; logs in {logdir}"
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

        # 2. A burst with the worker killed a third of the way in and started again at two thirds.
        print(
            f"\n2. Burst of {burst} deliveries; the worker is killed (SIGKILL) at {burst // 3} and restarted at {2 * burst // 3}"
        )
        run = uuid.uuid4().hex[:8]
        before = Delivery.objects.filter(organization_id=org_id).count()

        def on_sent(count):
            if count == burst // 3:
                server.kill_worker()
                print(f"  worker killed after {count} sent")
            elif count == 2 * burst // 3:
                server.start_worker()
                print(f"  worker restarted after {count} sent")

        jobs = (("POST", path, *make_delivery(template, n, run)) for n in range(burst))
        latencies, statuses, elapsed = fire(args.port, jobs, args.concurrency, on_sent=on_sent)
        report("burst", latencies, statuses, elapsed)
        accepted = sum(v for k, v in statuses.items() if isinstance(k, int) and 200 <= k < 300)
        ours = Delivery.objects.filter(organization_id=org_id, event_id__startswith=f"{run}-")
        stored = ours.count()
        print(f"  answered 2xx: {accepted}; stored: {stored} (deliveries before the burst: {before})")
        done_states = ["processed", "skipped"]
        wait_start = time.monotonic()
        timeout = 240
        while time.monotonic() - wait_start < timeout:
            done = ours.filter(status__in=done_states).count()
            if done >= stored:
                break
            time.sleep(1)
        done = ours.filter(status__in=done_states).count()
        left = dict(ours.exclude(status__in=done_states).values_list("status").annotate(n=Count("id")))
        print(
            f"  processed: {done} of {stored}, {time.monotonic() - wait_start:.1f} s after the burst ended; unfinished by status: {left or 'none'}"
        )
        print(
            f"  LOST (answered 2xx but not stored, or stored but never processed): {accepted - stored + (stored - done)}"
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
