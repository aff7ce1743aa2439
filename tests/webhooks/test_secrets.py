"""Signing secrets: held deliveries settled when a secret is saved; encrypted; audited without the secret."""

import pytest
from django.db import connection

from accounts.models import AuditEvent
from tests.conftest import bearer
from webhooks import services
from webhooks.models import Delivery, Incident, WebhookSecret

from .conftest import SECRET, fixture

pytestmark = pytest.mark.django_db


def test_saving_a_secret_processes_held_deliveries_it_verifies_and_discards_the_rest(
    deliver, endpoint, org, django_capture_on_commit_callbacks
):
    deliver(fixture("incident.triggered"))  # signed with the secret the admin is about to paste
    deliver(fixture("incident.acknowledged"), secrets=["a-forger-guessed-this"])
    deliver(fixture("incident.resolved"), signature="")
    assert Delivery.objects.filter(status="held").count() == 3
    assert not Incident.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        _, settled = services.webhook_secret_add(organization=org, secret=SECRET, label="prod")

    assert settled == {"released": 1, "discarded": 2}
    assert Incident.objects.get().status == "triggered"
    statuses = dict(Delivery.objects.values_list("event_type", "status"))
    assert statuses == {
        "incident.triggered": "processed",
        "incident.acknowledged": "rejected",
        "incident.resolved": "rejected",
    }
    assert not any(bytes(b) for b in Delivery.objects.filter(status="rejected").values_list("raw_body", flat=True))


def test_a_held_redelivery_is_processed_once(deliver, endpoint, org, django_capture_on_commit_callbacks):
    body = fixture("incident.triggered")
    deliver(body, webhook_id="wh-1")
    deliver(body, webhook_id="wh-1")
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_secret_add(organization=org, secret=SECRET)
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["processed", "skipped"]
    assert Incident.objects.get().events.count() == 1


def test_the_secret_is_encrypted_at_rest_and_audited_by_its_last_4_only(org):
    row, _ = services.webhook_secret_add(organization=org, secret=SECRET, label="prod")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhooksecret WHERE id = %s", [row.pk])
        (raw,) = cursor.fetchone()
    assert SECRET not in raw
    assert WebhookSecret.objects.get().secret == SECRET
    services.webhook_secret_remove(organization=org, secret_id=row.pk)
    events = list(AuditEvent.objects.filter(organization=org).values_list("summary", "detail"))
    assert {summary for summary, _ in events} == {
        "Added a webhook signing secret ending in 7Qz9 (prod)",
        "Removed the webhook signing secret ending in 7Qz9 (prod)",
    }
    assert SECRET not in repr(events)


def test_a_removed_secret_no_longer_verifies(deliver, webhook_secret, org):
    services.webhook_secret_add(organization=org, secret="the-next-secret-123")
    services.webhook_secret_remove(organization=org, secret_id=webhook_secret.pk)
    assert deliver(fixture("incident.triggered")).status_code == 401
    assert deliver(fixture("incident.triggered"), secrets=["the-next-secret-123"]).status_code == 202


@pytest.mark.parametrize("bad", ["", "short", "has a space inside"])
def test_a_blank_short_or_spaced_secret_is_refused(org, bad):
    with pytest.raises(services.InvalidSecret):
        services.webhook_secret_add(organization=org, secret=bad)
    assert not WebhookSecret.objects.exists()


def _api_and_page(admin_client, org, **body):
    """The same body posted to the API (with an admin token) and to the page's form."""
    api = admin_client.post(
        "/api/integrations/pagerduty/webhook-secrets", body, content_type="application/json", **bearer(org)
    )
    return api, admin_client.post("/settings/integrations/pagerduty/webhook-secrets/", body)


@pytest.mark.parametrize("secret", ["short", "has a space in it", "   "])
def test_the_page_and_the_api_refuse_a_secret_with_the_same_words(admin_client, org, secret):
    api, page = _api_and_page(admin_client, org, secret=secret)
    assert api.status_code == 400
    message = api.json()["message"]
    assert message.startswith("Paste the signing secret PagerDuty showed")
    assert message in page.content.decode()
    assert not WebhookSecret.objects.exists()


def test_a_label_over_100_characters_is_refused_by_the_page_and_the_api_alike_not_cut(admin_client, org):
    api, page = _api_and_page(
        admin_client, org, secret=SECRET, label="Production subscription for the payments team, " * 3
    )
    assert api.status_code == 400
    assert api.json()["errors"] == {"label": ["A label can be at most 100 characters."]}
    assert 'id="wh-secret-label_error">A label can be at most 100 characters.<' in page.content.decode()
    assert not WebhookSecret.objects.exists()


def test_a_secret_over_500_characters_is_refused_by_the_page_and_the_api_with_the_same_words(admin_client, org):
    api, page = _api_and_page(admin_client, org, secret="x" * 501)
    message = (
        "Paste the signing secret PagerDuty showed when the webhook subscription was created "
        "(8 to 500 characters, no spaces)."
    )
    assert api.status_code == 400
    assert api.json()["errors"] == {"secret": [message]}
    assert f'id="wh-secret-secret_error">{message}<' in page.content.decode()
    assert not WebhookSecret.objects.exists()


def test_the_same_secret_twice_is_refused_by_the_page_and_the_api_as_a_conflict(admin_client, org, webhook_secret):
    api, page = _api_and_page(admin_client, org, secret=f"  {SECRET} ")
    message = "A signing secret ending in 7Qz9 is already saved with this value: nothing was added."
    assert api.status_code == 409
    assert api.json() == {"code": "secret_already_saved", "message": message, "errors": {"secret": [message]}}
    assert f'id="wh-secret-secret_error">{message}<' in page.content.decode()
    assert WebhookSecret.objects.count() == 1
