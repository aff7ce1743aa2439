"""The test suite depends on no developer's .env or shell: the test settings come out the same with a
hostile environment and .env (what `make run` writes, and worse) as with none at all."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]
DUMP = (
    "import django, json, re; django.setup(); from django.conf import settings; "
    # A lazy object's repr carries its memory address, which differs between any two processes.
    "print(json.dumps({k: re.sub(' at 0x[0-9a-f]+', '', repr(getattr(settings, k))) for k in dir(settings) if k.isupper()}))"
)
HOSTILE = {
    "DEBUG": "true",
    "SECRET_KEY": "a-developers-own-secret-key",
    "FIELD_ENCRYPTION_KEY": "Q2hhbmdlZC1ieS1hLWRldmVsb3Blci0wMTIzNDU2Nzg=",
    "ALLOWED_HOSTS": "roster.example.org",
    "PUBLIC_BASE_URL": "https://roster.example.org",
    "EMAIL_URL": "smtp://mail.example.org:25",
    "PAGERDUTY_OAUTH_ENABLED": "true",
    "PAGERDUTY_CLIENT_ID": "a-developers-app",
    "ROSTER_SYNC_INTERVAL": "1",
    "ROSTER_INVITATION_DAYS": "1",
    "WEBHOOK_MAX_HELD": "1",
    "WEBHOOK_RELAY_LINGER": "5",
    "ROSTER_BROKER_DIR": "/nonexistent/broker",
    "ROSTER_LOGIN_FAILURE_LIMIT": "1000",
    "ROSTER_TRUSTED_PROXY_COUNT": "3",
    "SLACK_CLIENT_ID": "a-developers-slack-app",
}


def settings_under(env: dict) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", DUMP],
        check=True,
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(result.stdout)


def test_a_developers_dotenv_and_shell_change_no_test_setting(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "DJANGO_SETTINGS_MODULE=config.settings.development\n"
        "LOG_LEVEL=DEBUG\nWEBHOOK_MAX_BODY_BYTES=10\nPAGERDUTY_TIMEOUT=0.001\n"
    )

    clean = settings_under({})
    hostile = settings_under({**HOSTILE, "ROSTER_ENV_FILE": str(dotenv)})

    changed = {name: (clean[name], hostile.get(name)) for name in clean if clean[name] != hostile.get(name)}
    assert changed == {}
    assert clean["SETTINGS_MODULE"] == repr("config.settings.test")
    assert clean["DEBUG"] == "False"
    assert clean["ROSTER_SYNC_INTERVAL"] == "300"
