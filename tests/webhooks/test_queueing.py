"""Work is queued by task name (webhooks/queueing.py): every process must know the tasks, or an
in-process (eager) run would hand the message to a broker nobody reads."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]


def test_a_fresh_process_knows_the_webhook_tasks_it_queues_by_name():
    code = (
        "import django; django.setup(); from config.celery import app; from webhooks import queueing; "
        "print(all(name in app.tasks for name in (queueing.PROCESS_DELIVERIES, queueing.FETCH_INCIDENT)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.test"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == "True"
