"""`gunicorn config.wsgi`, `celery -A config` and manage.py start with the production settings unless
the environment or .env names others; production passes Django's deployment checks and refuses to
start, naming the variable, without SECRET_KEY, REDIS_URL or FIELD_ENCRYPTION_KEY, or with a SECRET_KEY
that is .env.example's placeholder or shorter than 50 characters.

Every process here gets an explicit environment and .env (ROSTER_ENV_FILE): none of a developer's."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess

ROOT = Path(__file__).resolve().parents[2]
KEY = "nSNuHu8hkzQjfZF2rZ8p3vJZ0R2mX4oqQb9g3VQyG3E="
PRODUCTION = {
    "SECRET_KEY": "p" * 20 + "roster-production-secret-key-for-the-check-0123456789",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "FIELD_ENCRYPTION_KEY": KEY,
    "ALLOWED_HOSTS": "roster.example.com",
    "DATABASE_URL": "sqlite:////tmp/roster-deploy-check.sqlite3",
}
# What each entry point prints once it has its settings: the module it chose.
SHOW_SETTINGS = "from django.conf import settings; print('settings:', settings.SETTINGS_MODULE)"
ENTRY_POINTS = {
    "manage.py": ["manage.py", "shell", "-c", SHOW_SETTINGS],
    "gunicorn config.wsgi": ["-c", f"import config.wsgi; {SHOW_SETTINGS}"],
    "celery -A config": ["-c", f"from config.celery import app; app.loader.import_default_modules(); {SHOW_SETTINGS}"],
}


def start(
    args: list[str], env_file: str = "", program: str = sys.executable, **env: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [program, *args],
        check=False,
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "ROSTER_ENV_FILE": env_file, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def without(name: str) -> dict:
    return {k: v for k, v in PRODUCTION.items() if k != name}


def test_production_settings_pass_the_deployment_checks():
    result = start(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SETTINGS_MODULE="config.settings.production",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_each_entry_point_starts_with_production_settings_unless_told_otherwise(entry_point):
    result = start(ENTRY_POINTS[entry_point], **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "settings: config.settings.production" in result.stdout


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_each_entry_point_refuses_to_start_without_a_secret_key(entry_point):
    result = start(ENTRY_POINTS[entry_point], **without("SECRET_KEY"))

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "settings:" not in result.stdout


def test_gunicorn_exits_without_a_secret_key(tmp_path):
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    args = ["config.wsgi", "--bind", "127.0.0.1:0", f"--control-socket={tmp_path / 'gunicorn.ctl'}"]
    result = start(args, program=gunicorn, **without("SECRET_KEY"))

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def env_example_secret_key() -> str:
    (value,) = re.findall(r"^SECRET_KEY=(.*)$", (ROOT / ".env.example").read_text(), re.M)
    return value


@pytest.mark.parametrize(
    ("secret_key", "problem"),
    [
        (env_example_secret_key(), "SECRET_KEY is the placeholder from .env.example"),
        ("x7Kq" * 12 + "9", "SECRET_KEY is too short"),  # 49 characters
        ("ab" * 30, "SECRET_KEY is too short or too simple"),  # long, but 2 different characters
    ],
)
def test_production_refuses_to_start_with_a_placeholder_or_short_secret_key(secret_key, problem):
    result = start(ENTRY_POINTS["gunicorn config.wsgi"], **without("SECRET_KEY"), SECRET_KEY=secret_key)

    assert result.returncode != 0
    assert problem in result.stderr
    assert secret_key not in result.stderr  # named, never shown
    assert "settings:" not in result.stdout


def test_a_key_of_50_random_characters_is_enough():
    result = start(ENTRY_POINTS["gunicorn config.wsgi"], **without("SECRET_KEY"), SECRET_KEY="x7Kq" * 12 + "9Z")

    assert result.returncode == 0, result.stderr
    assert "settings: config.settings.production" in result.stdout


@pytest.mark.parametrize("variable", ["REDIS_URL", "FIELD_ENCRYPTION_KEY"])
def test_production_refuses_to_start_without_redis_or_an_encryption_key(variable):
    result = start(ENTRY_POINTS["gunicorn config.wsgi"], **without(variable))

    assert result.returncode != 0
    assert f"{variable} is not set" in result.stderr


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_a_settings_module_written_in_dotenv_is_the_one_used(entry_point, tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "DJANGO_SETTINGS_MODULE=config.settings.development\nDEBUG=true\n"
        f"FIELD_ENCRYPTION_KEY={KEY}\nROSTER_BROKER_DIR={tmp_path / 'broker'}\n"
    )

    result = start(ENTRY_POINTS[entry_point], env_file=str(dotenv))

    assert result.returncode == 0, result.stderr
    assert "settings: config.settings.development" in result.stdout


def test_development_without_debug_refuses_to_start_without_a_secret_key(tmp_path):
    result = start(
        ENTRY_POINTS["manage.py"],
        DJANGO_SETTINGS_MODULE="config.settings.development",
        FIELD_ENCRYPTION_KEY=KEY,
        ROSTER_BROKER_DIR=str(tmp_path / "broker"),
    )

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_in_the_environment_does_not_relax_production():
    result = start(ENTRY_POINTS["manage.py"], DEBUG="true", **without("SECRET_KEY"))

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
