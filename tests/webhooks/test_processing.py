"""processing.py: events applied by occurred_at, stubs from custom-field events, idempotency."""

import pytest

from webhooks import processing
from webhooks.models import Delivery, Incident

from .conftest import fixture

pytestmark = pytest.mark.django_db


def test_a_late_acknowledge_does_not_reopen_a_resolved_incident(deliver, webhook_secret):
    deliver(fixture("incident.triggered"))
    deliver(fixture("incident.resolved"))
    deliver(fixture("incident.acknowledged"))  # occurred before the resolve, arrives after

    incident = Incident.objects.get()
    assert incident.status == "resolved"
    timeline = list(incident.events.values_list("event_type", "applied"))
    assert timeline == [
        ("incident.triggered", True),
        ("incident.acknowledged", False),
        ("incident.resolved", True),
    ]


def test_events_arriving_in_reverse_order_end_in_the_newest_state(deliver, webhook_secret):
    for name in ("incident.resolved", "incident.acknowledged", "incident.triggered"):
        deliver(fixture(name))
    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert incident.assignees == []  # as the resolve event said, not the older events
    assert incident.events.count() == 3


def test_a_late_older_event_fills_fields_that_were_unknown(deliver, webhook_secret):
    deliver(fixture("incident.resolved", data__incident_key=None))
    deliver(fixture("incident.triggered"))
    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert incident.incident_key == "d3640fbd41094207a1c11e58e46b1662"


def test_a_custom_field_event_for_an_unknown_incident_creates_a_stub_filled_in_later(deliver, webhook_secret):
    deliver(
        fixture(
            "incident.custom_field_values.updated",
            data__incident={
                "id": "PGR0VU2",
                "type": "incident_reference",
                "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
                "summary": None,
            },
        )
    )
    stub = Incident.objects.get(pagerduty_id="PGR0VU2")
    assert stub.is_stub
    assert [(f["name"], f["value"]) for f in stub.custom_fields] == [("environment", "production"), ("region", "US")]

    deliver(fixture("incident.triggered"))  # occurred before the custom fields changed

    incident = Incident.objects.get(pagerduty_id="PGR0VU2")
    assert not incident.is_stub
    assert (incident.title, incident.status) == ("A little bump in the road", "triggered")
    assert [f["value"] for f in incident.custom_fields] == ["production", "US"]


def test_an_older_custom_field_event_does_not_overwrite_newer_values(deliver, webhook_secret):
    newer = fixture("incident.custom_field_values.updated", id="cf-new", occurred_at="2020-10-02T19:00:00Z")
    older = fixture("incident.custom_field_values.updated", id="cf-old", occurred_at="2020-10-02T18:00:00Z")
    older["event"]["data"]["custom_fields"][0]["value"] = "staging"
    deliver(newer)
    deliver(older)
    incident = Incident.objects.get(pagerduty_id="PBAZLIU")
    assert incident.custom_fields[0]["value"] == "production"


def test_processing_a_delivery_again_changes_nothing(deliver, webhook_secret):
    deliver(fixture("incident.triggered"))
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status="received")  # as "reprocess" does
    Incident.objects.update(title="Edited since")

    assert processing.process_delivery(delivery.pk) == "processed"

    incident = Incident.objects.get()
    assert incident.events.count() == 1
    assert incident.title == "Edited since"


def test_a_delivery_that_is_gone_is_ignored(db):
    assert processing.process_delivery(123456) is None


def test_a_held_delivery_is_never_processed_directly(deliver, endpoint):
    deliver(fixture("incident.triggered"))
    delivery = Delivery.objects.get()
    assert processing.process_delivery(delivery.pk) == "held"
    assert not Incident.objects.exists()


