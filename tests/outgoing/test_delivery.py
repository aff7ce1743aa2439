"""Events become signed deliveries (Standard Webhooks, verified by a local receiver with the
`standardwebhooks` package), retried on a schedule over 24 hours; an endpoint failing for 24 hours
is disabled and its admins emailed; one endpoint's backlog cannot crowd out another's."""

import datetime as dt

import pytest
import responses
from django.core import mail
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from accounts.models import Membership
from notifications import services as engine
from notifications import tasks
from notifications import tasks as notification_tasks
from notifications.models import Notification
from outgoing import channel, services
from outgoing.models import Endpoint
from outgoing.selectors import Delivery as Shown
from rotations import sync
from rotations.models import Handoff
from tests.conftest import NOW, new_member
from tests.outgoing.receiver import decode, described

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
HOOK = "https://93.184.216.34/hook"


def test_a_handoff_is_one_signed_delivery_per_endpoint_across_two_sweeps(
    org, rotation, receiver, django_capture_on_commit_callbacks
):
    first, first_secret = services.endpoint_create(organization=org, url=receiver.url, events=["rotation.handoff"])
    second, second_secret = services.endpoint_create(
        organization=org, url=receiver.url + "?b", events=["rotation.handoff", "incident.updated"]
    )
    services.endpoint_create(organization=org, url=receiver.url + "?c", events=["incident.updated"])
    sync.record_handoffs()  # the nudge is lost: the sweeps find it
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            notification_tasks.sweep()

    assert sorted(r.path for r in receiver.received) == ["/hook", "/hook?b"]
    by_path = {r.path: r for r in receiver.received}
    body = described(Webhook(first_secret).verify(by_path["/hook"].body, by_path["/hook"].headers))  # its own secret
    assert Webhook(second_secret).verify(by_path["/hook?b"].body, by_path["/hook?b"].headers) == body
    with pytest.raises(WebhookVerificationError):
        Webhook(second_secret).verify(by_path["/hook"].body, by_path["/hook"].headers)
    assert body == {
        "type": "rotation.handoff",
        "timestamp": "2026-03-06T09:00:00+00:00",
        "data": {
            "rotation": {"id": rotation.pk, "name": "Platform"},
            "handoffId": Handoff.objects.get().pk,
            "at": "2026-03-06T09:00:00+00:00",
            "from": None,
            "to": "Ana Ortiz <ana@acme.example>",
        },
    }
    assert Notification.objects.filter(channel="webhook", status="sent").count() == 2
    assert {f"endpoint:{first.pk}", f"endpoint:{second.pk}"} == set(
        Notification.objects.filter(channel="webhook").values_list("target", flat=True)
    )


def test_every_handoff_is_delivered_even_when_a_later_one_came_first(
    org, rotation, frozen, receiver, django_capture_on_commit_callbacks
):
    services.endpoint_create(organization=org, url=receiver.url, events=["rotation.handoff"])
    sync.record_handoffs()  # Ana
    frozen.move_to(NOW + DAY)
    sync.record_handoffs()  # Bo; the worker was down for both
    with django_capture_on_commit_callbacks(execute=True):
        notification_tasks.sweep()
    assert [decode(r)["data"]["to"] for r in receiver.received] == [
        "Ana Ortiz <ana@acme.example>",
        "Bo Chen <bo@acme.example>",
    ]


def _endpoint(org):
    return services.endpoint_create(organization=org, url=HOOK, events=["rotation.handoff"])[0]


def _event(endpoint, event_id="evt_1"):
    data = {"message": "A test event from Roster.", "endpointId": endpoint.pk, "sentBy": None}
    return services.events_create(
        organization_id=endpoint.organization_id,
        endpoints=[endpoint],
        event_id=event_id,
        event_type="webhook.test",
        data=data,
    )[0]


def attempt(delivery_id: int) -> str:
    """One try of the engine, as the endpoint's delivery log names its result."""
    status = str(engine.notification_deliver(notification_id=delivery_id).status)
    return "delivered" if status == "sent" else status


def shown(delivery_id=None) -> Shown:
    found = Notification.objects.filter(channel="webhook")
    return Shown(found.get(pk=delivery_id) if delivery_id else found.get())


@responses.activate
def test_5xx_and_timeouts_are_retried_on_the_schedule_then_given_up_after_24_hours(org, frozen):
    import requests

    endpoint = _endpoint(org)
    delivery_id = _event(endpoint)
    responses.add(responses.POST, HOOK, status=503)
    responses.add(responses.POST, HOOK, body=requests.Timeout())
    responses.add(responses.POST, HOOK, status=500)
    tries = []
    for wait in (0, *channel.BACKOFF):
        frozen.shift(wait)
        assert attempt(delivery_id) in ("pending", "failed")
        row = shown()
        tries.append(
            (
                row.attempts,
                row.status,
                row.next_attempt_at and int((row.next_attempt_at - dt.datetime.now(dt.UTC)).total_seconds()),
            )
        )
    assert tries[0] == (1, "pending", 5)
    assert tries[1] == (2, "pending", 300)
    assert tries[2] == (3, "pending", 1800)
    assert [t[2] for t in tries[3:-1]] == [7200, 18000, 28800, 30300]
    assert tries[-1] == (8, "failed", None)
    assert sum(channel.BACKOFF) >= 24 * 3600
    row = shown()
    assert row.error.startswith("Gave up after 8 attempts: ")
    endpoint.refresh_from_db()
    assert endpoint.enabled is False  # failing for 24 hours
    assert "every delivery failed since 2026-03-06 12:00 UTC" in endpoint.disabled_reason


