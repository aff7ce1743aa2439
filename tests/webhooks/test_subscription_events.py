"""A recorded PagerDuty subscription that sends fewer events than Roster reads (made when Roster asked
for four, or by hand) is brought up to date: when Create adopts it, and by beat once a day."""

import json

import pytest
import requests
import responses
from django.conf import settings
from django.contrib.messages import get_messages

from accounts.actor import SYSTEM
from accounts.models import AuditEvent
from integrations.pagerduty.models import PagerDutyConnection
from tests import pd_mocks
from tests.factories import API_KEY, PagerDutyConnectionFactory
from webhooks import processing, services, tasks
from webhooks.models import WebhookEndpoint
from webhooks.services import endpoint_for, webhook_url

pytestmark = pytest.mark.django_db
PAGE = "/settings/integrations/"
# What Roster once subscribed to; PagerDuty keeps sending only these.
OLD_EVENTS = [
    "incident.triggered",
    "incident.acknowledged",
    "incident.resolved",
    "incident.custom_field_values.updated",
]
NEW_EVENTS = [e for e in processing.SUBSCRIBED_EVENTS if e not in OLD_EVENTS]
SUB_ID = "POLD001"
SUB_URL = pd_mocks.api(f"/webhook_subscriptions/{SUB_ID}")


def subscription(events, sub_id=SUB_ID, url="https://roster.example.com/webhooks/pagerduty/x/", active=True) -> dict:
    """As PagerDuty reads a subscription back (GetSubscriptionExample): no secret. `active=None`: an
    answer without the key."""
    shown = {
        "id": sub_id,
        "type": "webhook_subscription",
        "active": active,
        "description": "Roster (Acme)",
        "events": list(events),
        "filter": {"type": "account_reference"},
        "delivery_method": {
            "id": "PF9KMXH",
            "type": "http_delivery_method",
            "url": url,
            "secret": None,
            "temporarily_disabled": False,
            "custom_headers": [],
        },
    }
    if active is None:
        del shown["active"]
    return shown


def mock_read(rsps, events, url=SUB_URL, **kwargs):
    rsps.add(responses.GET, url, json={"webhook_subscription": subscription(events, **kwargs)})


def mock_update(rsps, url=SUB_URL, status=200):
    def answer(request):
        sent = json.loads(request.body)["webhook_subscription"]
        if status != 200:
            return status, {}, json.dumps({"error": {"message": "Access Denied", "code": 2010}})
        return 200, {}, json.dumps({"webhook_subscription": subscription(sent["events"])})

    rsps.add_callback(responses.PUT, url, callback=answer)


def put_bodies(rsps) -> list[dict]:
    return [json.loads(c.request.body) for c in rsps.calls if c.request.method == "PUT"]


@pytest.fixture
def recorded(org, pd_connection):
    endpoint = endpoint_for(org)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(subscription_id=SUB_ID)
    endpoint.refresh_from_db()
    return endpoint


def missing_of(org) -> list[str]:
    return WebhookEndpoint.objects.get(organization=org).subscription_missing_events


# --- the service ------------------------------------------------------------------------------


def test_the_events_it_lacks_are_added_keeping_those_pagerduty_already_sends(org, recorded, rsps):
    sends = ["incident.annotated", *reversed(OLD_EVENTS)]  # one Roster does not read, in PagerDuty's order
    mock_read(rsps, sends)
    mock_update(rsps)

    result = services.webhook_subscription_bring_up_to_date(endpoint=recorded)

    assert put_bodies(rsps) == [{"webhook_subscription": {"events": sends + NEW_EVENTS}}]
    assert result.added == tuple(NEW_EVENTS) and result.missing == ()
    audit = AuditEvent.objects.get(organization=org, action="webhook_subscription_events")
    assert audit.summary == f"Added {len(NEW_EVENTS)} events to the webhook subscription {SUB_ID}: " + ", ".join(
        NEW_EVENTS
    )
    assert audit.actor_label == SYSTEM.label  # Roster itself, not a person
    assert PagerDutyConnection.objects.get().capabilities["write"] == "yes"
    assert missing_of(org) == []