def test_a_failure_is_recorded_and_the_sweeper_retries_it(deliver, webhook_secret, monkeypatch):
    from webhooks import tasks

    def boom(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(processing, "apply_incident_event", boom)
    deliver(fixture("incident.triggered"))
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "database hiccup" in delivery.error

    monkeypatch.undo()
    Delivery.objects.update(received_at=delivery.received_at.replace(year=2020))
    assert tasks.sweep_deliveries() == 1
    assert Delivery.objects.get().status == "processed"
    assert Incident.objects.get().status == "triggered"


def test_equal_timestamps_never_move_a_status_backwards(deliver, webhook_secret):
    same = "2020-10-02T18:45:22.169Z"
    deliver(fixture("incident.resolved", occurred_at=same))
    deliver(fixture("incident.acknowledged", occurred_at=same))
    assert Incident.objects.get().status == "resolved"


def test_nul_characters_in_a_signed_event_are_dropped_not_fatal(deliver, webhook_secret):
    body = fixture("incident.custom_field_values.updated")
    body["event"]["id"] += "\x00"
    body["event"]["data"]["custom_fields"][0]["value"] = {"nested": "pro\x00duction"}
    body["event"]["data"]["incident"]["id"] = "PNUL\x001"
    assert deliver(body).status_code == 202
    incident = Incident.objects.get()
    assert incident.pagerduty_id == "PNUL1"
    assert incident.custom_fields[0]["value"] == {"nested": "production"}


def _rest_incident(incident_id="PBAZLIU") -> dict:
    import json
    from pathlib import Path

    body = json.loads((Path(__file__).parents[1] / "fixtures" / "pagerduty" / "incident.json").read_text())
    body["incident"]["id"] = incident_id
    return body


def test_a_stub_is_filled_from_the_api_when_a_connection_exists(deliver, webhook_secret, pd_connection, rsps):
    import responses

    from tests import pd_mocks

    rsps.add(responses.GET, pd_mocks.api("/incidents/PBAZLIU"), json=_rest_incident())
    deliver(fixture("incident.custom_field_values.updated"))

    incident = Incident.objects.get(pagerduty_id="PBAZLIU")
    assert not incident.is_stub
    assert (incident.number, incident.title, incident.status) == (1234, "The server is on fire.", "acknowledged")
    assert incident.assignees == [{"id": "PXPGF42", "summary": "Earline Greenholt"}]
    assert [f["value"] for f in incident.custom_fields] == ["production", "US"]


def test_a_refused_fetch_leaves_the_stub_for_its_next_event(deliver, webhook_secret, pd_connection, rsps):
    import responses

    from tests import pd_mocks

    rsps.add(responses.GET, pd_mocks.api("/incidents/PBAZLIU"), status=403, json={"error": {"message": "Forbidden"}})
    deliver(fixture("incident.custom_field_values.updated"))
    assert Incident.objects.get(pagerduty_id="PBAZLIU").is_stub
    assert Delivery.objects.get().status == "processed"


def test_without_a_connection_nothing_is_fetched(deliver, webhook_secret, rsps):
    deliver(fixture("incident.custom_field_values.updated"))
    assert not rsps.calls
    assert Incident.objects.get(pagerduty_id="PBAZLIU").is_stub


def test_a_javascript_link_in_a_signed_payload_never_becomes_a_link(deliver, webhook_secret, admin_client):
    deliver(fixture("incident.triggered", data__html_url="javascript:alert(document.cookie)"))
    incident = Incident.objects.get()
    assert incident.html_url == ""
    html = admin_client.get(f"/incidents/{incident.pagerduty_id}/").content.decode()
    assert "javascript:" not in html
    assert incident.pagerduty_id in html


def test_an_event_time_without_an_offset_is_read_as_utc(deliver, webhook_secret):
    deliver(fixture("incident.triggered", occurred_at="2020-10-02T18:40:00"))
    incident = Incident.objects.get()
    assert incident.status == "triggered"
    assert incident.events.get().occurred_at.isoformat() == "2020-10-02T18:40:00+00:00"


@pytest.mark.parametrize("odd", [5, 1.5, True])
def test_custom_fields_that_are_not_a_list_are_read_as_none_not_a_failure(deliver, webhook_secret, odd):
    deliver(fixture("incident.custom_field_values.updated", data__custom_fields=odd, data__changed_custom_fields=odd))
    assert Delivery.objects.get().status == "processed"
    assert Incident.objects.get().custom_fields == []