@responses.activate
def test_no_answer_within_the_timeout_is_retried(org, frozen):
    import requests

    endpoint = _endpoint(org)
    responses.add(responses.POST, HOOK, body=requests.ReadTimeout())
    assert attempt(_event(endpoint)) == "pending"
    assert shown().error == "No answer within 5 seconds."


def test_the_timeout_is_5_seconds(org, monkeypatch):
    seen = {}

    def post(url, *, data, headers, timeout):
        seen["timeout"] = timeout
        raise services.safe_http.UnsafeUrl("stop")

    monkeypatch.setattr(services.safe_http, "post", post)
    attempt(_event(_endpoint(org)))
    assert seen == {"timeout": 5.0}


@responses.activate
def test_429_honours_retry_after_and_other_4xx_are_not_retried(org, frozen):
    endpoint = _endpoint(org)
    responses.add(responses.POST, HOOK, status=429, headers={"Retry-After": "900"})
    assert attempt(_event(endpoint)) == "pending"
    row = shown()
    assert row.next_attempt_at == NOW + dt.timedelta(seconds=900)
    assert row.error == "The endpoint answered 429 Too Many Requests."  # the page's Next try column says when

    responses.replace(responses.POST, HOOK, status=410)
    other = _event(endpoint, "evt_2")
    assert attempt(other) == "failed"
    gone = shown(other)
    assert (gone.response_code, gone.attempts, gone.next_attempt_at) == (410, 1, None)
    assert gone.error == "The endpoint answered 410; Roster does not retry a 410."


@responses.activate
def test_an_endpoint_failing_for_24_hours_is_disabled_and_its_admins_emailed(
    org, frozen, admin_user, member_user, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(org)
    new_member(org, "left@acme.example", role=Membership.Role.ADMIN, is_active=False)
    new_member(org, "bea@acme.example", role=Membership.Role.ADMIN)
    responses.add(responses.POST, HOOK, status=500)
    attempt(_event(endpoint, "evt_a"))
    frozen.shift(23 * 3600)
    attempt(_event(endpoint, "evt_b"))
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since == NOW
    frozen.shift(3600)
    with django_capture_on_commit_callbacks(execute=True):
        attempt(_event(endpoint, "evt_c"))
    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    # One email each: no admin reads the others' addresses.
    assert sorted(m.to for m in mail.outbox) == [["admin@acme.example"], ["bea@acme.example"]]
    message = mail.outbox[0]
    assert message.subject == f"Roster disabled the webhook endpoint {HOOK}"
    assert "The endpoint answered 500" in message.body
    assert f": https://roster.example.com/settings/webhooks/{endpoint.pk}/\n" in message.body
    assert endpoint.secret not in message.body
    assert message.body.endswith("\n\nYou get this email because you are an admin of Acme in Roster.\n")
    # Nothing more is sent while disabled; enabling sends what waits.
    waiting = _event(endpoint, "evt_d")
    assert attempt(waiting) == "not_due"
    responses.replace(responses.POST, HOOK, status=200)
    services.endpoint_update(endpoint=endpoint, changes={"enabled": True})
    assert attempt(waiting) == "delivered"
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


@responses.activate
def test_a_success_resets_the_failure_clock(org, frozen):
    endpoint = _endpoint(org)
    responses.add(responses.POST, HOOK, status=500)
    responses.add(responses.POST, HOOK, status=200)
    responses.add(responses.POST, HOOK, status=500)
    attempt(_event(endpoint, "a"))
    frozen.shift(12 * 3600)
    attempt(_event(endpoint, "b"))
    frozen.shift(13 * 3600)
    attempt(_event(endpoint, "c"))
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since == NOW + dt.timedelta(hours=25)


def test_one_delivery_in_flight_per_endpoint_and_the_sweep_serves_every_endpoint(org, other_org, frozen):
    slow = _endpoint(org)
    for n in range(5):
        _event(slow, f"evt_slow_{n}")
    other = services.endpoint_create(organization=other_org, url=HOOK + "2", events=["rotation.handoff"])[0]
    other_id = _event(other, "evt_other")
    Endpoint.objects.filter(pk=slow.pk).update(busy_since=NOW)  # a worker is sending to it
    first_slow = Notification.objects.filter(target=f"endpoint:{slow.pk}").order_by("id").first().pk
    assert attempt(first_slow) == "not_due"  # not a second in flight
    assert engine.notifications_due(now=NOW) == [other_id]  # the busy endpoint waits, the other goes
    Endpoint.objects.filter(pk=slow.pk).update(busy_since=None)
    picked = engine.notifications_due(now=NOW)
    assert sorted(picked) == sorted([first_slow, other_id])  # one per endpoint, not five of one


def test_a_delivery_left_sending_by_a_dead_worker_is_tried_again(org, frozen):
    endpoint = _endpoint(org)
    delivery_id = _event(endpoint)
    Notification.objects.filter(pk=delivery_id).update(status="sending", claimed_at=NOW)
    Endpoint.objects.filter(pk=endpoint.pk).update(busy_since=NOW)
    frozen.shift(engine.STALE_SECONDS + 1)
    now = dt.datetime.now(dt.UTC)
    channel.WebhookChannel().sweep(now)
    assert engine.notifications_requeue_stuck(now=now) == 1
    assert Endpoint.objects.get().busy_since is None
    assert engine.notifications_due(now=dt.datetime.now(dt.UTC)) == [delivery_id]


def test_resend_sends_a_delivered_event_again_with_the_same_webhook_id(
    org, receiver, endpoint_and_secret, django_capture_on_commit_callbacks
):
    endpoint, secret = endpoint_and_secret
    delivery_id = _event(endpoint)
    assert attempt(delivery_id) == "delivered"
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.resend([delivery_id], actor=None)
    assert len(receiver.verified(secret)) == 2
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"] == "evt_1"
