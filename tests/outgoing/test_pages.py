"""Settings → Webhooks, server-rendered: admins only; errors beside the field; the secret once;
disable, enable, delete (confirmed), resend."""

import pytest

from accounts.models import AuditEvent
from notifications.models import Notification
from outgoing import services
from outgoing.models import Endpoint
from tests.rotations.test_pages import confirm_refused

pytestmark = pytest.mark.django_db

URL = "https://93.184.216.34/hook"


def test_members_cannot_open_the_page(member_client):
    assert member_client.get("/settings/webhooks/").status_code == 403


def test_an_unsafe_url_is_shown_beside_the_field_with_the_dialog_open(admin_client):
    response = admin_client.post(
        "/settings/webhooks/", {"url": "https://[::ffff:127.0.0.1]/", "events": ["rotation.handoff"]}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert (
        'id="id_url_error">::ffff:127.0.0.1 is a loopback address (this server itself); Roster does not send webhooks there.'
        in page
    )
    assert "<dialog" in page and " open" in page.split("<dialog", 1)[1].split(">", 1)[0]
    assert not Endpoint.objects.exists()


def test_no_event_ticked_says_to_choose_one_beside_the_events_in_add_and_edit(admin_client, org):
    """The dialog's form is novalidate and a group of checkboxes cannot be `required`: the person who
    ticks none reads what to do, not Django's "This field is required."."""
    response = admin_client.post("/settings/webhooks/", {"url": URL})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_events_error">Choose at least one event.</span>' in page
    assert "This field is required." not in page
    assert not Endpoint.objects.exists()

    endpoint, _ = services.endpoint_create(organization=org, url=URL, events=["rotation.handoff"])
    response = admin_client.post(f"/settings/webhooks/{endpoint.pk}/edit/", {"url": URL})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_events_error">Choose at least one event.</span>' in page
    assert "This field is required." not in page
    endpoint.refresh_from_db()
    assert endpoint.events == ["rotation.handoff"]


def test_an_empty_url_says_what_to_enter(admin_client):
    page = admin_client.post("/settings/webhooks/", {"events": ["rotation.handoff"]}).content.decode()
    assert 'id="id_url_error">Enter the URL Roster should send events to.</span>' in page
    assert "This field is required." not in page


def test_the_secret_is_shown_once_after_adding(admin_client):
    response = admin_client.post(
        "/settings/webhooks/", {"url": URL, "events": ["rotation.handoff"], "description": "Status"}
    )
    endpoint = Endpoint.objects.get()
    assert response.url == f"/settings/webhooks/{endpoint.pk}/"
    first = admin_client.get(response.url).content.decode()
    assert endpoint.secret in first
    again = admin_client.get(response.url).content.decode()
    assert endpoint.secret not in again
    assert f"ends in <code>{endpoint.secret_last4}</code>" in again
    listing = admin_client.get("/settings/webhooks/").content.decode()
    assert URL in listing and endpoint.secret not in listing


def test_disable_enable_and_a_confirmed_delete(admin_client, org):
    endpoint, _ = services.endpoint_create(organization=org, url=URL, events=["rotation.handoff"])
    admin_client.post(f"/settings/webhooks/{endpoint.pk}/enabled/")
    assert "Disabled by admin@acme.example." in admin_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    admin_client.post(f"/settings/webhooks/{endpoint.pk}/enabled/", {"enabled": "on"})
    endpoint.refresh_from_db()
    assert endpoint.enabled
    confirm_refused(admin_client, f"/settings/webhooks/{endpoint.pk}/delete/", "delete-endpoint")
    assert Endpoint.objects.exists()
    response = admin_client.post(f"/settings/webhooks/{endpoint.pk}/delete/", {"confirm": "on"})
    assert response.url == "/settings/webhooks/"
    assert not Endpoint.objects.exists()
    assert AuditEvent.objects.filter(action="webhook_endpoint_delete").exists()


def test_resend_puts_a_failed_delivery_back_in_line(admin_client, org):
    endpoint, _ = services.endpoint_create(organization=org, url=URL, events=["rotation.handoff"])
    (delivery_id,) = services.events_create(
        organization_id=org.pk, endpoints=[endpoint], event_id="evt_1", event_type="webhook.test", data={}
    )
    Notification.objects.filter(pk=delivery_id).update(
        status="failed", attempts=3, last_error="The endpoint answered 410."
    )
    page = admin_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert "The endpoint answered 410." in page and "Resend" in page
    admin_client.post(f"/settings/webhooks/{endpoint.pk}/deliveries/{delivery_id}/resend/")
    row = Notification.objects.get()
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "")