def test_a_subscription_sending_every_event_is_left_as_it_is(org, recorded, rsps):
    WebhookEndpoint.objects.filter(pk=recorded.pk).update(subscription_missing_events=["incident.reopened"])
    mock_read(rsps, processing.SUBSCRIBED_EVENTS + ["incident.annotated"])

    result = services.webhook_subscription_bring_up_to_date(endpoint=recorded)

    assert (result.added, result.missing) == ((), ())
    assert put_bodies(rsps) == []
    assert missing_of(org) == []  # added in PagerDuty by hand since: the card stops asking
    assert not AuditEvent.objects.filter(action="webhook_subscription_events").exists()


def test_a_subscription_deleted_in_pagerduty_is_forgotten_so_the_card_offers_create_again(
    admin_client, org, recorded, rsps
):
    WebhookEndpoint.objects.filter(pk=recorded.pk).update(subscription_missing_events=["incident.reopened"])
    rsps.add(responses.GET, SUB_URL, status=404, json={"error": {"message": "Not Found", "code": 2100}})

    result = services.webhook_subscription_bring_up_to_date(endpoint=recorded)

    assert result.outcome == "gone"
    endpoint = WebhookEndpoint.objects.get(organization=org)
    assert (endpoint.subscription_id, endpoint.subscription_missing_events) == ("", [])
    audit = AuditEvent.objects.get(organization=org, action="webhook_subscription")
    assert audit.summary == f"The webhook subscription {SUB_ID} is gone in PagerDuty: Roster forgot it"
    page = admin_client.get(PAGE).content.decode()
    assert "Create the subscription for me</button>" in page and "Recreate</button>" not in page


def test_a_subscription_roster_may_not_change_is_named_on_the_card_with_what_it_does_not_send(
    client, admin_user, member_user, org, recorded, rsps
):
    mock_read(rsps, OLD_EVENTS)
    mock_update(rsps, status=403)

    result = services.webhook_subscription_bring_up_to_date(endpoint=recorded)

    assert result.added == () and result.missing == tuple(NEW_EVENTS)
    assert PagerDutyConnection.objects.get().capabilities["write"] == "no"
    assert missing_of(org) == NEW_EVENTS
    client.force_login(admin_user)
    page = client.get(PAGE).content.decode()
    names = ", ".join(f"<code>{e}</code>" for e in NEW_EVENTS)
    assert f"PagerDuty's subscription <code>{SUB_ID}</code> does not send: {names}." in page
    # No Recreate button once PagerDuty refused a write: the card does not point at one.
    assert "Add them to it in PagerDuty." in page and "Recreate</button>" not in page
    client.force_login(member_user)
    assert 'data-testid="wh-missing-events"' not in client.get(PAGE).content.decode()


def test_the_card_offers_recreate_for_missing_events_while_the_connection_may_write(admin_client, org, recorded):
    WebhookEndpoint.objects.filter(pk=recorded.pk).update(subscription_missing_events=["incident.reassigned"])
    page = admin_client.get(PAGE).content.decode()
    assert (
        f"PagerDuty's subscription <code>{SUB_ID}</code> does not send: <code>incident.reassigned</code>. "
        "Click Recreate, or add them to it in PagerDuty." in page
    )
    assert "Recreate</button>" in page


@pytest.mark.parametrize(
    "mock",
    [
        lambda rsps: rsps.add(responses.GET, SUB_URL, status=503, json={}),
        lambda rsps: rsps.add(responses.GET, SUB_URL, body=requests.ConnectionError("unreachable")),
        lambda rsps: (mock_read(rsps, OLD_EVENTS), mock_update(rsps, status=429)),
        lambda rsps: rsps.add(responses.GET, SUB_URL, json={"webhook_subscription": {"id": SUB_ID}}),  # unreadable
    ],
    ids=["read-503", "unreachable", "update-429", "unreadable"],
)
def test_pagerduty_trouble_changes_nothing_and_is_left_for_the_next_run(org, recorded, rsps, mock, settings):
    settings.PAGERDUTY_RETRIES = 0
    WebhookEndpoint.objects.filter(pk=recorded.pk).update(subscription_missing_events=["incident.reopened"])
    mock(rsps)

    result = services.webhook_subscription_bring_up_to_date(endpoint=recorded)

    assert result.outcome == "later" and result.added == ()
    endpoint = WebhookEndpoint.objects.get(organization=org)
    assert (endpoint.subscription_id, endpoint.subscription_missing_events) == (SUB_ID, ["incident.reopened"])
    assert PagerDutyConnection.objects.get().capabilities.get("write") is None
    assert not AuditEvent.objects.exists()


