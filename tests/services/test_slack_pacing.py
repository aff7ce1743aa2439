"""With a real Redis: two processes calling Slack for one workspace together never make more calls
of a method than Slack's limit lets through in a minute (the window is counted in Redis, shared)."""

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.services
PACER = Path(__file__).with_name("slack_pacer.py")


def test_two_processes_together_never_exceed_a_workspace_methods_budget(fake_slack, settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: run `make test-services`")
    fake_slack.rate_limits = True  # Slack's own limit: a call over it would be answered 429
    team = f"T{uuid.uuid4().hex[:10].upper()}"
    start = f"{time.time() + 10:.3f}"  # both begin together, once both have started
    args = [fake_slack.api_url, fake_slack.issue_token(), team, "30", start]
    env = {"REDIS_URL": settings.REDIS_URL, "PATH": "/usr/bin:/bin"}
    processes = [
        subprocess.Popen([sys.executable, str(PACER), *args], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60)[0].split() for p in processes]
    assert all(p.returncode == 0 for p in processes)
    sent = [int(o[0]) for o in outputs]
    paced = [int(o[1]) for o in outputs]
    assert sum(sent) == 20 and sum(paced) == 40  # tier 2: 20 a minute, whoever makes them
    assert not any(int(o[2]) for o in outputs), "a process started late: they did not run together"
    assert all(sent)  # both got some of the budget
    assert fake_slack.calls["usergroups.list"] == 20 and fake_slack.throttled == {}