def test_another_organization_s_endpoint_is_not_found(client, outsider, org):
    endpoint, _ = services.endpoint_create(organization=org, url=URL, events=["rotation.handoff"])
    client.force_login(outsider)
    assert client.get(f"/settings/webhooks/{endpoint.pk}/").status_code == 404
    assert client.post(f"/settings/webhooks/{endpoint.pk}/delete/", {"confirm": "on"}).status_code == 404
    assert Endpoint.objects.exists()


def test_a_test_event_to_a_disabled_endpoint_is_refused_with_why_instead_of_waiting_forever(admin_client, org):
    endpoint, _ = services.endpoint_create(organization=org, url=URL, events=["rotation.handoff"])
    services.endpoint_update(endpoint=endpoint, changes={"enabled": False})

    page = admin_client.post(f"/settings/webhooks/{endpoint.pk}/test/")
    api = admin_client.post(f"/api/webhook-endpoints/{endpoint.pk}/test")

    why = "The endpoint is disabled, so nothing is sent to it: enable it first, then send a test event."
    assert page.status_code == 409 and why in page.content.decode()
    assert "on its way" not in page.content.decode()
    assert api.status_code == 409 and api.json()["code"] == "endpoint_disabled" and api.json()["message"] == why
    assert not Notification.objects.exists()


def test_an_admin_changes_an_endpoint_s_events_on_its_page_and_keeps_its_secret(admin_client, org):
    endpoint, secret = services.endpoint_create(organization=org, url=URL, events=["rotation.handoff"])
    page = admin_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert f'action="/settings/webhooks/{endpoint.pk}/edit/"' in page and f'value="{URL}"' in page

    refused = admin_client.post(
        f"/settings/webhooks/{endpoint.pk}/edit/",
        {"url": URL, "events": ["rotation.handoff"], "upcoming_lead_minutes": "99999", "description": "Typed"},
    )
    assert refused.status_code == 400
    assert "The lead time is a whole number of minutes from 1 to 10080 (7 days)." in refused.content.decode()
    assert 'value="Typed"' in refused.content.decode()  # what was typed is kept, in the dialog left open

    saved = admin_client.post(
        f"/settings/webhooks/{endpoint.pk}/edit/",
        {"url": URL, "events": ["rotation.handoff", "cover_request.created"], "upcoming_lead_minutes": "30"},
        follow=True,
    )
    assert "The endpoint is saved." in saved.content.decode()
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.upcoming_lead_minutes, endpoint.secret) == (
        ["rotation.handoff", "cover_request.created"],
        30,
        secret,
    )


def test_resend_to_a_disabled_endpoint_says_it_waits_for_the_endpoint_to_be_enabled(admin_client, org):
    endpoint, _ = services.endpoint_create(organization=org, url=URL, events=["rotation.handoff"])
    (delivery_id,) = services.events_create(
        organization_id=org.pk, endpoints=[endpoint], event_id="evt_1", event_type="webhook.test", data={}
    )
    Notification.objects.filter(pk=delivery_id).update(status="failed", last_error="The endpoint answered 500.")
    services.endpoint_update(endpoint=endpoint, changes={"enabled": False})

    page = admin_client.post(
        f"/settings/webhooks/{endpoint.pk}/deliveries/{delivery_id}/resend/", follow=True
    ).content.decode()

    assert "webhook.test evt_1 is sent again once you enable the endpoint." in page
    assert "is being sent again" not in page


def test_the_delivery_log_and_the_list_say_which_time_zone_their_times_are_in(admin_client, org):
    endpoint, _ = services.endpoint_create(organization=org, url=URL, events=["rotation.handoff"])
    services.events_create(
        organization_id=org.pk, endpoints=[endpoint], event_id="evt_1", event_type="webhook.test", data={}
    )
    Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=Notification.objects.get().created_at)
    Notification.objects.update(attempts=1)

    log = admin_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    listing = admin_client.get("/settings/webhooks/").content.decode()

    created = Notification.objects.get().created_at
    assert f"<small>{created:%Y-%m-%d %H:%M:%S} UTC</small>" in log
    assert f'<td data-label="Next try">{Notification.objects.get().next_attempt_at:%Y-%m-%d %H:%M:%S} UTC</td>' in log
    assert f"failing since {created:%Y-%m-%d %H:%M} UTC" in listing
