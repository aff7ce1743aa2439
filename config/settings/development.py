"""`make run`: opted into by DJANGO_SETTINGS_MODULE=config.settings.development in the .env it writes.

The whole product on one machine: SQLite, and Celery with an embedded broker unless REDIS_URL is set,
so `bin/run` starts a worker with beat beside the web server and periodic jobs run as in production.
"""

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, REDIS_URL, env

if not REDIS_URL:
    # kombu's filesystem transport: messages are files in one directory, shared by the web server
    # (publishing) and the worker (consuming); no extra dependency, nothing else to run.
    ROSTER_BROKER_DIR = BASE_DIR / env("ROSTER_BROKER_DIR", default="var/celery-broker")  # relative to manage.py
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"  # a message shows in the folder only once whole
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(ROSTER_BROKER_DIR / "queue"),
        "data_folder_out": str(ROSTER_BROKER_DIR / "queue"),
        "control_folder": str(ROSTER_BROKER_DIR / "control"),
    }
    CELERY_TASK_ALWAYS_EAGER = False
    (ROSTER_BROKER_DIR / "queue").mkdir(parents=True, exist_ok=True)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one SQLite file: wait for a lock rather than fail,
    # and take the write lock when a transaction starts (no deadlock when two upgrade at once).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
