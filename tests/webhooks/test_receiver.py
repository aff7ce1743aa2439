"""The receiver's rules, with bodies shaped like PagerDuty's documented V3 examples and signed as
PagerDuty signs them."""

import json

import pytest
import time_machine
from django.urls import reverse

from webhooks.models import Delivery, Incident, WebhookEndpoint
from webhooks.signature import header_for

from .conftest import SECRET, encode, fixture

pytestmark = pytest.mark.django_db


def test_a_signed_triggered_event_is_stored_processed_and_becomes_an_incident(deliver, webhook_secret, org):
    response = deliver(fixture("incident.triggered"), webhook_id="wh-1")

    assert response.status_code == 202
    delivery = Delivery.objects.get(organization=org)
    assert delivery.status == "processed"
    assert delivery.webhook_id == "wh-1"
    assert delivery.event_id == "01DEN0EXAMPLETRIG"
    assert delivery.event_type == "incident.triggered"
    assert delivery.headers["User-Agent"] == "PagerDuty-Webhook/V3.0"
    assert json.loads(bytes(delivery.raw_body)) == fixture("incident.triggered")
    incident = Incident.objects.get(organization=org, pagerduty_id="PGR0VU2")
    assert (incident.number, incident.title, incident.status) == (2, "A little bump in the road", "triggered")
    assert (incident.urgency, incident.priority, incident.service_name) == ("high", "P1", "API Service")
    assert incident.escalation_policy_name == "Default"
    assert incident.assignees == [{"id": "PTUXL6G", "summary": "User 123"}]


@pytest.mark.parametrize(
    "event_type",
    [
        "incident.triggered",
        "incident.acknowledged",
        "incident.resolved",
        "incident.custom_field_values.updated",
        "pagey.ping",
    ],
)
def test_every_documented_event_type_is_accepted_and_processed(deliver, webhook_secret, org, event_type):
    assert deliver(fixture(event_type)).status_code == 202
    assert Delivery.objects.get(organization=org).status == "processed"


def test_a_header_with_several_signatures_is_accepted_when_one_matches(deliver, webhook_secret, org):
    body = encode(fixture("incident.triggered"))
    header = header_for(body, ["a-rotated-out-secret", SECRET, "another-one"])
    assert deliver(body, signature=header).status_code == 202
    assert Incident.objects.filter(organization=org).count() == 1


def test_any_saved_secret_verifies_during_a_rotation(deliver, webhook_secret, org):
    from webhooks.services import webhook_secret_add

    webhook_secret_add(organization=org, secret="the-next-secret-123", label="rotation")
    assert deliver(fixture("incident.triggered"), secrets=["the-next-secret-123"]).status_code == 202
    assert deliver(fixture("incident.resolved"), secrets=[SECRET]).status_code == 202
    assert Incident.objects.get(organization=org).status == "resolved"


@pytest.mark.parametrize("header", [None, "", "v1=" + "0" * 64, "v0=abc", "v1=not-hex", "garbage"], ids=repr)
def test_a_missing_or_wrong_signature_is_refused_and_changes_nothing(deliver, webhook_secret, org, header):
    response = deliver(fixture("incident.triggered"), signature=header if header is not None else "")
    assert response.status_code == 401
    assert not Delivery.objects.filter(organization=org).exists()
    assert not Incident.objects.exists()
    endpoint = WebhookEndpoint.objects.get(organization=org)
    assert endpoint.last_rejected_at is not None


def test_a_body_signed_with_another_secret_is_refused(deliver, webhook_secret, org):
    assert deliver(fixture("incident.triggered"), secrets=["someone-elses-secret"]).status_code == 401
    assert not Incident.objects.exists()


def test_a_body_changed_after_signing_is_refused(deliver, webhook_secret):
    body = encode(fixture("incident.triggered"))
    header = header_for(body, [SECRET])
    tampered = body.replace(b"A little bump", b"A large crater")
    assert deliver(tampered, signature=header).status_code == 401
    assert not Incident.objects.exists()


def test_a_redelivery_with_the_same_webhook_id_answers_2xx_and_changes_nothing(deliver, webhook_secret, org):
    body = fixture("incident.triggered")
    assert deliver(body, webhook_id="wh-same").status_code == 202
    Incident.objects.update(title="Edited since")

    again = deliver(body, webhook_id="wh-same")

    assert again.status_code == 200
    assert Delivery.objects.filter(organization=org).count() == 1
    assert Incident.objects.get().title == "Edited since"


def test_a_redelivery_with_the_same_event_id_but_a_new_webhook_id_changes_nothing(deliver, webhook_secret, org):
    body = fixture("incident.acknowledged")
    assert deliver(body, webhook_id="wh-a").status_code == 202
    assert deliver(body, webhook_id="wh-b").status_code == 200
    assert Delivery.objects.filter(organization=org).count() == 1
    assert Incident.objects.get().events.count() == 1


