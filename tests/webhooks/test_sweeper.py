"""The sweeper: re-queues deliveries whose queuing failed within seconds, and anything else left
unprocessed only once it is stale, so a backlog in the queue is not queued twice."""

from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from webhooks import tasks
from webhooks.models import Delivery, Incident

from .conftest import fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.process_deliveries, "apply_async", refuse)
    return monkeypatch


def _age(seconds: int):
    Delivery.objects.update(received_at=timezone.now() - timedelta(seconds=seconds))


def test_with_the_broker_down_the_delivery_is_stored_flagged_and_answered_202(deliver, webhook_secret, broker_down):
    assert deliver(fixture("incident.triggered")).status_code == 202
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.enqueue_failed) == ("received", True)
    assert not Incident.objects.exists()


def test_the_sweeper_queues_a_failed_enqueue_after_a_few_seconds(deliver, webhook_secret, broker_down, settings):
    deliver(fixture("incident.triggered"))
    broker_down.undo()
    assert tasks.sweep_deliveries() == 0  # too fresh: the request may still be finishing
    _age(settings.WEBHOOK_SWEEP_AFTER_SECONDS + 1)
    assert tasks.sweep_deliveries() == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.enqueue_failed) == ("processed", False)
    assert Incident.objects.get().status == "triggered"


def test_a_queued_delivery_is_swept_only_once_stale(deliver, webhook_secret, settings, monkeypatch):
    monkeypatch.setattr(tasks.process_deliveries, "apply_async", lambda *a, **k: None)  # queued, not yet run
    deliver(fixture("incident.triggered"))
    monkeypatch.undo()
    _age(settings.WEBHOOK_SWEEP_AFTER_SECONDS + 1)
    assert tasks.sweep_deliveries() == 0
    _age(settings.WEBHOOK_SWEEP_STALE_SECONDS + 1)
    assert tasks.sweep_deliveries() == 1
    assert Delivery.objects.get().status == "processed"


def test_the_sweeper_leaves_held_processed_and_given_up_deliveries_alone(deliver, webhook_secret, endpoint, org):
    deliver(fixture("incident.triggered"))
    Delivery.objects.create(organization=org, raw_body=b"{}", status="held", received_at=timezone.now())
    Delivery.objects.create(
        organization=org, raw_body=b"{}", status="failed", attempts=5, verified=True, received_at=timezone.now()
    )
    _age(3600)
    assert tasks.sweep_deliveries() == 0