def test_a_subscription_replaced_meanwhile_is_not_forgotten(org, recorded, rsps):
    """A Recreate records its new subscription before deleting the old one: a 404 for the old one
    must not clear the new id."""

    def recreated_meanwhile(request):
        WebhookEndpoint.objects.filter(pk=recorded.pk).update(subscription_id="PNEWSUB")
        return 404, {}, json.dumps({"error": {"message": "Not Found", "code": 2100}})

    rsps.add_callback(responses.GET, SUB_URL, callback=recreated_meanwhile)
    services.webhook_subscription_bring_up_to_date(endpoint=recorded)
    assert WebhookEndpoint.objects.get(organization=org).subscription_id == "PNEWSUB"


# --- Create adopts a subscription it finds, and brings it up to date ---------------------------


def _listed(org, events):
    return {
        "webhook_subscriptions": [subscription(events, sub_id="PBYHAND", url=webhook_url(endpoint_for(org)))],
        "limit": 100,
        "offset": 0,
        "more": False,
    }


def test_create_adopts_a_subscription_made_by_hand_and_adds_the_events_it_lacks(admin_client, org, pd_connection, rsps):
    rsps.add(responses.GET, pd_mocks.api("/webhook_subscriptions"), json=_listed(org, OLD_EVENTS))
    by_hand = pd_mocks.api("/webhook_subscriptions/PBYHAND")
    mock_read(rsps, OLD_EVENTS, url=by_hand, sub_id="PBYHAND")
    mock_update(rsps, url=by_hand)

    page = admin_client.post(PAGE + "pagerduty/webhook-subscription/", follow=True).content.decode()

    assert "Subscription PBYHAND already delivers to this URL, so Roster created none." in page
    assert f"Added the {len(NEW_EVENTS)} events it did not send: {', '.join(NEW_EVENTS)}." in page
    assert put_bodies(rsps) == [{"webhook_subscription": {"events": OLD_EVENTS + NEW_EVENTS}}]
    assert not [c for c in rsps.calls if c.request.method == "POST"]
    assert WebhookEndpoint.objects.get(organization=org).subscription_id == "PBYHAND"


def test_create_says_what_an_adopted_subscription_does_not_send_when_pagerduty_refuses_to_add_it(
    admin_client, org, pd_connection, rsps
):
    rsps.add(responses.GET, pd_mocks.api("/webhook_subscriptions"), json=_listed(org, OLD_EVENTS))
    by_hand = pd_mocks.api("/webhook_subscriptions/PBYHAND")
    mock_read(rsps, OLD_EVENTS, url=by_hand, sub_id="PBYHAND")
    mock_update(rsps, url=by_hand, status=403)

    page = admin_client.post(PAGE + "pagerduty/webhook-subscription/", follow=True).content.decode()

    assert "Subscription PBYHAND already delivers to this URL, so Roster created none." in page
    assert f"It does not send {', '.join(NEW_EVENTS)}, and PagerDuty refused to add them" in page
    assert WebhookEndpoint.objects.get(organization=org).subscription_missing_events == NEW_EVENTS


def test_recreate_does_not_update_the_subscription_it_replaces(admin_client, org, recorded, rsps):
    from tests.webhooks.test_create_subscription import subscription_response

    rsps.add(responses.GET, pd_mocks.api("/webhook_subscriptions"), json=_listed(org, OLD_EVENTS))
    rsps.add(responses.POST, pd_mocks.api("/webhook_subscriptions"), json=subscription_response())
    rsps.add(responses.DELETE, pd_mocks.api("/webhook_subscriptions/PBYHAND"), status=204)
    rsps.add(responses.DELETE, SUB_URL, status=204)
    admin_client.post(PAGE + "pagerduty/webhook-subscription/", {"recreate": "1"})
    assert put_bodies(rsps) == []
    assert WebhookEndpoint.objects.get(organization=org).subscription_id == "PY1OL64"


API = "/api/integrations/pagerduty/webhook-subscription"


