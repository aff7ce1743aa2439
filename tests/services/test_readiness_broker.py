"""/readyz against a real Redis broker: a Redis of the test's own (so the shared one keeps running),
stopped and started again."""

import shutil
import socket
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from ops.models import PeriodicRun
from tests.conftest import stop_process_group, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port: int, tmp_path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, timeout=10)
    return proc


def test_readyz_names_the_broker_while_redis_is_stopped_and_recovers(client, monkeypatch, tmp_path):
    PeriodicRun.objects.create(task="notifications.tasks.sweep", last_run_at=timezone.now() - timedelta(seconds=5))
    port = free_port()
    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{port}/0")
    redis = start_redis(port, tmp_path)
    try:
        assert client.get("/readyz").status_code == 200
        stop_process_group(redis, timeout=10)
        response = client.get("/readyz")
        assert response.status_code == 503
        failing = {name for name, part in response.json()["parts"].items() if not part["ok"]}
        assert failing == {"broker"}
        redis = start_redis(port, tmp_path)
        assert client.get("/readyz").status_code == 200
    finally:
        stop_process_group(redis, timeout=10)


def test_the_celery_queue_length_metric_counts_tasks_waiting_in_redis(client, settings, monkeypatch, tmp_path):
    from prometheus_client.parser import text_string_to_metric_families

    from config.celery import app

    port = free_port()
    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{port}/0")
    settings.METRICS_TOKEN = "queue-metrics-token-0001"
    redis = start_redis(port, tmp_path)

    def waiting() -> float:
        text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer queue-metrics-token-0001").content.decode()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "roster_celery_queue_length" and sample.labels == {"queue": "celery"}:
                    return sample.value
        return 0.0

    try:
        assert waiting() == 0
        with app.connection_for_write() as connection:  # this Redis, not the app's pooled connection
            for _ in range(3):  # no worker listens on this Redis: the messages wait
                app.send_task("notifications.tasks.sweep", connection=connection)
        assert waiting() == 3
    finally:
        stop_process_group(redis, timeout=10)
