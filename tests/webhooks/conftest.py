"""Fixtures for webhook tests: the organization's endpoint and secret, and a `deliver` helper
that posts a fixture signed the way PagerDuty signs it."""

import copy
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.urls import reverse

from webhooks import selectors, services
from webhooks.models import Incident
from webhooks.signature import header_for

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "whsec-KnownTestSecret-7Qz9"  # tests scan pages, JSON and logs for this value


def fixture(event_type: str, **changes) -> dict:
    """A delivery body shaped like PagerDuty's documented example for `event_type`.
    `changes` replace keys of `event` (id, occurred_at) or, with a `data__` prefix, of `event.data`."""
    body = copy.deepcopy(json.loads((FIXTURES / f"{event_type}.json").read_text()))
    for key, value in changes.items():
        if key.startswith("data__"):
            body["event"]["data"][key.removeprefix("data__")] = value
        else:
            body["event"][key] = value
    return body


def incidents_received(org, count: int, status: Callable[[int], str] = lambda n: "resolved") -> list[str]:
    """`count` incidents ("Incident number 0000"...), two created each minute at the same moment and
    first seen together (the id breaks the tie); their ids newest first."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    Incident.objects.bulk_create(
        Incident(
            organization=org,
            pagerduty_id=f"P{n:04d}",
            title=f"Incident number {n:04d}",
            status=status(n),
            service_id="PSVC1",
            pagerduty_created_at=start + timedelta(minutes=n // 2),
            is_stub=False,
        )
        for n in range(count)
    )
    Incident.objects.filter(organization=org).update(first_seen_at=start)
    return [i.pagerduty_id for i in selectors.incidents(organization=org)]


def encode(body) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


@pytest.fixture
def endpoint(org):
    return services.endpoint_for(org)


@pytest.fixture
def webhook_secret(org, endpoint):
    row, _ = services.webhook_secret_add(organization=org, secret=SECRET, label="Production subscription")
    return row


@pytest.fixture
def url(endpoint):
    return reverse("webhooks:receive", args=[endpoint.public_id])


@pytest.fixture
def deliver(client, url, django_capture_on_commit_callbacks):
    """POST a body (dict or bytes) to the organization's URL, signed with `secrets` (by default
    the test secret) unless `signature` is given; on-commit work (processing) runs before it returns."""

    def post(body, *, secrets=(SECRET,), signature=None, webhook_id=None, to=None, **headers):
        raw = encode(body)
        sig = signature if signature is not None else header_for(raw, secrets)
        extra = {
            "HTTP_USER_AGENT": "PagerDuty-Webhook/V3.0",
            "HTTP_X_WEBHOOK_ID": webhook_id or str(uuid.uuid4()),
            "HTTP_X_WEBHOOK_SUBSCRIPTION": "PY1OL64",
            **headers,
        }
        if sig:
            extra["HTTP_X_PAGERDUTY_SIGNATURE"] = sig
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(to or url, raw, content_type="application/json", **extra)

    return post