def test_a_script_is_told_which_events_roster_added_or_could_not(client, org, token_auth, pd_connection, rsps):
    rsps.add(responses.GET, pd_mocks.api("/webhook_subscriptions"), json=_listed(org, OLD_EVENTS))
    by_hand = pd_mocks.api("/webhook_subscriptions/PBYHAND")
    mock_read(rsps, OLD_EVENTS, url=by_hand, sub_id="PBYHAND")
    mock_update(rsps, url=by_hand, status=403)

    found = client.post(API, {}, content_type="application/json", **token_auth)

    assert found.status_code == 200
    assert (found.json()["eventsAdded"], found.json()["eventsMissing"]) == ([], NEW_EVENTS)
    status = client.get("/api/integrations/pagerduty/webhook-url", **token_auth).json()
    assert (status["subscriptionId"], status["subscriptionMissingEvents"]) == ("PBYHAND", NEW_EVENTS)


# --- beat, once a day --------------------------------------------------------------------------


def test_beat_brings_every_recorded_subscription_up_to_date_once_a_day():
    from config.celery import app

    app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE["webhooks-subscription-events"]
    assert entry["task"] == "webhooks.tasks.start_subscription_checks"
    assert entry["schedule"].total_seconds() == 24 * 3600
    assert entry["task"] in app.tasks


def test_each_endpoint_is_checked_on_its_own_and_only_with_a_usable_connection(org, other_org, recorded, rsps):
    from accounts.models import Organization

    third = Organization.objects.create(name="Initech", slug="initech")
    unrecorded = Organization.objects.create(name="Hooli", slug="hooli")
    for other, sub_id in ((other_org, "POTHER1"), (third, "PTHIRD1")):
        PagerDutyConnectionFactory(organization=other)
        WebhookEndpoint.objects.filter(pk=endpoint_for(other).pk).update(subscription_id=sub_id)
    PagerDutyConnectionFactory(organization=unrecorded)
    endpoint_for(unrecorded)
    invalid_org = Organization.objects.create(name="Umbrella", slug="umbrella")
    PagerDutyConnectionFactory(organization=invalid_org, status=PagerDutyConnection.Status.INVALID)
    WebhookEndpoint.objects.filter(pk=endpoint_for(invalid_org).pk).update(subscription_id="PINVAL1")

    def boom(request):
        raise RuntimeError("a bug while reading POTHER1")

    rsps.add_callback(responses.GET, pd_mocks.api("/webhook_subscriptions/POTHER1"), callback=boom)
    mock_read(rsps, OLD_EVENTS)
    mock_update(rsps)
    third_url = pd_mocks.api("/webhook_subscriptions/PTHIRD1")
    mock_read(rsps, OLD_EVENTS, url=third_url, sub_id="PTHIRD1")
    mock_update(rsps, url=third_url)

    assert tasks.start_subscription_checks() == 3

    read = sorted(c.request.url.rsplit("/", 1)[1] for c in rsps.calls if c.request.method == "GET")
    assert read == ["POLD001", "POTHER1", "PTHIRD1"]  # not Umbrella's (invalid key), not Hooli's (none recorded)
    assert len(put_bodies(rsps)) == 2  # Initech's came after Other's failure
    assert AuditEvent.objects.filter(action="webhook_subscription_events").count() == 2


def test_against_the_fake_pagerduty_the_daily_check_fixes_one_and_names_what_a_read_only_key_cannot(
    org, other_org, fake_pagerduty
):
    """Through the real client and HTTP: the fake keeps each subscription's events as PagerDuty does."""
    read_only = "u+readOnlyKey0002"
    fake_pagerduty.valid_keys[API_KEY] = None
    fake_pagerduty.valid_keys[read_only] = None
    fake_pagerduty.read_only_keys.add(read_only)
    for number, (organization, key) in enumerate(((org, API_KEY), (other_org, read_only)), start=1):
        PagerDutyConnectionFactory(organization=organization, api_key=key)
        sub_id = f"PSUB00{number}"
        fake_pagerduty.webhook_subscriptions[sub_id] = {**subscription(OLD_EVENTS, sub_id=sub_id), "secret": "x" * 12}
        WebhookEndpoint.objects.filter(pk=endpoint_for(organization).pk).update(subscription_id=sub_id)

    assert tasks.start_subscription_checks() == 2

    assert fake_pagerduty.webhook_subscriptions["PSUB001"]["events"] == OLD_EVENTS + NEW_EVENTS
    assert fake_pagerduty.webhook_subscriptions["PSUB002"]["events"] == OLD_EVENTS
    assert (missing_of(org), missing_of(other_org)) == ([], NEW_EVENTS)


# --- a subscription turned off in PagerDuty ----------------------------------------------------
# An admin, or PagerDuty after repeated delivery failures, can turn a subscription off: PagerDuty then
# sends nothing. Roster leaves it off (it may be on purpose) and says so.

