"""Production settings pass Django's deployment checks and refuse to start without a SECRET_KEY."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEY = "nSNuHu8hkzQjfZF2rZ8p3vJZ0R2mX4oqQb9g3VQyG3E="


def manage(*args, **env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        check=False,
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings.production", "FIELD_ENCRYPTION_KEY": KEY, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="p" * 20 + "roster-production-secret-key-for-the-check-0123456789",
        ALLOWED_HOSTS="roster.example.com",
        DATABASE_URL="sqlite:////tmp/roster-deploy-check.sqlite3",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DATABASE_URL="sqlite:////tmp/roster-deploy-check.sqlite3")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
