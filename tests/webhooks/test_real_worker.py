"""With a real PostgreSQL, Redis and Celery worker: deliveries survive a broker outage."""

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from tests.conftest import wait_for
from webhooks import tasks
from webhooks.models import Delivery, Incident

from .conftest import fixture

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_delivery_is_processed_by_the_real_worker(real_celery_worker, deliver, webhook_secret):
    assert deliver(fixture("incident.triggered")).status_code == 202
    incident = _wait_for_incident("triggered")
    assert incident.title == "A little bump in the road"


def test_with_the_broker_down_the_delivery_is_stored_answered_2xx_and_later_swept(
    real_celery_worker, deliver, webhook_secret, monkeypatch, captured_logs
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.process_deliveries, "apply_async", broker_down)
    response = deliver(fixture("incident.triggered"))
    assert response.status_code == 202
    # The web process's relay thread tries to queue it within WEBHOOK_RELAY_LINGER, fails, and
    # flags the stored row for the sweeper.
    delivery = wait_for(lambda: Delivery.objects.filter(enqueue_failed=True).first(), timeout=10)
    assert delivery.status == "received"
    assert "the sweeper will pick them up" in captured_logs.text
    monkeypatch.undo()  # the broker is back

    Delivery.objects.filter(pk=delivery.pk).update(received_at=timezone.now() - timezone.timedelta(minutes=1))
    tasks.sweep_deliveries.delay()  # as beat does every minute; the worker runs the sweep

    _wait_for_incident("triggered")
    assert Delivery.objects.get().status == "processed"


def _wait_for_incident(status):
    return wait_for(lambda: Incident.objects.filter(status=status).first(), timeout=60)
