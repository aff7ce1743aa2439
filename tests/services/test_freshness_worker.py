"""With a real PostgreSQL, Redis and Celery worker (prefork): Sync now re-reads its schedule within
10 s although a full sync of hundreds of schedules is queued, and the queue stays within the budget."""

import time

import pytest
from django.db import transaction

from rotations import services
from rotations.models import DueSchedule, Rotation
from tests.conftest import celery_worker_process, wait_for
from tests.factories import PagerDutyConnectionFactory
from tests.rotations.fake_schedules import FakeSchedule, install

pytestmark = pytest.mark.services

USERS = {f"PU{n:02d}": (f"Person {n}", f"person{n}@acme.example") for n in range(8)}


def test_sync_now_is_visible_within_10_s_while_a_full_sync_of_hundreds_is_queued(
    postgresql_and_redis, transactional_db, settings, org, fake_pagerduty
):
    fake_pagerduty.latency = 0.05
    ids = [f"PQ{n:04d}" for n in range(300)]
    users = list(USERS)
    install(
        fake_pagerduty,
        schedules={
            sid: FakeSchedule(users=[users[(n + k) % 8] for k in range(3)], name=sid) for n, sid in enumerate(ids)
        },
        users=USERS,
    )
    PagerDutyConnectionFactory(organization=org, api_key="u+fakeUserKey0001")
    Rotation.objects.bulk_create(
        [Rotation(organization=org, name=sid, time_zone="UTC", pagerduty_schedule_id=sid) for sid in ids]
    )
    with celery_worker_process(settings, extra_env={"PAGERDUTY_BACKGROUND_BUDGET_PER_MINUTE": "120"}):
        from rotations.tasks import start_sync

        start_sync.delay()
        wait_for(lambda: Rotation.objects.filter(organization=org, last_sync_ok=True).count() >= 20, timeout=60)
        rotation = Rotation.objects.get(organization=org, pagerduty_schedule_id=ids[-1])
        assert rotation.last_sync_at is None  # the last of the queue
        asked = time.monotonic()
        with transaction.atomic():
            services.rotation_request_sync(rotation=rotation)
        wait_for(lambda: Rotation.objects.filter(pk=rotation.pk, last_sync_ok=True).first(), timeout=30)
        assert time.monotonic() - asked <= 10
        assert DueSchedule.objects.filter(organization=org).count() > 100  # the full sync still queued
        first = min(r.at for r in fake_pagerduty.log)
        in_first_minute = [r for r in fake_pagerduty.log if r.at < first + 60 and r.path != f"/schedules/{ids[-1]}"]
        assert len(in_first_minute) <= 120  # the background budget, whatever the worker's concurrency
