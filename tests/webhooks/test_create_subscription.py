""" "Create the subscription for me": POST /webhook_subscriptions, store the secret it returns."""

import json

import pytest
import responses

from integrations.pagerduty.models import PagerDutyConnection
from tests import pd_mocks
from tests.conftest import bearer
from webhooks import processing
from webhooks.models import WebhookEndpoint, WebhookSecret
from webhooks.services import endpoint_for, webhook_url

pytestmark = pytest.mark.django_db
PAGE = "/settings/integrations/"
CREATED_SECRET = "pd-returned-signing-secret-Xy12"


def mock_no_subscription_yet(rsps, subscriptions=()):
    rsps.add(
        responses.GET,
        pd_mocks.api("/webhook_subscriptions"),
        json={"webhook_subscriptions": list(subscriptions), "limit": 100, "offset": 0, "more": False},
    )


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
    mock_no_subscription_yet(rsps)
    rsps.add(responses.POST, pd_mocks.api("/webhook_subscriptions"), json=subscription_response())
    page = admin_client.post(PAGE + "pagerduty/webhook-subscription/", follow=True).content.decode()

    assert rsps.calls[0].request.method == "GET"
    sent = json.loads(rsps.calls[1].request.body)["webhook_subscription"]

    assert sent["delivery_method"] == {
        "type": "http_delivery_method",
        "url": f"https://roster.example.com/webhooks/pagerduty/{endpoint_for(org).public_id}/",
    }
    assert sent["events"] == processing.SUBSCRIBED_EVENTS  # the card's list (test_card.py names them)
    assert sent["filter"] == {"type": "account_reference"} and sent["type"] == "webhook_subscription"
    assert rsps.calls[1].request.headers["Authorization"] == "Token token=u+AbCdEfGhIjKlMnOp1234"
    row = WebhookSecret.objects.get(organization=org)
    assert (row.secret, row.subscription_id) == (CREATED_SECRET, "PY1OL64")
    assert "PagerDuty subscription PY1OL64 created; its signing secret (ending in Xy12) is saved." in page
    assert "Subscription <code>PY1OL64</code> active" in page and "Recreate</button>" in page
    assert "Create the subscription for me</button>" not in page
    assert PagerDutyConnection.objects.get().capabilities["write"] == "yes"
    status = admin_client.get("/api/integrations/pagerduty/webhook-url").json()
    assert status["subscriptionId"] == "PY1OL64"
    assert CREATED_SECRET not in page and CREATED_SECRET not in captured_logs.text


def test_a_read_only_key_gets_an_explanation_and_the_manual_steps(admin_client, org, connected, rsps):
    mock_no_subscription_yet(rsps)
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
    # Roster learned the connection cannot write: the button is gone, the card says why.
    assert PagerDutyConnection.objects.get().capabilities["write"] == "no"
    page = admin_client.get(PAGE).content.decode()
    assert "Create the subscription for me</button>" not in page
    assert 'data-testid="wh-no-write"' in page


def test_pagerduty_being_down_is_a_message_not_a_500(admin_client, connected, rsps):
    mock_no_subscription_yet(rsps)
    rsps.add(responses.POST, pd_mocks.api("/webhook_subscriptions"), status=503, json={})
    response = admin_client.post(PAGE + "pagerduty/webhook-subscription/")
    assert response.status_code == 400
    assert "PagerDuty could not create the subscription, so nothing was created" in response.content.decode()
    assert WebhookEndpoint.objects.get().subscription_claimed_at is None  # the next click may try again


def test_pagerduty_down_while_listing_creates_nothing(admin_client, connected, rsps):
    rsps.add(responses.GET, pd_mocks.api("/webhook_subscriptions"), status=503, json={})
    response = admin_client.post(PAGE + "pagerduty/webhook-subscription/")
    assert response.status_code == 400
    assert "PagerDuty could not list its webhook subscriptions, so Roster created none" in response.content.decode()
    assert [c.request.method for c in rsps.calls if c.request.method == "POST"] == []


def test_a_second_click_creates_nothing(admin_client, org, connected, rsps):
    mock_no_subscription_yet(rsps)
    rsps.add(responses.POST, pd_mocks.api("/webhook_subscriptions"), json=subscription_response())
    admin_client.post(PAGE + "pagerduty/webhook-subscription/")
    response = admin_client.post(PAGE + "pagerduty/webhook-subscription/")
    assert "Subscription PY1OL64 already delivers to this URL, so Roster created none." in response.content.decode()
    assert len([c for c in rsps.calls if c.request.method == "POST"]) == 1
    assert WebhookSecret.objects.count() == 1