def test_the_same_event_id_in_another_organization_is_not_a_duplicate(deliver, webhook_secret, org, other_org, client):
    from webhooks.services import endpoint_for, webhook_secret_add

    webhook_secret_add(organization=other_org, secret="globex-secret-value")
    other_url = reverse("webhooks:receive", args=[endpoint_for(other_org).public_id])
    body = fixture("incident.triggered")
    assert deliver(body, webhook_id="wh-1").status_code == 202
    assert deliver(body, webhook_id="wh-1", secrets=["globex-secret-value"], to=other_url).status_code == 202
    assert Incident.objects.filter(pagerduty_id="PGR0VU2").count() == 2


def test_v1_and_v2_payloads_are_refused_with_a_pointer_to_v3(deliver, webhook_secret):
    v2 = {"messages": [{"event": "incident.trigger", "incident": {"id": "PGR0VU2"}, "log_entries": []}]}
    response = deliver(v2)
    assert response.status_code == 400
    assert response.json()["message"] == "PagerDuty V1 and V2 webhooks are not supported; use V3 Generic Webhooks"
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b"[1, 2]", b'{"event": "x"}'], ids=repr)
def test_malformed_bodies_are_refused_with_400(deliver, webhook_secret, body):
    assert deliver(body).status_code == 400
    assert not Delivery.objects.exists()


