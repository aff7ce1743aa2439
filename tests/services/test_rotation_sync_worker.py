"""With a real PostgreSQL, Redis and Celery worker: `POST /api/rotations/<id>/sync` lands
PagerDuty's shifts through the worker, against the fake PagerDuty server."""

import pytest

from rotations import services
from rotations.models import Rotation, Shift
from tests.conftest import bearer, wait_for
from tests.factories import PagerDutyConnectionFactory
from tests.rotations.fake_schedules import FakeSchedule, install

pytestmark = pytest.mark.services


def test_sync_now_lands_shifts_through_the_real_worker(real_celery_worker, org, client, fake_pagerduty):
    install(
        fake_pagerduty,
        schedules={"PSHIFT1": FakeSchedule(users=["PANA001", "PZED004"], kind="v3", gaps_every=5, name="Ops")},
        users={"PANA001": ("Ana Ortiz", "ana@acme.example"), "PZED004": ("Zed Quinn", "zed@elsewhere.example")},
    )
    PagerDutyConnectionFactory(organization=org, api_key="u+fakeUserKey0001")
    rotation = services.rotation_create(
        organization=org, name="Platform", time_zone="Europe/Paris", members=[("Ana", "ana@acme.example")]
    )
    Rotation.objects.filter(pk=rotation.pk).update(pagerduty_schedule_id="PSHIFT1")
    response = client.post(f"/api/rotations/{rotation.pk}/sync", **bearer(org))
    assert response.status_code == 202

    done = wait_for(
        lambda: Rotation.objects.filter(pk=rotation.pk, sync_state="idle", last_sync_ok=True).first(), timeout=60
    )
    assert done.pagerduty_schedule_name == "Ops" and done.pagerduty_schedule_kind == "v3"
    shifts = Shift.objects.filter(rotation=rotation)
    assert shifts.filter(member__email="ana@acme.example").exists()
    assert shifts.filter(member=None, person_email="zed@elsewhere.example").exists()
    assert shifts.filter(is_gap=True).exists()
    assert fake_pagerduty.calls[("GET", "/v3/schedules/PSHIFT1")] == 1
