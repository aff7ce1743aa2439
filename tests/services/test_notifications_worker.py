"""With PostgreSQL, Redis and a real Celery worker: a handoff recorded while the worker is down is
delivered exactly once when it is back, whether its queued nudge survived the outage or was lost."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications import tasks
from notifications.models import Notification
from rotations import services, sync
from rotations.models import Handoff
from tests.conftest import celery_worker_process, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
WORKER_APP = "tests.services.notify_worker"


@pytest.fixture
def worker(postgresql_and_redis, settings, tmp_path):
    """start(purge=...) starts a real worker with the test channel; tasks go to it, not in-process."""
    from config.celery import app

    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    outbox = tmp_path / "outbox.txt"
    outbox.touch()

    def start(*, purge: bool):
        return celery_worker_process(
            settings, app_module=WORKER_APP, extra_env={"NOTIFY_TEST_OUTBOX": str(outbox)}, purge=purge
        )

    yield start, outbox
    app.conf.task_always_eager = eager


@pytest.fixture
def rotation(org):
    return services.rotation_create(
        organization=org,
        name="Platform",
        time_zone="UTC",
        members=[("Ana Ortiz", "ana@acme.example"), ("Bo Chen", "bo@acme.example")],
        cadence_unit="weeks",
        start_date=timezone.now().date(),
    )


def hand_over_to(rotation, email: str) -> Handoff:
    """An override from now: the handoff beat records the change (and nudges the worker)."""
    now = timezone.now()
    member = rotation.members.get(email=email)
    services.override_create(rotation=rotation, member_id=member.pk, start=now, end=now + dt.timedelta(hours=1))
    assert sync.record_handoffs(now=now + dt.timedelta(seconds=1)) == 1
    return Handoff.objects.filter(rotation=rotation).order_by("-at").first()


def delivered(handoff) -> bool:
    return Notification.objects.filter(handoff=handoff, status="sent").count() == 2


@pytest.mark.parametrize("nudge_survives", [True, False], ids=["nudge kept by the broker", "nudge lost"])
def test_a_handoff_during_a_worker_outage_is_delivered_once_after_the_restart(worker, rotation, nudge_survives):
    start, outbox = worker
    with start(purge=True):
        first = hand_over_to(rotation, "ana@acme.example")
        wait_for(lambda: delivered(first), timeout=60)

    during_outage = hand_over_to(rotation, "bo@acme.example")
    assert during_outage != first and not delivered(during_outage)

    with start(purge=not nudge_survives):
        if not nudge_survives:
            tasks.sweep.delay()  # what beat does every minute
        wait_for(lambda: delivered(during_outage), timeout=60)
        assert tasks.sweep() == {"fannedOut": 0, "stuck": 0, "queued": 0}  # nothing left to do

    lines = outbox.read_text().splitlines()
    assert lines.count("test.message room:ops Bo Chen <bo@acme.example>") == 1
    assert lines.count("test.state group:oncall Bo Chen <bo@acme.example>") == 1
