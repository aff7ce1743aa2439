"""The bench's own PostgreSQL and Redis, on ports of their own, so that its fault phases can stop
and restart them without touching the machine's shared servers (other people's work, CI).

`OwnPostgres` is a throw-away cluster made with initdb in a temporary directory (trust
authentication on 127.0.0.1 only), run by the `postgres` user when the bench runs as root;
`OwnRedis` is a redis-server with no persistence. Both are removed by `drop()`/`stop()`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _wait_for_port(port: int, *, up: bool, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _port_free(port) != up:
            return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not {'open' if up else 'close'} within {timeout} s")


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return Path(pg_ctl).parent
    raise RuntimeError("PostgreSQL's pg_ctl and initdb are needed (apt-get install postgresql)")


class OwnPostgres:
    def __init__(self, port: int):
        if not _port_free(port):
            raise RuntimeError(f"port {port} is in use: choose another with --pg-port")
        self.port = port
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="roster-bench-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.run_as = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.run_as = "postgres"
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/roster_bench"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _ctl(self, action: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir} -c max_connections=200"
        )
        self._run("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w", "-m", "fast", "-o", options)

    def start(self) -> None:
        if not self.data.exists():
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self._ctl("start")
        _wait_for_port(self.port, up=True)

    def stop(self) -> None:
        self._ctl("stop")

    def restart(self) -> None:
        """Stop (fast: open connections are cut) and start again; returns once it accepts connections."""
        self._ctl("restart")

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def drop(self) -> None:
        if self.postmaster_pid() is not None:
            try:
                self.stop()
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


class OwnRedis:
    def __init__(self, port: int):
        if not _port_free(port):
            raise RuntimeError(f"port {port} is in use: choose another with --redis-port")
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="roster-bench-redis-"))
        self.pidfile = self.dir / "redis.pid"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--daemonize", "yes", "--pidfile", str(self.pidfile), "--dir", str(self.dir)]
            + ["--logfile", str(self.dir / "redis.log")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        _wait_for_port(self.port, up=True)

    def pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        """Shut it down without saving: whatever was queued in it is gone, as in a crash."""
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port, up=False)

    def drop(self) -> None:
        if not _port_free(self.port):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def own_services(pg_port: int, redis_port: int) -> Iterator[tuple[OwnPostgres, OwnRedis]]:
    """The bench's own PostgreSQL and Redis, started, and removed at the end (whatever happened, also
    when the bench is stopped with SIGTERM: it then reports nothing)."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    postgres, redis = OwnPostgres(pg_port), OwnRedis(redis_port)
    try:
        postgres.start()
        redis.start()
        yield postgres, redis
    finally:
        redis.drop()
        postgres.drop()


def cpu_seconds(*roots: int) -> float:
    """CPU time (user + system) so far of the processes `roots` and all their descendants that are
    still running, from /proc: what each part of a bench spent, on a machine whose cores they share."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    total = 0.0
    for pid, seconds in used.items():
        ancestor = pid
        while ancestor and ancestor not in roots:
            ancestor = parents.get(ancestor, 0)
        if ancestor:
            total += seconds
    return total


# --- the app each bench serves ------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def app_env(postgres: OwnPostgres, redis: OwnRedis, *, port: int = 8000, **settings: str) -> dict:
    """The environment a bench runs Roster with: its own PostgreSQL (persistent connections, as a
    production deployment sets them) and Redis, production settings (DEBUG off), plus `settings`."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"{postgres.url}?conn_max_age=60&conn_health_checks=true",
        "REDIS_URL": redis.url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "FIELD_ENCRYPTION_KEY": "nSNuHu8hkzQjfZF2rZ8p3vJZ0R2mX4oqQb9g3VQyG3E=",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        **settings,
    }


def ensure_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres", query="").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def migrated_app(env: dict) -> None:
    """This process set up as the app `env` describes: the database made and migrated, Django ready."""
    os.environ.update(env)
    ensure_database(env["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    import django

    django.setup()


def in_process_app(name: str) -> Path:
    """This process set up as the app under the test settings on a fresh SQLite database of its own
    (returned), Celery in-process, logging warnings only: migrated, Django ready."""
    database = Path(tempfile.gettempdir()) / f"roster-bench-{name}.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    database.unlink(missing_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return database


def start_web(env: dict, port: int, logdir: Path, options: list[str], wsgi: str = "config.wsgi") -> subprocess.Popen:
    """gunicorn serving `wsgi` on 127.0.0.1:port with `options`, logging to logdir/gunicorn.log, in its own
    process group; returns once /healthz answers 200."""
    log = open(logdir / "gunicorn.log", "w")  # noqa: SIM115
    web = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), wsgi, "--bind", f"127.0.0.1:{port}", *options]
        + ["--log-level", "warning", "--backlog", "2048"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return web
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start; see {logdir / 'gunicorn.log'}")


def start_worker(env: dict, concurrency: int, logdir: Path, *, pool: str = "prefork") -> subprocess.Popen:
    """A Celery worker with beat, adding to logdir/celery.log, in its own process group."""
    log = open(logdir / "celery.log", "a")  # noqa: SIM115
    return subprocess.Popen(
        [str(VENV_BIN / "celery"), "-A", "config", "worker", "-B", "--loglevel", "warning"]
        + ["--pool", pool, "--concurrency", str(concurrency), "--schedule", str(logdir / "beat-schedule")]
        + ["--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(*processes: subprocess.Popen | None, timeout: float = 20) -> None:
    """Stop each process started in its own group (start_web, start_worker) that still runs, and its
    children: SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    for process in processes:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def wait_for_worker(timeout: float = 60) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if app.control.ping(timeout=0.5):
                return
        except Exception:  # noqa: BLE001  (Redis was restarted under this process's connection)
            app.pool.force_close_all()
            time.sleep(0.5)
    raise RuntimeError("the Celery worker did not start (see its celery.log)")


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q from 0 to 1) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]
