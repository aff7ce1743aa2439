"""Property-based: random headers and bodies never cause a 500, and never an incident unless signed."""

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webhooks.models import Delivery, Incident
from webhooks.signature import header_for

from .conftest import SECRET, fixture

pytestmark = pytest.mark.django_db

EVENT_TYPES = [
    "incident.triggered",
    "incident.acknowledged",
    "incident.resolved",
    "incident.custom_field_values.updated",
    "pagey.ping",
]
PROPERTIES = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@st.composite
def mutated_fixture(draw) -> dict:
    """A documented example with some of its fields replaced by random JSON."""
    body = fixture(draw(st.sampled_from(EVENT_TYPES)))
    event = body["event"]
    event["id"] = str(uuid.uuid4())  # examples share a database: keep them from being redeliveries
    for key in draw(st.lists(st.sampled_from(["id", "event_type", "occurred_at", "agent", "data"]), max_size=3)):
        event[key] = draw(json_values | st.sampled_from(["2020-13-45T99:00:00Z", "2020-10-02T18:40:00Z", ""]))
    if isinstance(event.get("data"), dict):
        for key in draw(
            st.lists(
                st.sampled_from(
                    [
                        "id",
                        "status",
                        "number",
                        "service",
                        "assignees",
                        "incident",
                        "custom_fields",
                        "created_at",
                        "type",
                    ]
                ),
                max_size=3,
            )
        ):
            event["data"][key] = draw(json_values | st.just("2021-02-30T00:00:00Z"))
    return body


bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    mutated_fixture().map(lambda b: json.dumps(b).encode()),
    st.sampled_from(EVENT_TYPES).map(lambda t: json.dumps(fixture(t)).encode()),
)
header_text = st.text(max_size=80)
signatures = st.one_of(
    st.none(),
    header_text,
    st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: f"v1={h}"),
    st.just("wrong"),  # replaced below by a signature made with another secret
)


def _unsigned_header(body: bytes, choice):
    return header_for(body, ["not-the-organizations-secret"]) if choice == "wrong" else choice


@PROPERTIES
@given(body=bodies, sig=signatures, other_headers=st.tuples(header_text, header_text))
def test_unsigned_deliveries_never_fail_and_never_make_an_incident(deliver, webhook_secret, body, sig, other_headers):
    webhook_id, content_type = other_headers
    response = deliver(
        body,
        signature=_unsigned_header(body, sig) or "",
        webhook_id=webhook_id or None,
        CONTENT_TYPE=content_type or "application/json",
    )
    assert response.status_code < 500
    assert response.status_code in (400, 401, 413)
    assert not Incident.objects.exists()
    assert not Delivery.objects.exists()


@PROPERTIES
@given(body=bodies, sig=signatures)
def test_without_a_secret_deliveries_are_held_never_applied(deliver, endpoint, settings, body, sig):
    settings.WEBHOOK_MAX_HELD = 10_000
    response = deliver(body, signature=_unsigned_header(body, sig) or "")
    assert response.status_code in (202, 400)
    assert not Incident.objects.exists()
    assert not Delivery.objects.exclude(status="held").exists()


@PROPERTIES
@given(body=mutated_fixture())
def test_signed_but_strange_events_are_processed_or_skipped_never_failed(deliver, webhook_secret, body):
    response = deliver(body, secrets=[SECRET])
    assert response.status_code in (200, 202)
    assert not Delivery.objects.filter(status="failed").exists()
