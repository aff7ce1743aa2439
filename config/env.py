"""One place that reads the environment (django-environ).

Every variable is documented in `.env.example`. The entry points (`manage.py`, `config/wsgi.py`,
`config/celery.py`) call `use_settings()`: it reads a `.env` beside manage.py (`make run` writes one
that opts into the development settings), then chooses the settings module, production unless the
environment or that `.env` names another.

The test settings (`config.settings.test`) read no `.env` and see only `TEST_ENVIRONMENT` from the
environment, so the suite never depends on a developer's `.env` or shell.
"""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS = "config.settings.production"
TEST_SETTINGS = "config.settings.test"
# What the test settings take from the environment: the services suite's database and Redis, and what
# a test passes to a worker it starts (the fake PagerDuty's address) or a bench script sets.
TEST_ENVIRONMENT = (
    "DATABASE_URL",
    "REDIS_URL",
    "PAGERDUTY_API_URL",
    "PAGERDUTY_EU_API_URL",
    "PAGERDUTY_IDENTITY_URL",
    "LOG_LEVEL",
)


def testing() -> bool:
    return os.environ.get("DJANGO_SETTINGS_MODULE") == TEST_SETTINGS


def use_settings() -> None:
    """Read `.env` (`ROSTER_ENV_FILE` names another file; empty: none), then choose the settings
    module: DJANGO_SETTINGS_MODULE from the environment or that file, else production."""
    if not testing():
        path = os.environ.get("ROSTER_ENV_FILE", str(BASE_DIR / ".env"))
        if path and Path(path).is_file():
            environ.Env.read_env(path, overwrite=False)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)


env = environ.Env()
env.smart_cast = False
if testing():
    env.ENVIRON = {name: os.environ[name] for name in TEST_ENVIRONMENT if name in os.environ}
