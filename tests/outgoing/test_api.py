"""The JSON API: admins manage endpoints; the secret is shown once; every change is audited."""

import pytest

from accounts.models import AuditEvent
from notifications.models import Notification
from outgoing.models import Endpoint

pytestmark = pytest.mark.django_db


def create(client, **body):
    body = {"url": "https://93.184.216.34/hook", "events": ["rotation.handoff"], **body}
    return client.post("/api/webhook-endpoints", body, content_type="application/json")


def test_an_admin_creates_an_endpoint_and_sees_its_secret_this_once(admin_client):
    response = create(admin_client, description="Status page")
    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["secretLast4"] == body["secret"][-4:]
    assert (body["url"], body["events"], body["description"], body["enabled"]) == (
        "https://93.184.216.34/hook",
        ["rotation.handoff"],
        "Status page",
        True,
    )
    listed = admin_client.get("/api/webhook-endpoints").json()["endpoints"]
    assert [e["id"] for e in listed] == [body["id"]]
    one = admin_client.get(f"/api/webhook-endpoints/{body['id']}")
    assert "secret" not in one.json()
    assert body["secret"] not in one.content.decode()
    assert Endpoint.objects.get().secret == body["secret"]  # stored (encrypted) for signing
    audit = AuditEvent.objects.get(action="webhook_endpoint_create")
    assert body["secret"] not in audit.summary and body["secretLast4"] in audit.summary


def test_patch_changes_fields_and_delete_removes_it(admin_client):
    endpoint_id = create(admin_client).json()["id"]
    response = admin_client.patch(
        f"/api/webhook-endpoints/{endpoint_id}",
        {"events": ["incident.updated", "rotation.handoff"], "enabled": False, "description": "x"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["events"] == ["rotation.handoff", "incident.updated"]
    assert body["enabled"] is False and body["disabledReason"] == "Disabled by admin@acme.example."
    bad = admin_client.patch(
        f"/api/webhook-endpoints/{endpoint_id}", {"url": "https://10.0.0.1/"}, content_type="application/json"
    )
    assert (bad.status_code, bad.json()["code"]) == (409, "unsafe_url")
    unknown = admin_client.patch(
        f"/api/webhook-endpoints/{endpoint_id}", {"secret": "x"}, content_type="application/json"
    )
    assert unknown.status_code == 400
    assert admin_client.delete(f"/api/webhook-endpoints/{endpoint_id}").status_code == 204
    assert not Endpoint.objects.exists()
    assert AuditEvent.objects.filter(action="webhook_endpoint_delete").count() == 1


def test_events_must_be_known(admin_client):
    response = create(admin_client, events=["rotation.everything"])
    assert response.status_code == 400
    assert response.json()["errors"]["events"] == [
        "Unknown event 'rotation.everything': choose from rotation.handoff, rotation.upcoming, rotation.shift_changed, "
        "incident.updated, cover_request.created, cover_request.taken, cover_request.cancelled, cover_request.expired."
    ]
    assert create(admin_client, events=[]).json()["errors"]["events"] == ["Choose at least one event."]


def test_members_and_other_organizations_cannot_see_or_touch_endpoints(admin_client, client, member_user, outsider):
    endpoint_id = create(admin_client).json()["id"]
    client.force_login(member_user)
    assert client.get("/api/webhook-endpoints").status_code == 403
    client.force_login(outsider)
    assert client.get("/api/webhook-endpoints").json() == {"endpoints": []}
    assert client.get(f"/api/webhook-endpoints/{endpoint_id}").status_code == 404
    assert client.delete(f"/api/webhook-endpoints/{endpoint_id}").status_code == 404
    assert client.post(f"/api/webhook-endpoints/{endpoint_id}/test").status_code == 404
    assert Endpoint.objects.count() == 1


def test_send_test_event_is_signed_and_logged(admin_client, receiver, django_capture_on_commit_callbacks):
    created = create(admin_client, url=receiver.url).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/api/webhook-endpoints/{created['id']}/test")
    assert response.status_code == 202
    (body,) = receiver.verified(created["secret"])
    assert body["type"] == "webhook.test"
    deliveries = admin_client.get(f"/api/webhook-endpoints/{created['id']}/deliveries").json()["deliveries"]
    assert [(d["eventType"], d["status"], d["responseCode"]) for d in deliveries] == [
        ("webhook.test", "delivered", 204)
    ]
    assert deliveries[0]["latencyMs"] is not None
    assert Notification.objects.get().payload["eventId"] == receiver.received[0].headers["webhook-id"]


def test_the_upcoming_lead_time_is_minutes_from_1_to_a_week(admin_client):
    refused = create(admin_client, events=["rotation.upcoming"], upcomingLeadMinutes=0)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "upcomingLeadMinutes": ["The lead time is a whole number of minutes from 1 to 10080 (7 days)."]
    }
    created = create(admin_client, events=["rotation.upcoming"]).json()
    assert created["upcomingLeadMinutes"] == 60
    changed = admin_client.patch(
        f"/api/webhook-endpoints/{created['id']}", {"upcomingLeadMinutes": 90}, content_type="application/json"
    )
    assert changed.json()["upcomingLeadMinutes"] == 90


def test_a_script_resends_a_failed_delivery_as_the_page_does(admin_client, client, outsider):
    created = create(admin_client).json()
    test_event = admin_client.post(f"/api/webhook-endpoints/{created['id']}/test").json()
    Notification.objects.filter(pk=test_event["id"]).update(
        status="failed", attempts=8, last_error="The endpoint answered 500."
    )
    url = f"/api/webhook-endpoints/{created['id']}/deliveries/{test_event['id']}/resend"

    resent = admin_client.post(url)

    assert resent.status_code == 202
    assert (resent.json()["status"], resent.json()["attempts"], resent.json()["error"]) == ("pending", 0, None)
    Notification.objects.filter(pk=test_event["id"]).update(status="sending")
    busy = admin_client.post(url)
    assert busy.status_code == 409 and busy.json()["code"] == "sending"
    client.force_login(outsider)
    assert client.post(url).status_code == 404


def test_an_endpoint_with_a_long_url_is_saved_and_its_audit_line_fits_the_trail(admin_client):
    """A URL may hold 2,000 characters, an audit summary 300: the line is shortened, never refused (on
    PostgreSQL a longer value would fail the whole request)."""
    url = "https://93.184.216.34/hook?" + "k=" + "v" * 1900
    response = create(admin_client, url=url)
    assert response.status_code == 201
    audit = AuditEvent.objects.get(action="webhook_endpoint_create")
    assert len(audit.summary) == 300 and audit.summary.startswith("Added webhook endpoint https://93.184.216.34/hook?")
    assert audit.summary.endswith("…")
