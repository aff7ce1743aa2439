"""Readiness: may this process take traffic? The database answers, every migration is applied, the
broker answers and beat's periodic jobs ran lately. At most three queries (`/readyz`, the metrics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from .models import PeriodicRun

BEAT_STALE_AFTER = timedelta(minutes=3)
_migrated = False  # once every migration is applied, it stays so for this process's code


@dataclass(frozen=True)
class Part:
    name: str
    ok: bool
    detail: str


def _database() -> Part:
    try:
        connections[DEFAULT_DB_ALIAS].ensure_connection()  # connects (no query): the beat read uses it
    except Exception as exc:
        return Part("database", False, f"The database does not answer ({type(exc).__name__}).")
    return Part("database", True, "answers")


def _migrations() -> Part:
    global _migrated
    if not _migrated:
        try:
            executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as exc:
            return Part("migrations", False, f"Could not read the applied migrations ({type(exc).__name__}).")
        if plan:
            return Part("migrations", False, f"{len(plan)} migration(s) not applied: run manage.py migrate.")
        _migrated = True
    return Part("migrations", True, "all applied")


def _broker() -> Part:
    from config.celery import app

    if str(app.conf.broker_url).startswith("memory://"):
        return Part("broker", True, "tasks run in this process")
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception as exc:
        return Part("broker", False, f"The broker does not answer ({type(exc).__name__}).")
    return Part("broker", True, "answers")


def _beat() -> Part:
    try:
        last = PeriodicRun.objects.order_by("-last_run_at").values_list("last_run_at", flat=True).first()
    except Exception as exc:
        return Part("beat", False, f"Could not read when beat last ran ({type(exc).__name__}).")
    if last is None:
        return Part("beat", False, "No periodic job has run yet: is the beat process running?")
    age = timezone.now() - last
    if age > BEAT_STALE_AFTER:
        minutes = int(age.total_seconds() // 60)
        return Part("beat", False, f"No periodic job ran for {minutes} minutes: is the beat process running?")
    return Part("beat", True, f"last ran {int(age.total_seconds())} s ago")


def check() -> list[Part]:
    database = _database()
    if not database.ok:
        skipped = "skipped: the database does not answer"
        return [database, Part("migrations", False, skipped), _broker(), Part("beat", False, skipped)]
    return [database, _migrations(), _broker(), _beat()]