def test_a_body_over_the_limit_is_refused_with_413(deliver, webhook_secret, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 2048
    body = fixture("incident.triggered", data__title="x" * 4000)
    assert deliver(body).status_code == 413
    assert not Delivery.objects.exists()


def test_the_default_limit_is_one_mebibyte(deliver, webhook_secret):
    small_enough = fixture("incident.triggered", data__title="x" * (1024 * 1024 - 4000))
    too_big = fixture("incident.triggered", data__title="x" * (1024 * 1024))
    assert deliver(small_enough).status_code == 202
    assert deliver(too_big).status_code == 413


def test_an_unknown_endpoint_id_is_a_404_that_reveals_nothing(deliver, webhook_secret):
    response = deliver(fixture("incident.triggered"), to="/webhooks/pagerduty/no-such-endpoint/")
    assert response.status_code == 404
    assert response.content == b"Not Found"
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_only_post_is_allowed(client, url, webhook_secret, method):
    assert getattr(client, method)(url).status_code == 405


def test_without_a_secret_the_delivery_is_held_and_answered_202(deliver, endpoint, org):
    response = deliver(fixture("incident.triggered"), secrets=["whatever-pagerduty-chose"])
    assert response.status_code == 202
    delivery = Delivery.objects.get(organization=org)
    assert delivery.status == "held"
    assert delivery.headers["X-PagerDuty-Signature"].startswith("v1=")
    assert not Incident.objects.exists()


def test_when_the_held_store_is_full_deliveries_are_refused_with_503_for_pagerduty_to_retry(
    deliver, endpoint, org, settings
):
    settings.WEBHOOK_MAX_HELD = 3
    for n in range(3):
        assert deliver(fixture("pagey.ping", id=f"ping-{n}")).status_code == 202
    refused = deliver(fixture("incident.triggered"), secrets=[SECRET], webhook_id="wh-late")
    assert refused.status_code == 503
    assert int(refused["Retry-After"]) > 0
    assert "retry" in refused.json()["message"]
    assert Delivery.objects.filter(organization=org).count() == 3

    # PagerDuty retries it after the admin saved the secret: it is stored and processed.
    from webhooks.services import webhook_secret_add

    webhook_secret_add(organization=org, secret=SECRET)
    assert deliver(fixture("incident.triggered"), secrets=[SECRET], webhook_id="wh-late").status_code == 202
    assert Incident.objects.get(organization=org).title == "A little bump in the road"


def test_a_held_body_is_capped_at_256_kib_by_default(deliver, endpoint, org):
    big = fixture("incident.triggered", data__title="x" * (256 * 1024))
    assert deliver(big).status_code == 413
    assert deliver(fixture("incident.triggered", data__title="x" * (250 * 1024))).status_code == 202
    assert Delivery.objects.filter(organization=org, status="held").count() == 1


def test_a_signed_body_may_be_larger_than_a_held_one(deliver, webhook_secret, org, settings):
    settings.WEBHOOK_MAX_HELD_BODY_BYTES = 1024
    assert deliver(fixture("incident.triggered", data__title="x" * 4000)).status_code == 202


def test_the_held_body_cap_follows_its_setting(deliver, endpoint, org, settings):
    settings.WEBHOOK_MAX_HELD_BODY_BYTES = 1024
    response = deliver(fixture("incident.triggered", data__title="x" * 4000))
    assert response.status_code == 413
    assert response.json()["message"] == "The body is over 1024 bytes."
    assert not Delivery.objects.exists()


NESTED = b"[" * 200_000


@pytest.mark.parametrize("body", [NESTED, b'{"event": ' + NESTED], ids=["array", "in-event"])
def test_deeply_nested_json_is_a_400_signed_or_held(deliver, endpoint, org, body):
    assert deliver(body).status_code == 400  # no secret yet: it would be held
    from webhooks.services import webhook_secret_add

    webhook_secret_add(organization=org, secret=SECRET)
    assert deliver(body).status_code == 400  # signed with the saved secret
    assert not Delivery.objects.exists()


def test_with_a_secret_an_unsigned_body_is_refused_before_it_is_read_as_json(deliver, webhook_secret, monkeypatch):
    import webhooks.intake

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed an unsigned body")

    monkeypatch.setattr(webhooks.intake.json, "loads", no_parsing)
    assert deliver(NESTED, signature="").status_code == 401
    assert deliver(b"{not json", secrets=["someone-elses-secret"]).status_code == 401


def test_refused_requests_write_to_the_database_at_most_once_a_minute(deliver, webhook_secret, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel("2026-03-01 10:00:00Z", tick=False):
        assert deliver(fixture("incident.triggered"), signature="").status_code == 401
    first = WebhookEndpoint.objects.get(organization=org)
    assert (first.last_rejected_at.isoformat(), first.last_rejected_reason) == (
        "2026-03-01T10:00:00+00:00",
        "missing signature",
    )
    with time_machine.travel("2026-03-01 10:00:59Z", tick=False), CaptureQueriesContext(connection) as queries:
        for _ in range(20):
            assert deliver(fixture("incident.triggered"), secrets=["forged-secret-1"]).status_code == 401
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert WebhookEndpoint.objects.get(organization=org).last_rejected_at == first.last_rejected_at

    with time_machine.travel("2026-03-01 10:01:01Z", tick=False):
        assert deliver(fixture("incident.triggered"), secrets=["forged-secret-1"]).status_code == 401
    later = WebhookEndpoint.objects.get(organization=org)
    assert later.last_rejected_at.isoformat() == "2026-03-01T10:01:01+00:00"
    assert later.last_rejected_reason == "the signature matched none of the saved secrets"


def test_an_unknown_event_type_is_stored_and_skipped(deliver, webhook_secret, org):
    body = fixture("service.updated")
    assert deliver(body).status_code == 202
    delivery = Delivery.objects.get(organization=org)
    assert delivery.status == "skipped"
    assert "service.updated" in delivery.error
    assert not Incident.objects.exists()


def test_a_test_ping_is_recorded_on_the_endpoint(deliver, webhook_secret, org):
    deliver(fixture("pagey.ping"))
    assert WebhookEndpoint.objects.get(organization=org).last_ping_at is not None
    assert not Incident.objects.exists()


def test_the_secret_never_reaches_the_logs(deliver, webhook_secret, captured_logs):
    deliver(fixture("incident.triggered"))
    deliver(fixture("incident.triggered"), secrets=["wrong-secret-value"])
    assert SECRET not in captured_logs.text


@pytest.mark.parametrize("secret_saved", [True, False], ids=["signed", "held"])
def test_a_delivery_the_database_could_not_store_is_answered_500_for_pagerduty_to_retry(
    client, deliver, endpoint, org, monkeypatch, secret_saved
):
    from django.db import OperationalError

    import webhooks.intake
    from webhooks.services import webhook_secret_add

    if secret_saved:
        webhook_secret_add(organization=org, secret=SECRET)

    def database_down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(webhooks.intake, "insert_delivery", database_down)  # the one path for signed and held
    client.raise_request_exception = False
    assert deliver(fixture("incident.triggered")).status_code == 500
    assert not Delivery.objects.exists()


def test_a_delivery_read_as_unsigned_just_as_a_secret_is_saved_is_not_held_but_retried(
    deliver, endpoint, org, monkeypatch
):
    import webhooks.intake
    from webhooks import selectors
    from webhooks.services import webhook_secret_add

    stale = selectors.receiving_endpoint(endpoint.public_id)  # read before the secret existed
    webhook_secret_add(organization=org, secret=SECRET)
    monkeypatch.setattr(webhooks.intake, "receiving_endpoint", lambda public_id: stale)
    response = deliver(fixture("incident.triggered"))
    assert response.status_code == 503 and response["Retry-After"]
    assert not Delivery.objects.exists()

    monkeypatch.undo()
    assert deliver(fixture("incident.triggered")).status_code == 202  # PagerDuty's retry
    assert Delivery.objects.get().status == "processed"
