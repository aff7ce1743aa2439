"""The relay: a web process hands committed deliveries to the queue in batches, from a thread,
and nothing is lost when it cannot (the rows are flagged for the sweeper)."""

import threading

import pytest
from kombu.exceptions import OperationalError

from webhooks import processing, queueing, tasks
from webhooks.models import Delivery, Incident
from webhooks.relay import Relay

from .conftest import fixture

pytestmark = pytest.mark.django_db


class Recorder:
    """A publish function that records each batch and can be told to fail."""

    def __init__(self, failures=0):
        self.batches, self.failures = [], failures
        self.published, self.failed = threading.Event(), threading.Event()

    def __call__(self, ids):
        if self.failures:
            self.failures -= 1
            self.failed.set()
            raise RuntimeError("broker unreachable")
        self.batches.append(list(ids))
        self.published.set()


def _relay(recorder, *, linger=0.2, inline=False):
    return Relay(recorder, linger=lambda: linger, inline=lambda: inline)


def test_deliveries_submitted_together_are_published_as_one_batch():
    recorder = Recorder()
    relay = _relay(recorder, linger=1.0)  # ample for three submits to land in one batch
    for delivery_id in (1, 2, 3):
        relay.submit(delivery_id)

    assert recorder.published.wait(5)
    assert recorder.batches == [[1, 2, 3]]
    assert relay.pending() == []


def test_with_no_broker_a_delivery_is_handed_on_at_once_in_the_request():
    recorder = Recorder()
    relay = _relay(recorder, linger=60, inline=True)
    relay.submit(7)
    assert recorder.batches == [[7]]  # no wait for a thread


def test_a_publish_that_raises_does_not_stop_the_relay():
    recorder = Recorder(failures=1)
    relay = _relay(recorder, linger=0.05)
    relay.submit(1)
    assert recorder.failed.wait(5)  # the first batch fails (the publisher has flagged the rows)
    relay.submit(2)

    assert recorder.published.wait(5)
    assert recorder.batches == [[2]]


def test_flush_publishes_what_is_held_as_the_process_exits():
    recorder = Recorder()
    relay = _relay(recorder, linger=60)
    relay.submit(4)
    relay.submit(5)
    relay.flush()  # registered with atexit for the real relay
    assert recorder.batches == [[4, 5]]


def test_a_forked_process_starts_its_own_relay_and_does_not_publish_its_parents_ids():
    import os

    recorder = Recorder()
    relay = _relay(recorder, linger=60)
    relay.submit(1)  # held by the parent
    child = os.fork()
    if child == 0:  # the child: nothing inherited, its own ids only
        ok = False
        try:
            relay.flush()
            relay.submit(2)
            ok = recorder.batches == [] and relay.pending() == [2]
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert relay.pending() == [1]  # the parent still holds its own


def test_when_queuing_fails_every_delivery_of_the_batch_is_flagged_for_the_sweeper(
    deliver, webhook_secret, monkeypatch
):
    monkeypatch.setattr(tasks.process_deliveries, "apply_async", lambda *a, **k: None)  # stored, not yet run
    deliver(fixture("incident.triggered", id="one"))
    deliver(fixture("incident.acknowledged", id="two"))
    ids = list(Delivery.objects.values_list("id", flat=True))

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.process_deliveries, "apply_async", broker_down)
    assert queueing.queue_deliveries(ids) is False
    assert sorted(Delivery.objects.filter(enqueue_failed=True).values_list("id", flat=True)) == sorted(ids)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"received"}


def test_a_batch_processes_each_delivery_even_when_one_fails(deliver, webhook_secret, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(tasks.process_deliveries, "apply_async", lambda *a, **k: None)  # stored, not yet run
        deliver(fixture("incident.triggered", id="first"))
        deliver(fixture("incident.triggered", id="second", data__id="PSECOND"))
    first, second = Delivery.objects.order_by("id")
    apply = processing._apply

    def apply_failing_first(delivery):
        if delivery.pk == first.pk:
            raise RuntimeError("a bug met in the first delivery")
        return apply(delivery)

    monkeypatch.setattr(processing, "_apply", apply_failing_first)

    outcomes = tasks.process_deliveries([first.pk, second.pk, 999999])

    assert outcomes == {"failed": 1, "processed": 1, "None": 1}
    assert Delivery.objects.get(pk=first.pk).status == "failed"
    assert Delivery.objects.get(pk=second.pk).status == "processed"
    assert Incident.objects.filter(pagerduty_id="PSECOND").exists()
