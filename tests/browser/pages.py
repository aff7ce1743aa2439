"""Every page an admin clicks through, with data on it: used by test_layout.py (each fits at 1280
and 390 px) and by screenshots.py (`make screenshots`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

PD_KEY = "u+fakeUserKey0001"  # a key tests/fake_pagerduty.py accepts


@dataclass(frozen=True)
class Page:
    name: str  # the screenshot's file name
    path: str
    dialog: str = ""  # the id of a dialog the page opens with ?dialog=
    whole: bool = True  # the whole page, not only the window: chromium times out on the API docs (45,472 px tall)


# Before PagerDuty is connected.
NOT_CONNECTED = [
    Page("integrations-not-connected", "/settings/integrations/"),
    Page("connect-choose", "/settings/integrations/?dialog=pagerduty-connect", "pagerduty-connect"),
    Page("connect-api-key", "/settings/integrations/?dialog=pagerduty-connect-key", "pagerduty-connect-key"),
    Page("connect-oauth", "/settings/integrations/?dialog=pagerduty-connect-oauth", "pagerduty-connect-oauth"),
    Page("time-off", "/settings/time-off/"),
    Page("change-password", "/accounts/password_change/"),
    Page("forgot-password", "/accounts/password_reset/"),
]


def connected_pages(data: dict) -> list[Page]:
    """The pages once `seed()` ran (its ids in `data`)."""
    return [
        Page("integrations", "/settings/integrations/"),
        Page("edit-api-key", "/settings/integrations/?dialog=pagerduty-rotate", "pagerduty-rotate"),
        Page("disconnect", "/settings/integrations/?dialog=pagerduty-disconnect", "pagerduty-disconnect"),
        Page("slack-disconnect", "/settings/integrations/?dialog=slack-disconnect", "slack-disconnect"),
        Page("add-signing-secret", "/settings/integrations/?dialog=webhook-secret", "webhook-secret"),
        Page(
            "remove-signing-secret",
            f"/settings/integrations/?dialog=webhook-secret-remove-{data['secret_id']}",
            f"webhook-secret-remove-{data['secret_id']}",
        ),
        Page("members", "/settings/members/"),
        Page("invite", "/settings/members/?dialog=invite", "invite"),
        Page("remove-member", f"/settings/members/?dialog=remove-{data['member_id']}", f"remove-{data['member_id']}"),
        Page("api-tokens", "/settings/api-tokens/"),
        Page(
            "revoke-token",
            f"/settings/api-tokens/?dialog=revoke-token-{data['token_id']}",
            f"revoke-token-{data['token_id']}",
        ),
        Page("webhooks", "/settings/webhooks/"),
        Page("webhook-add", "/settings/webhooks/?dialog=add-endpoint", "add-endpoint"),
        Page("webhook-endpoint", f"/settings/webhooks/{data['outgoing_endpoint_id']}/"),
        Page(
            "webhook-endpoint-edit",
            f"/settings/webhooks/{data['outgoing_endpoint_id']}/?dialog=edit-endpoint",
            "edit-endpoint",
        ),
        Page(
            "webhook-endpoint-delete",
            f"/settings/webhooks/{data['outgoing_endpoint_id']}/?dialog=delete-endpoint",
            "delete-endpoint",
        ),
        Page("rotations", "/rotations/"),
        Page("rotation-new", "/rotations/new/"),
        Page("rotation", f"/rotations/{data['rotation_id']}/"),
        Page("slack-new-group", f"/rotations/{data['rotation_id']}/?dialog=slack-new-group", "slack-new-group"),
        Page("my-calendar", "/rotations/my-calendar/"),
        Page("unsubscribe", f"/unsubscribe/{data['unsubscribe_token']}/"),
        Page("incidents", "/incidents/"),
        Page("incident", f"/incidents/{data['incident_id']}/"),
        Page("not-found", "/no-such-page/"),
        Page("api-docs", "/api/docs/", whole=False),
    ]


def seed(org, admin, slack) -> dict:
    """Connect PagerDuty and Slack (both fakes must be running; `slack` is the FakeSlack) and give
    every page something to show."""
    from accounts import services as accounts
    from integrations.pagerduty import services as pagerduty
    from notifications import email
    from rotations import services as rotations
    from tests.conftest import new_member
    from webhooks import services as webhooks
    from webhooks.models import Delivery, Incident, IncidentEvent, WebhookEndpoint

    pagerduty.connection_connect_api_key(organization=org, api_key=PD_KEY, region="us", actor=None)
    member = new_member(org, "dana.longname-of-the-operations-team@acme.example", first_name="Dana")
    accounts.invitation_create(organization=org, email="new.hire@acme.example", role="member")
    token, _ = accounts.api_token_create(organization=org, name="Deploy script", scope="write", created_by=admin)
    rotation = rotations.rotation_create(
        organization=org,
        name="Primary on-call",
        time_zone="Europe/London",
        description="Who answers pages for the web shop.",
        members=[("Alice Example", "alice@acme.example"), ("Bob Example", "bob@acme.example")],
    )
    secret, _ = webhooks.webhook_secret_add(
        organization=org, secret="whsec-screenshot-secret-0001", label="PagerDuty subscription"
    )
    # A recorded subscription PagerDuty would not let Roster update, and turned off: the card lists the
    # long event names and says PagerDuty sends nothing.
    WebhookEndpoint.objects.filter(pk=webhooks.endpoint_for(org).pk).update(
        subscription_id="PSCREEN1",
        subscription_missing_events=["incident.priority_updated", "incident.custom_field_values.updated"],
        subscription_inactive=True,
    )
    now = timezone.now()
    incident = Incident.objects.create(
        organization=org,
        pagerduty_id="Q1SCREENSHOT0A",
        number=1042,
        title="Checkout latency above 2 s for customers in eu-west-1 (p99)",
        status="acknowledged",
        urgency="high",
        priority="P2",
        service_id="PSERVICE",
        service_name="Checkout API",
        escalation_policy_name="Web shop — primary then secondary",
        assignees=[{"summary": "Earline Greenholt"}],
        custom_fields=[{"name": "customer_impact", "value": "degraded"}],
        html_url="https://acme.pagerduty.com/incidents/Q1SCREENSHOT0A",
        state_as_of=now,
    )
    IncidentEvent.objects.create(
        incident=incident,
        event_id="01SCREENSHOTEVENT",
        event_type="incident.acknowledged",
        summary="Acknowledged by Earline Greenholt",
        occurred_at=now - dt.timedelta(minutes=3),
    )
    for status, event_type in ((Delivery.Status.PROCESSED, "incident.acknowledged"), (Delivery.Status.HELD, "")):
        Delivery.objects.create(
            organization=org,
            raw_body=b"{}",
            verified=status == Delivery.Status.PROCESSED,
            event_type=event_type,
            incident_ref="Q1SCREENSHOT0A" if event_type else "",
            status=status,
            received_at=now - dt.timedelta(minutes=2),
        )
    endpoint = outgoing_seed(org)
    slack_seed(org, rotation, slack)
    cover_seed(rotation)
    return {
        "outgoing_endpoint_id": endpoint.pk,
        "member_id": member.id,
        "token_id": token.id,
        "rotation_id": rotation.id,
        "incident_id": incident.pagerduty_id,
        "secret_id": secret.pk,
        "unsubscribe_token": email.unsubscribe_token(rotation.id, "alice@acme.example"),
    }


def cover_seed(rotation):
    """The rotation page's Cover requests section with an open request (a long note) and a taken one."""
    from covers.models import CoverRequest
    from tests.factories import cover_request

    alice, bob = list(rotation.members.order_by("position"))[:2]
    start = (timezone.now() + dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    cover_request(
        rotation,
        alice.email,
        start,
        start + dt.timedelta(hours=8),
        note="Flying to the customer workshop in Lisbon; back online on Thursday morning, London time.",
    )
    cover_request(
        rotation,
        alice.email,
        start + dt.timedelta(days=3),
        start + dt.timedelta(days=3, hours=4),
        status=CoverRequest.Status.TAKEN,
        taker=bob,
        taker_name=bob.name,
        taker_email=bob.email,
        taken_at=timezone.now(),
        taken_by=bob.email,
        apply_state=CoverRequest.Apply.APPLIED,
    )


def outgoing_seed(org):
    """An outgoing webhook endpoint with a long URL and a log of each status (notifications of the
    webhook channel)."""
    from notifications.models import Notification
    from outgoing.models import Endpoint

    endpoint = Endpoint.objects.create(
        organization=org,
        url="https://hooks.status-page.example.com/integrations/roster/on-call-changes/0123456789abcdef",
        events=["rotation.handoff", "incident.updated"],
        description="Status page: who is on call",
        secret="whsec_c2NyZWVuc2hvdC1zZWNyZXQtMDAwMQ==",
        secret_last4="MQ==",
        failing_since=timezone.now() - dt.timedelta(hours=2),
    )
    now = timezone.now()
    rows = [
        ("evt_handoff_1", Notification.Status.SENT, 204, 83, ""),
        ("evt_handoff_2", Notification.Status.PENDING, 503, 1204, "The endpoint answered 503 (a server error)."),
        (
            "evt_incident_3",
            Notification.Status.FAILED,
            410,
            41,
            "The endpoint answered 410; Roster does not retry a 410.",
        ),
    ]
    for n, (event_id, status, code, latency, error) in enumerate(rows):
        Notification.objects.create(
            organization=org,
            source=f"event:{event_id}",
            source_at=now,
            channel="webhook",
            target=f"endpoint:{endpoint.pk}",
            kind="webhook.incident.updated" if "incident" in event_id else "webhook.rotation.handoff",
            payload={"eventId": event_id},
            status=status,
            attempts=n + 1,
            response_code=code,
            latency_ms=latency,
            last_error=error,
            next_attempt_at=now + dt.timedelta(minutes=5),
        )
    return endpoint


def slack_seed(org, rotation, fake):
    """Slack connected; the rotation bound to a user group and #ops, one person not in the workspace,
    and its last Slack actions: one sent, one refused in plain words."""
    from notifications.models import Notification, RotationSlack
    from tests.integrations.slack_flow import make_connection

    fake.users["alice@acme.example"] = "U0ALICE"
    fake.add_usergroup("S0ONCALL", "Web shop on call", "webshop-oncall", ["U0ALICE"])
    make_connection(org, fake)
    RotationSlack.objects.create(
        rotation=rotation,
        usergroup_id="S0ONCALL",
        topic_channel_id="C0OPS",
        topic_template="On call: {person} until {until}",
        message_channel_id="C0RANDOM",
        on_duty_template="{person} is on call for {rotation} until {until}",
        off_duty_template="{person} is off duty; {next} takes over",
        reminder_hours=12,
        group_note="Nobody is on call now: @webshop-oncall keeps its members until someone is.",
    )
    now = timezone.now()
    rows = [
        ("usergroup:S0ONCALL", "slack.usergroup", Notification.Status.SENT, ""),
        ("channel:C0RANDOM", "slack.on_duty", Notification.Status.FAILED, "Roster is not in #random: invite @roster."),
    ]
    for target, kind, status, error in rows:
        Notification.objects.create(
            organization=org,
            rotation=rotation,
            source="handoff:screenshot",
            source_at=now - dt.timedelta(hours=1),
            channel="slack",
            target=target,
            kind=kind,
            status=status,
            attempts=1,
            last_error=error,
            sent_at=now if status == Notification.Status.SENT else None,
        )
