"""With PostgreSQL, Redis and a real Celery worker: a handoff recorded while the worker is down
reaches a webhook endpoint exactly once, signed, after the worker starts again, whether the queued
nudge survived the outage or was lost (then the beat sweeps find it)."""

import time

import pytest

from notifications import tasks as notification_tasks
from notifications.models import Notification
from outgoing import services as outgoing
from tests.conftest import celery_worker_process, wait_for
from tests.outgoing.conftest import local_network, receiver  # noqa: F401  (a local endpoint that records deliveries)
from tests.services.test_notifications_worker import hand_over_to, rotation  # noqa: F401

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
WORKER_APP = "tests.services.outgoing_worker"


@pytest.fixture
def worker(postgresql_and_redis, settings):
    from config.celery import app

    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    yield lambda *, purge: celery_worker_process(settings, app_module=WORKER_APP, purge=purge)
    app.conf.task_always_eager = eager


def sent_to(recorded, secret) -> list[str]:
    return [body["data"]["to"] for body in recorded.verified(secret)]


@pytest.mark.parametrize("nudge_survives", [True, False], ids=["nudge kept by the broker", "nudge lost"])
def test_a_handoff_during_a_worker_outage_is_delivered_once_after_the_restart(
    worker,
    receiver,  # noqa: F811  (the imported fixture)
    org,
    rotation,  # noqa: F811  (the imported fixture)
    nudge_survives,
):
    _, secret = outgoing.endpoint_create(organization=org, url=receiver.url, events=["rotation.handoff"])
    with worker(purge=True):
        hand_over_to(rotation, "ana@acme.example")
        wait_for(lambda: len(receiver.received) == 1, timeout=60)

    hand_over_to(rotation, "bo@acme.example")  # the worker is down

    with worker(purge=not nudge_survives):
        if not nudge_survives:
            notification_tasks.sweep.delay()  # what beat does every minute
        wait_for(lambda: Notification.objects.filter(channel="webhook", status="sent").count() == 2, timeout=60)
        notification_tasks.sweep.delay()  # later beat ticks find nothing more to send
        time.sleep(3)

    assert sent_to(receiver, secret) == ["Ana Ortiz <ana@acme.example>", "Bo Chen <bo@acme.example>"]