def test_a_subscription_made_by_hand_is_detected_not_duplicated(admin_client, org, connected, rsps):
    url = webhook_url(endpoint_for(org))
    other = {**subscription_response()["webhook_subscription"], "id": "PELSEWH"}
    other["delivery_method"] = {**other["delivery_method"], "url": "https://elsewhere.example/hook", "secret": None}
    ours = {**subscription_response()["webhook_subscription"], "id": "PBYHAND"}
    ours["delivery_method"] = {**ours["delivery_method"], "url": url, "secret": None}
    mock_no_subscription_yet(rsps, [other, ours])
    page = admin_client.post(PAGE + "pagerduty/webhook-subscription/", follow=True).content.decode()
    assert "Subscription PBYHAND already delivers to this URL, so Roster created none." in page
    assert "Subscription <code>PBYHAND</code> active" in page
    assert not [c for c in rsps.calls if c.request.method == "POST"]


def test_recreate_replaces_the_subscription_and_its_secret(admin_client, org, connected, rsps):
    mock_no_subscription_yet(rsps)
    rsps.add(responses.POST, pd_mocks.api("/webhook_subscriptions"), json=subscription_response())
    admin_client.post(PAGE + "pagerduty/webhook-subscription/")

    url = webhook_url(endpoint_for(org))
    old = {**subscription_response()["webhook_subscription"]}
    old["delivery_method"] = {**old["delivery_method"], "url": url, "secret": None}
    rsps.replace(
        responses.GET,
        pd_mocks.api("/webhook_subscriptions"),
        json={"webhook_subscriptions": [old], "limit": 100, "offset": 0, "more": False},
    )
    new = subscription_response(secret="pd-second-signing-secret-Zw98")
    new["webhook_subscription"]["id"] = "PNEWSUB"
    rsps.replace(responses.POST, pd_mocks.api("/webhook_subscriptions"), json=new)
    rsps.add(responses.DELETE, pd_mocks.api("/webhook_subscriptions/PY1OL64"), status=204)
    page = admin_client.post(PAGE + "pagerduty/webhook-subscription/", {"recreate": "1"}, follow=True).content.decode()

    assert (
        "PagerDuty subscription PNEWSUB created; its signing secret (ending in Zw98) is saved. Deleted the "
        "subscription it replaces (PY1OL64) and its secret." in page
    )
    assert list(WebhookSecret.objects.values_list("subscription_id", flat=True)) == ["PNEWSUB"]
    assert WebhookEndpoint.objects.get().subscription_id == "PNEWSUB"


def test_a_click_while_another_is_talking_to_pagerduty_creates_nothing(org, connected, rsps):
    """The claim is a committed conditional update: a second click arriving while PagerDuty answers
    the first one sees it and stops (no row lock is held meanwhile)."""
    from webhooks import services

    second = {}

    def list_while_another_click_arrives(request):
        try:
            services.webhook_subscription_create(organization=org)
        except services.SubscriptionError as error:
            second["message"] = error.message
        return 200, {}, json.dumps({"webhook_subscriptions": [], "limit": 100, "offset": 0, "more": False})

    rsps.add_callback(responses.GET, pd_mocks.api("/webhook_subscriptions"), callback=list_while_another_click_arrives)
    rsps.add(responses.POST, pd_mocks.api("/webhook_subscriptions"), json=subscription_response())

    result = services.webhook_subscription_create(organization=org)

    assert result.subscription_id == "PY1OL64"
    assert second["message"].startswith("Another request is creating the subscription right now")
    assert len([c for c in rsps.calls if c.request.method == "POST"]) == 1
    assert WebhookEndpoint.objects.get().subscription_claimed_at is None


def test_recreate_deletes_the_recorded_subscription_even_when_pagerduty_refuses_to_list(
    admin_client, org, connected, rsps
):
    mock_no_subscription_yet(rsps)
    rsps.add(responses.POST, pd_mocks.api("/webhook_subscriptions"), json=subscription_response())
    admin_client.post(PAGE + "pagerduty/webhook-subscription/")

    rsps.replace(responses.GET, pd_mocks.api("/webhook_subscriptions"), status=403, json={"error": {"code": 2010}})
    new = subscription_response(secret="pd-second-signing-secret-Zw98")
    new["webhook_subscription"]["id"] = "PNEWSUB"
    rsps.replace(responses.POST, pd_mocks.api("/webhook_subscriptions"), json=new)
    rsps.add(responses.DELETE, pd_mocks.api("/webhook_subscriptions/PY1OL64"), status=204)
    page = admin_client.post(PAGE + "pagerduty/webhook-subscription/", {"recreate": "1"}, follow=True).content.decode()

    assert "Deleted the subscription it replaces (PY1OL64) and its secret." in page
    assert list(WebhookSecret.objects.values_list("subscription_id", flat=True)) == ["PNEWSUB"]