ACTIVE = "webhook_subscription_active"
TURNED_OFF = (
    f"PagerDuty's subscription <code>{SUB_ID}</code> is turned off, so PagerDuty sends Roster nothing. "
    "Turn it on in PagerDuty (Integrations → Generic Webhooks (v3))"
)


def inactive_of(org) -> bool:
    return WebhookEndpoint.objects.get(organization=org).subscription_inactive


def active_audits(org) -> list[str]:
    return [a.summary for a in AuditEvent.objects.filter(organization=org, action=ACTIVE).order_by("pk")]


def test_a_subscription_turned_off_is_recorded_and_audited_once_and_left_off(org, recorded, rsps):
    mock_read(rsps, processing.SUBSCRIBED_EVENTS, active=False)

    services.webhook_subscription_bring_up_to_date(endpoint=recorded)
    services.webhook_subscription_bring_up_to_date(endpoint=recorded)  # the next day: still off

    assert inactive_of(org) is True
    assert put_bodies(rsps) == []  # never turned back on by Roster
    assert active_audits(org) == [
        f"The webhook subscription {SUB_ID} is turned off in PagerDuty, so PagerDuty sends Roster nothing"
    ]
    assert AuditEvent.objects.get(action=ACTIVE).actor_label == SYSTEM.label


def test_a_subscription_turned_on_again_is_recorded_and_audited_once(org, recorded, rsps):
    WebhookEndpoint.objects.filter(pk=recorded.pk).update(subscription_inactive=True)
    mock_read(rsps, processing.SUBSCRIBED_EVENTS, active=True)

    services.webhook_subscription_bring_up_to_date(endpoint=recorded)
    services.webhook_subscription_bring_up_to_date(endpoint=recorded)

    assert inactive_of(org) is False
    assert active_audits(org) == [f"The webhook subscription {SUB_ID} is turned on again in PagerDuty"]


def test_a_turned_off_subscription_still_gets_the_events_it_lacks_and_stays_off(org, recorded, rsps):
    mock_read(rsps, OLD_EVENTS, active=False)
    mock_update(rsps)

    result = services.webhook_subscription_bring_up_to_date(endpoint=recorded)

    assert result.added == tuple(NEW_EVENTS)
    assert put_bodies(rsps) == [{"webhook_subscription": {"events": OLD_EVENTS + NEW_EVENTS}}]  # no "active"
    assert inactive_of(org) is True


def test_the_read_is_recorded_even_when_adding_the_events_must_wait(org, recorded, rsps, settings):
    settings.PAGERDUTY_RETRIES = 0
    mock_read(rsps, OLD_EVENTS, active=False)
    mock_update(rsps, status=429)

    assert services.webhook_subscription_bring_up_to_date(endpoint=recorded).outcome == "later"
    assert inactive_of(org) is True


def test_an_answer_without_active_changes_nothing(org, recorded, rsps):
    WebhookEndpoint.objects.filter(pk=recorded.pk).update(subscription_inactive=True)
    mock_read(rsps, processing.SUBSCRIBED_EVENTS, active=None)

    services.webhook_subscription_bring_up_to_date(endpoint=recorded)

    assert inactive_of(org) is True
    assert active_audits(org) == []


def test_a_turned_off_subscription_deleted_since_is_forgotten_with_it(org, recorded, rsps):
    WebhookEndpoint.objects.filter(pk=recorded.pk).update(subscription_inactive=True)
    rsps.add(responses.GET, SUB_URL, status=404, json={"error": {"message": "Not Found", "code": 2100}})

    services.webhook_subscription_bring_up_to_date(endpoint=recorded)

    assert (WebhookEndpoint.objects.get(organization=org).subscription_id, inactive_of(org)) == ("", False)


def test_recreate_replaces_a_turned_off_subscription_with_one_that_sends(admin_client, org, recorded, rsps):
    from tests.webhooks.test_create_subscription import subscription_response

    WebhookEndpoint.objects.filter(pk=recorded.pk).update(subscription_inactive=True)
    rsps.add(responses.GET, pd_mocks.api("/webhook_subscriptions"), json=_listed(org, OLD_EVENTS))
    rsps.add(responses.POST, pd_mocks.api("/webhook_subscriptions"), json=subscription_response())
    rsps.add(responses.DELETE, pd_mocks.api("/webhook_subscriptions/PBYHAND"), status=204)
    rsps.add(responses.DELETE, SUB_URL, status=204)

    page = admin_client.post(PAGE + "pagerduty/webhook-subscription/", {"recreate": "1"}, follow=True)

    assert (WebhookEndpoint.objects.get(organization=org).subscription_id, inactive_of(org)) == ("PY1OL64", False)
    assert "is turned off" not in page.content.decode()


