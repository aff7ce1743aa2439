"""GET /readyz: 200 when the database, migrations, broker and beat are fine; else 503 naming each part."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from ops import readiness
from ops.models import PeriodicRun

pytestmark = pytest.mark.django_db


def beat_ran(ago: timedelta) -> None:
    PeriodicRun.objects.update_or_create(
        task="notifications.tasks.sweep", defaults={"last_run_at": timezone.now() - ago}
    )


def failing(response) -> dict:
    return {name: part["detail"] for name, part in response.json()["parts"].items() if not part["ok"]}


def test_ready_when_beat_ran_within_three_minutes(client, django_assert_max_num_queries):
    beat_ran(timedelta(seconds=50))
    readiness._migrated = False  # the first call of a process also reads the migrations
    with django_assert_max_num_queries(3):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert set(response.json()["parts"]) == {"database", "migrations", "broker", "beat"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_not_ready_before_any_periodic_job_ran(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert failing(response) == {"beat": "No periodic job has run yet: is the beat process running?"}


def test_not_ready_when_beat_stopped_minutes_ago(client):
    beat_ran(timedelta(minutes=4))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "No periodic job ran for 4 minutes" in failing(response)["beat"]


def test_not_ready_while_a_migration_is_not_applied(client, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    beat_ran(timedelta(seconds=5))
    monkeypatch.setattr(readiness, "_migrated", False)
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("ops.0002_new", False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert failing(response) == {"migrations": "1 migration(s) not applied: run manage.py migrate."}


def test_not_ready_when_the_broker_does_not_answer(client, monkeypatch):
    beat_ran(timedelta(seconds=5))
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:9/0")  # nothing listens on port 9
    response = client.get("/readyz")
    assert response.status_code == 503
    assert list(failing(response)) == ["broker"]
    assert failing(response)["broker"].startswith("The broker does not answer")


def test_a_periodic_job_records_when_it_ran_and_other_tasks_do_not():
    from notifications.tasks import sweep
    from rotations.tasks import sync_schedule

    before = timezone.now()
    sweep.delay()
    run = PeriodicRun.objects.get()
    assert run.task == "notifications.tasks.sweep" and run.last_run_at >= before
    sync_schedule.delay(0, "PNOPE")  # queued by a periodic job, but not itself in the beat schedule
    assert PeriodicRun.objects.count() == 1


def test_not_ready_when_the_database_does_not_answer(client, monkeypatch):
    from django.db import OperationalError, connections

    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"], "ensure_connection", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert failing(response)["database"] == "The database does not answer (OperationalError)."
    assert failing(response)["beat"] == "skipped: the database does not answer"


def test_a_not_ready_answer_writes_no_error_line_for_each_probe(client, caplog):
    with caplog.at_level("WARNING", logger="django.request"):
        assert client.get("/readyz").status_code == 503
    assert [r for r in caplog.records if r.name == "django.request"] == []