API = "/api/integrations/pagerduty/webhook-subscription"


def post_api(client, auth, body=None):
    return client.post(API, body or {}, content_type="application/json", **auth)


def test_a_script_creates_and_recreates_the_subscription_as_the_card_does(client, org, connected, rsps, token_auth):
    mock_no_subscription_yet(rsps)
    rsps.add(responses.POST, pd_mocks.api("/webhook_subscriptions"), json=subscription_response())
    created = post_api(client, token_auth)
    assert created.status_code == 201
    assert created.json() == {
        "subscriptionId": "PY1OL64",
        "created": True,
        "secretLast4": "Xy12",
        "deleted": [],
        "notDeleted": [],
        "eventsAdded": [],
        "eventsMissing": [],
    }
    assert CREATED_SECRET not in created.content.decode()
    assert WebhookSecret.objects.get(organization=org).subscription_id == "PY1OL64"

    again = post_api(client, token_auth)
    assert (again.status_code, again.json()["code"]) == (409, "subscription_exists")
    assert "Click Recreate" in again.json()["message"]

    new = subscription_response(secret="pd-second-signing-secret-Zw98")
    new["webhook_subscription"]["id"] = "PNEWSUB"
    rsps.replace(responses.POST, pd_mocks.api("/webhook_subscriptions"), json=new)
    rsps.add(responses.DELETE, pd_mocks.api("/webhook_subscriptions/PY1OL64"), status=204)
    recreated = post_api(client, token_auth, {"recreate": True})
    assert recreated.status_code == 201
    assert (recreated.json()["subscriptionId"], recreated.json()["deleted"]) == ("PNEWSUB", ["PY1OL64"])
    assert list(WebhookSecret.objects.values_list("subscription_id", flat=True)) == ["PNEWSUB"]


def test_a_script_is_told_of_a_subscription_made_by_hand(client, org, connected, rsps, token_auth):
    ours = {**subscription_response()["webhook_subscription"], "id": "PBYHAND"}
    ours["delivery_method"] = {**ours["delivery_method"], "url": webhook_url(endpoint_for(org)), "secret": None}
    mock_no_subscription_yet(rsps, [ours])
    found = post_api(client, token_auth)
    assert found.status_code == 200
    assert found.json() == {
        "subscriptionId": "PBYHAND",
        "created": False,
        "secretLast4": None,
        "deleted": [],
        "notDeleted": [],
        "eventsAdded": [],
        "eventsMissing": [],
    }


def test_a_script_gets_the_cards_refusals_with_statuses(client, org, rsps, token_auth):
    assert post_api(client, token_auth, {"recreate": 0}).status_code == 400
    refused = post_api(client, token_auth)
    assert (refused.status_code, refused.json()["code"]) == (409, "not_connected")
    assert refused.json()["manualSteps"][0].startswith("In PagerDuty, open Integrations")

    PagerDutyConnection.objects.create(organization=org, auth_type="api_key", api_key="u+key00001234", key_last4="1234")
    mock_no_subscription_yet(rsps)
    rsps.add(responses.POST, pd_mocks.api("/webhook_subscriptions"), status=403, json={"error": {"code": 2010}})
    refused = post_api(client, token_auth)
    assert (refused.status_code, refused.json()["code"]) == (409, "write_refused")
    assert "webhook_subscriptions.write" in refused.json()["message"] and refused.json()["manualSteps"]

    rsps.replace(responses.POST, pd_mocks.api("/webhook_subscriptions"), status=503, json={})
    down = post_api(client, token_auth)
    assert (down.status_code, down.json()["code"], down["Retry-After"]) == (503, "pagerduty_unavailable", "60")
    assert down.json()["message"].startswith("PagerDuty could not create the subscription, so nothing was created")

    from django.utils import timezone

    WebhookEndpoint.objects.filter(organization=org).update(subscription_claimed_at=timezone.now())
    busy = post_api(client, token_auth)
    assert (busy.status_code, busy.json()["code"]) == (409, "subscription_in_progress")
    assert not WebhookSecret.objects.exists()


def test_only_an_admin_of_the_organization_creates_it(client, member_client, org, connected, other_org):
    assert member_client.post(API, {}, content_type="application/json").status_code == 403
    assert post_api(client, bearer(org, "read")).json()["code"] == "insufficient_scope"
    refused = post_api(client, bearer(other_org))  # acts on its own organization, which has no connection
    assert (refused.status_code, refused.json()["code"]) == (409, "not_connected")
    assert not WebhookEndpoint.objects.filter(organization=org, subscription_id__gt="").exists()
