"""`make run` is the whole product: its worker with beat (bin/worker) on the embedded broker, with the
development settings and a SQLite file, re-syncs a bound rotation every ROSTER_SYNC_INTERVAL with no
click (against the fake PagerDuty server), and processes a webhook delivery its web server stored.
Runs in the plain `make test` suite (no Redis, no PostgreSQL)."""

import os
import shutil
import socket
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import stop_process_group, wait_for
from tests.rotations.fake_schedules import FakeSchedule, install

# Its tests share the module's set-up database (set_up_once) where they run in one process: the group
# keeps them on one xdist worker (once pytest-xdist honours groups under pytest 9.2 again: #1386).
pytestmark = [pytest.mark.subprocess, pytest.mark.xdist_group("test_embedded_worker")]

ROOT = Path(__file__).resolve().parents[2]
KEY = "nSNuHu8hkzQjfZF2rZ8p3vJZ0R2mX4oqQb9g3VQyG3E="

SETUP = """
from accounts.services import organization_create
from integrations.pagerduty.models import PagerDutyConnection
from rotations import services
from rotations.models import Rotation

org = organization_create(name="Acme", admin_email="admin@acme.example", password="correct horse battery staple")
PagerDutyConnection.objects.create(organization=org, auth_type="api_key", api_key="u+fakeUserKey0001", key_last4="0001")
rotation = services.rotation_create(
    organization=org, name="Platform", time_zone="Europe/Paris", members=[("Ana", "ana@acme.example")]
)
Rotation.objects.filter(pk=rotation.pk).update(pagerduty_schedule_id="PSHIFT1")

from webhooks import services as webhooks
webhooks.webhook_secret_add(organization=org, secret=SECRET)
print("endpoint:", webhooks.endpoint_for(org).public_id)
"""
SECRET = "whsec-embedded-worker-test-0001"
DELIVERY = ROOT / "tests" / "webhooks" / "fixtures" / "incident.triggered.json"


def development_env_in(folder: Path, pagerduty_url: str) -> dict:
    """The development settings on a SQLite file and an embedded broker in `folder`; nothing from a
    developer's .env (ROSTER_ENV_FILE empty) or shell."""
    return {
        "PATH": os.environ["PATH"],
        "ROSTER_ENV_FILE": "",
        "DJANGO_SETTINGS_MODULE": "config.settings.development",
        "DEBUG": "true",
        "SECRET_KEY": "embedded-worker-test-secret-key-0123456789",
        "FIELD_ENCRYPTION_KEY": KEY,
        "DATABASE_URL": f"sqlite:///{folder / 'roster.sqlite3'}",
        "ROSTER_BROKER_DIR": str(folder / "broker"),
        "ROSTER_SYNC_INTERVAL": "1",
        "PAGERDUTY_API_URL": pagerduty_url,
        "PAGERDUTY_EU_API_URL": pagerduty_url,
        "LOG_LEVEL": "INFO",
        # The sweeper re-queues nothing during a test: only the web process's relay hands a delivery on.
        "WEBHOOK_SWEEP_AFTER_SECONDS": "3600",
        "WEBHOOK_SWEEP_STALE_SECONDS": "3600",
    }


@pytest.fixture
def development_env(tmp_path, fake_pagerduty) -> dict:
    return development_env_in(tmp_path, fake_pagerduty.url)


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def worker_with_beat(development_env, tmp_path):
    """bin/worker, as `make run` starts it, in its own process group (stopped as bin/run stops it)."""
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [str(ROOT / "bin" / "worker"), f"--schedule={tmp_path / 'celerybeat-schedule'}"],
            cwd=ROOT,
            env=development_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield log_path
        finally:
            stop_process_group(proc, timeout=60)


def shifts_in(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM rotations_shift").fetchone()[0]


@pytest.fixture(scope="module")
def set_up_once(tmp_path_factory) -> tuple[Path, str]:
    """Migrate and SETUP once for this file's tests in this process: a folder with the database and
    the broker as they left them, and the organization's webhook endpoint. No PagerDuty
    answers here (nothing listens on port 9): the set-up calls none."""
    folder = tmp_path_factory.mktemp("embedded-worker-setup")
    env = development_env_in(folder, "http://127.0.0.1:9")
    manage(env, "migrate", "--noinput", "-v0")
    output = manage(env, "shell", "-c", f"SECRET = {SECRET!r}\n{SETUP}")
    return folder, output.split("endpoint: ")[1].strip()


@pytest.fixture
def bound_rotation(set_up_once, development_env, fake_pagerduty, tmp_path):
    """A copy of the set-up database (and broker) in the test's tmp_path, and the fake PagerDuty's schedule."""
    folder, endpoint = set_up_once
    shutil.copytree(folder, tmp_path, dirs_exist_ok=True)
    install(
        fake_pagerduty,
        schedules={"PSHIFT1": FakeSchedule(users=["PANA001"], kind="v3", name="Ops")},
        users={"PANA001": ("Ana Ortiz", "ana@acme.example")},
    )
    return endpoint


def test_a_bound_rotation_follows_pagerduty_with_no_click(bound_rotation, worker_with_beat, fake_pagerduty, tmp_path):
    schedule = ("GET", "/v3/schedules/PSHIFT1")

    # Beat's rotations-sync entry fires every second; each run fetches the schedule again.
    wait_for(lambda: fake_pagerduty.calls[schedule] >= 2, timeout=120)

    assert shifts_in(tmp_path / "roster.sqlite3") > 0, worker_with_beat.read_text()


@pytest.fixture
def web_server(development_env, tmp_path):
    """runserver, as `make run` starts it, on a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(tmp_path / "web.log", "w") as log:
        proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=development_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: answers(url + "/healthz"), timeout=120)
            yield url
        finally:
            stop_process_group(proc, timeout=60)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def delivery_statuses(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [row[0] for row in connection.execute("SELECT status FROM webhooks_delivery")]


def test_a_webhook_stored_by_the_web_server_is_processed_by_the_worker(
    bound_rotation, worker_with_beat, web_server, tmp_path
):
    from webhooks.signature import header_for

    body = DELIVERY.read_bytes()
    request = urllib.request.Request(
        f"{web_server}/webhooks/pagerduty/{bound_rotation}/",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-PagerDuty-Signature": header_for(body, [SECRET])},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202

    # The web process's relay queues it on the embedded broker; the worker processes it.
    wait_for(lambda: delivery_statuses(tmp_path / "roster.sqlite3") == ["processed"], timeout=120)
