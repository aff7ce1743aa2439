""" "Create the subscription for me": POST /webhook_subscriptions, store the secret it returns."""

import json

import pytest
import responses

from integrations.pagerduty.models import PagerDutyConnection
from tests import pd_mocks
from webhooks.models import WebhookSecret

pytestmark = pytest.mark.django_db
PAGE = "/settings/integrations/"
CREATED_SECRET = "pd-returned-signing-secret-Xy12"


def subscription_response(secret=CREATED_SECRET) -> dict:
    """PagerDuty's documented create response (the OpenAPI example), with the one-time secret."""
    return {
        "webhook_subscription": {
            "delivery_method": {
                "id": "PF9KMXH",
                "secret": secret,
                "temporarily_disabled": False,
                "type": "http_delivery_method",
                "url": "https://roster.example.com/webhooks/pagerduty/x/",
                "custom_headers": [],
            },
            "description": "Roster (Acme)",
            "events": ["incident.triggered"],
            "filter": {"type": "account_reference"},
            "id": "PY1OL64",
            "type": "webhook_subscription",
            "active": True,
        }
    }


@pytest.fixture
def connected(org):
    return PagerDutyConnection.objects.create(
        organization=org, auth_type="api_key", api_key="u+AbCdEfGhIjKlMnOp1234", key_last4="1234"
    )


def test_it_is_offered_only_when_a_connection_exists(admin_client, org):
    assert "Create the subscription for me" not in admin_client.get(PAGE).content.decode()
    PagerDutyConnection.objects.create(organization=org, auth_type="api_key", api_key="u+key00001234", key_last4="1234")
    assert "Create the subscription for me" in admin_client.get(PAGE).content.decode()


def test_it_creates_an_account_wide_subscription_to_our_url_and_stores_the_secret(
    admin_client, org, connected, rsps, captured_logs
):
    rsps.add(responses.POST, pd_mocks.api("/webhook_subscriptions"), json=subscription_response())
    page = admin_client.post(PAGE + "pagerduty/webhook-subscription/", follow=True).content.decode()

    sent = json.loads(rsps.calls[0].request.body)["webhook_subscription"]
    from webhooks.services import endpoint_for

    assert sent["delivery_method"] == {
        "type": "http_delivery_method",
        "url": f"https://roster.example.com/webhooks/pagerduty/{endpoint_for(org).public_id}/",
    }
    assert sent["events"] == [
        "incident.triggered",
        "incident.acknowledged",
        "incident.resolved",
        "incident.custom_field_values.updated",
    ]
    assert sent["filter"] == {"type": "account_reference"} and sent["type"] == "webhook_subscription"
    assert rsps.calls[0].request.headers["Authorization"] == "Token token=u+AbCdEfGhIjKlMnOp1234"
    row = WebhookSecret.objects.get(organization=org)
    assert (row.secret, row.subscription_id) == (CREATED_SECRET, "PY1OL64")
    assert "PagerDuty subscription created; its signing secret (ending in Xy12) is saved." in page
    assert CREATED_SECRET not in page and CREATED_SECRET not in captured_logs.text


def test_a_read_only_key_gets_an_explanation_and_the_manual_steps(admin_client, org, connected, rsps):
    rsps.add(
        responses.POST,
        pd_mocks.api("/webhook_subscriptions"),
        status=403,
        json={"error": {"message": "Access Denied", "code": 2010}},
    )
    response = admin_client.post(PAGE + "pagerduty/webhook-subscription/")
    page = response.content.decode()
    assert response.status_code == 400
    assert "the connection is read-only or lacks the webhook_subscriptions.write scope" in page
    assert "open Integrations → Generic Webhooks (v3) and click New Webhook." in page
    assert not WebhookSecret.objects.exists()


def test_pagerduty_being_down_is_a_message_not_a_500(admin_client, connected, rsps):
    rsps.add(responses.POST, pd_mocks.api("/webhook_subscriptions"), status=503, json={})
    response = admin_client.post(PAGE + "pagerduty/webhook-subscription/")
    assert response.status_code == 400
    assert "PagerDuty could not create the subscription" in response.content.decode()


def test_members_cannot_create_a_subscription(member_client, connected, rsps):
    assert member_client.post(PAGE + "pagerduty/webhook-subscription/").status_code == 403
    assert not rsps.calls
