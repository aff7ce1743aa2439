"""On PostgreSQL: deliveries arriving together while no secret is saved never hold more than
WEBHOOK_MAX_HELD; the rest are answered 503 for PagerDuty to retry."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection as db_connection
from django.test import Client

import webhooks.intake
from webhooks.models import Delivery

from .conftest import encode, fixture

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql")]


def test_concurrent_deliveries_never_hold_more_than_the_cap(org, url, settings, monkeypatch):
    settings.WEBHOOK_MAX_HELD = 2
    senders = 6
    # Every delivery that has counted the held ones waits for all the others to count too (or
    # for the wait to give up, when they cannot: they queue behind the lock): unlocked, all six
    # would see 0 held and all be kept.
    counted = threading.Barrier(senders)
    real_count = webhooks.intake._held_count

    def count_then_wait(organization_id):
        held = real_count(organization_id)
        try:
            counted.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass
        return held

    monkeypatch.setattr(webhooks.intake, "_held_count", count_then_wait)

    def send(n):
        try:
            body = encode(fixture("incident.triggered", id=f"event-{n}"))
            return Client().post(url, body, content_type="application/json").status_code
        finally:
            db_connection.close()

    with ThreadPoolExecutor(senders) as pool:
        answers = sorted(pool.map(send, range(senders), timeout=60))

    assert answers == [202, 202, 503, 503, 503, 503]
    assert Delivery.objects.filter(organization=org, status="held").count() == 2
