"""With a real PostgreSQL, Redis and Celery worker: deliveries survive a broker outage."""

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

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

    monkeypatch.setattr(tasks.process_delivery, "apply_async", broker_down)
    response = deliver(fixture("incident.triggered"))
    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.enqueue_failed) == ("received", True)
    assert "the sweeper will pick it up" in captured_logs.text
    monkeypatch.undo()  # the broker is back

    Delivery.objects.filter(pk=delivery.pk).update(received_at=timezone.now() - timezone.timedelta(minutes=1))
    tasks.sweep_deliveries.delay()  # as beat does every minute; the worker runs the sweep

    _wait_for_incident("triggered")
    assert Delivery.objects.get().status == "processed"


def _wait_for_incident(status):
    from tests.conftest import wait_for

    return wait_for(lambda: Incident.objects.filter(status=status).first(), timeout=60)
