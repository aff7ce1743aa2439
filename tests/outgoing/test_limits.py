"""Test events are limited to 5 a minute per organization (config.limits): the page answers 429 with
Retry-After and the sentence by the button; the API answers 429 `rate_limited`."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications.models import Notification
from outgoing import services

pytestmark = pytest.mark.django_db

URL = "https://93.184.216.34/hook"


def test_a_sixth_test_event_within_a_minute_is_refused_by_the_api(admin_client, org, other_org):
    first, _ = services.endpoint_create(organization=org, url=URL, events=["rotation.handoff"])
    second, _ = services.endpoint_create(organization=org, url=URL + "?b", events=["rotation.handoff"])
    for endpoint in (first, second, first, second, first):
        assert admin_client.post(f"/api/webhook-endpoints/{endpoint.pk}/test").status_code == 202
    refused = admin_client.post(f"/api/webhook-endpoints/{second.pk}/test")  # per organization, any endpoint
    assert refused.status_code == 429
    assert 55 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["code"] == "rate_limited"
    assert re.fullmatch(r"Too many test events: try again in \d\d seconds\.", body["message"])
    assert body["errors"] == {"request": [body["message"]]}
    assert Notification.objects.filter(channel="webhook").count() == 5

    elsewhere, _ = services.endpoint_create(organization=other_org, url=URL, events=["rotation.handoff"])
    assert services.endpoint_send_test(endpoint=elsewhere)  # another organization: its own count
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert admin_client.post(f"/api/webhook-endpoints/{first.pk}/test").status_code == 202


def test_the_page_says_when_to_try_again_beside_the_button(admin_client, org):
    endpoint, _ = services.endpoint_create(organization=org, url=URL, events=["rotation.handoff"])
    for _ in range(5):
        assert admin_client.post(f"/settings/webhooks/{endpoint.pk}/test/").status_code == 302
    refused = admin_client.post(f"/settings/webhooks/{endpoint.pk}/test/")
    assert refused.status_code == 429
    seconds = int(refused["Retry-After"])
    assert 55 <= seconds <= 60
    page = refused.content.decode()
    assert (
        f'<p class="error" role="alert" id="test-refused" data-testid="test-refused">'
        f"Too many test events: try again in {seconds} seconds.</p>"
    ) in page
    assert 'aria-describedby="test-refused">Send test event</button>' in page
    assert Notification.objects.filter(channel="webhook").count() == 5
