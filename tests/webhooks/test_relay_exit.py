"""With a real Redis: a web process that exits (gunicorn's graceful stop) publishes the ids its
relay still holds, instead of leaving them to the sweeper's five-minute pass."""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.services, pytest.mark.subprocess]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import django
django.setup()
from webhooks.relay import relay
relay.submit(101)
relay.submit(102)
print("held", relay.pending())
"""


def test_ids_held_by_the_relay_are_published_when_the_process_exits(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: run `make test-services`")
    import redis

    # This test process's own Redis database: no worker listens on it now (a real worker runs only
    # inside a test that asks for one), and under pytest-xdist no other test process uses it.
    url = settings.REDIS_URL
    queue = redis.Redis.from_url(url)
    queue.delete("celery")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": url,
        "WEBHOOK_RELAY_LINGER": "60",  # the thread would wait a minute: only the exit publishes
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "held [101, 102]" in done.stdout

    messages = [json.loads(raw) for raw in queue.lrange("celery", 0, -1)]
    queue.delete("celery")
    assert [m["headers"]["task"] for m in messages] == ["webhooks.tasks.process_deliveries"]
    args, _kwargs, _options = json.loads(base64.b64decode(messages[0]["body"]))
    assert args == [[101, 102]]