def test_the_card_tells_admins_only_that_a_turned_off_subscription_sends_nothing(
    client, admin_user, member_user, org, recorded
):
    WebhookEndpoint.objects.filter(pk=recorded.pk).update(subscription_inactive=True)
    client.force_login(admin_user)
    page = client.get(PAGE).content.decode()
    assert f"{TURNED_OFF}, or click Recreate." in page and "Recreate</button>" in page
    assert f"Subscription <code>{SUB_ID}</code> turned off" in page  # not "active"
    client.force_login(member_user)
    page = client.get(PAGE).content.decode()
    assert "turned off" not in page and 'data-testid="wh-subscription-off"' not in page


def test_without_the_recreate_button_the_card_says_only_to_turn_it_on_in_pagerduty(admin_client, org, recorded):
    WebhookEndpoint.objects.filter(pk=recorded.pk).update(subscription_inactive=True)
    PagerDutyConnection.objects.update(capabilities={"write": "no"})
    page = admin_client.get(PAGE).content.decode()
    assert f"{TURNED_OFF}." in page
    assert "Recreate</button>" not in page and "or click Recreate" not in page


def test_create_adopting_a_turned_off_subscription_shows_it_on_the_card(admin_client, org, pd_connection, rsps):
    rsps.add(responses.GET, pd_mocks.api("/webhook_subscriptions"), json=_listed(org, processing.SUBSCRIBED_EVENTS))
    mock_read(
        rsps,
        processing.SUBSCRIBED_EVENTS,
        url=pd_mocks.api("/webhook_subscriptions/PBYHAND"),
        sub_id="PBYHAND",
        active=False,
    )

    response = admin_client.post(PAGE + "pagerduty/webhook-subscription/")
    page = admin_client.get(response["Location"]).content.decode()

    (said,) = get_messages(response.wsgi_request)  # the answer to the click says it too, as a warning
    assert said.level_tag == "warning"
    assert str(said).endswith(
        " It is turned off in PagerDuty, so PagerDuty sends Roster nothing: turn it on there (Integrations → Generic "
        "Webhooks (v3)), or click Recreate."
    )
    assert "PagerDuty's subscription <code>PBYHAND</code> is turned off, so PagerDuty sends Roster nothing." in page
    assert inactive_of(org) is True
    # Seen by Roster, not done by the admin who clicked Create: the trail must not read as theirs.
    assert AuditEvent.objects.get(action=ACTIVE).actor_label == SYSTEM.label


def test_a_script_reads_whether_the_recorded_subscription_is_active(client, token_auth, recorded, rsps):
    def status() -> dict:
        return client.get("/api/integrations/pagerduty/webhook-url", **token_auth).json()

    assert status()["subscriptionActive"] is True
    mock_read(rsps, processing.SUBSCRIBED_EVENTS, active=False)
    services.webhook_subscription_bring_up_to_date(endpoint=recorded)
    assert status()["subscriptionActive"] is False
    WebhookEndpoint.objects.filter(pk=recorded.pk).update(subscription_id="")
    assert status()["subscriptionActive"] is None  # no subscription recorded


def test_against_the_fake_pagerduty_a_subscription_turned_off_stays_off(org, fake_pagerduty):
    fake_pagerduty.valid_keys[API_KEY] = None
    PagerDutyConnectionFactory(organization=org, api_key=API_KEY)
    fake_pagerduty.webhook_subscriptions[SUB_ID] = {
        **subscription(OLD_EVENTS, active=False),
        "secret": "x" * 12,
    }
    WebhookEndpoint.objects.filter(pk=endpoint_for(org).pk).update(subscription_id=SUB_ID)

    assert tasks.start_subscription_checks() == 1

    assert fake_pagerduty.webhook_subscriptions[SUB_ID]["events"] == OLD_EVENTS + NEW_EVENTS
    assert fake_pagerduty.webhook_subscriptions[SUB_ID]["active"] is False
    assert inactive_of(org) is True
