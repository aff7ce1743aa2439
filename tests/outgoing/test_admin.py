"""Django admin for support staff: endpoints and deliveries listed and filtered, the signing secret
never shown (only its last 4 characters), Resend and enable/disable through the audited services."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from notifications import tasks
from notifications.models import Notification
from outgoing import services
from outgoing.models import Endpoint

pytestmark = pytest.mark.django_db

URL = "https://93.184.216.34/hook"


@pytest.fixture
def hooks(org, other_org):
    """Acme's endpoint with a failed delivery and Globex's with a delivered one."""
    acme, acme_secret = services.endpoint_create(organization=org, url=URL, events=["incident.updated"])
    globex, globex_secret = services.endpoint_create(
        organization=other_org, url="https://93.184.216.35/globex", events=["rotation.handoff"]
    )
    (failed,) = services.events_create(
        organization_id=org.pk, endpoints=[acme], event_id="evt_incident_1", event_type="incident.updated", data={}
    )
    Notification.objects.filter(pk=failed).update(
        status="failed", attempts=3, last_error="The endpoint answered 410.", response_body='{"gone": "since-2026"}'
    )
    (done,) = services.events_create(
        organization_id=other_org.pk,
        endpoints=[globex],
        event_id="evt_handoff_1",
        event_type="rotation.handoff",
        data={"n": 2},
    )
    Notification.objects.filter(pk=done).update(status="sent", response_code=200)
    return {"acme": acme, "globex": globex, "secrets": (acme_secret, globex_secret), "failed": failed}


def _rows(page: str) -> str:
    start = page.index('id="result_list"')
    return page[start : page.index("</table>", start)]


def test_staff_see_endpoints_and_deliveries_and_never_a_secret(staff_client, hooks):
    pages = [
        staff_client.get(reverse("admin:outgoing_endpoint_changelist")),
        staff_client.get(reverse("admin:outgoing_endpoint_changelist"), {"q": hooks["acme"].secret_last4}),
        staff_client.get(reverse("admin:outgoing_endpoint_change", args=[hooks["acme"].pk])),
        staff_client.get(reverse("admin:notifications_notification_changelist")),
        staff_client.get(reverse("admin:notifications_notification_change", args=[hooks["failed"]])),
        staff_client.get(reverse("admin:accounts_organization_change", args=[hooks["acme"].organization_id])),
    ]
    assert [p.status_code for p in pages] == [200] * len(pages)
    html = [p.content.decode() for p in pages]
    for page in html:
        for secret in hooks["secrets"]:
            assert secret not in page
            assert secret.removeprefix("whsec_")[:12] not in page
    assert URL in _rows(html[0]) and "https://93.184.216.35/globex" in _rows(html[0])
    assert f"…{hooks['acme'].secret_last4}" in html[0]
    assert URL in _rows(html[1]) and "/globex" not in _rows(html[1])
    assert f"…{hooks['acme'].secret_last4}" in html[2] and "evt_incident_1" in html[2]
    assert "The endpoint answered 410." in _rows(html[3]) and "Globex" in _rows(html[3])
    assert "rotation.handoff" in _rows(html[3])
    assert "evt_incident_1" in html[4] and "The endpoint answered 410." in html[4]
    assert "since-2026" in html[4]  # the answer's body: in Django admin only


def test_an_endpoint_s_latest_deliveries_in_django_admin_say_when_in_plain_words_with_the_zone(
    staff_client, frozen, hooks
):
    page = staff_client.get(reverse("admin:outgoing_endpoint_change", args=[hooks["acme"].pk])).content.decode()
    assert "<tr><td>2026-03-06 12:00 UTC</td><td>incident.updated</td>" in page


def test_the_answer_s_body_is_not_on_the_endpoint_s_page_nor_in_the_api(admin_client, hooks):
    page = admin_client.get(f"/settings/webhooks/{hooks['acme'].pk}/").content.decode()
    api = admin_client.get(f"/api/webhook-endpoints/{hooks['acme'].pk}/deliveries").content.decode()
    assert "evt_incident_1" in page and "evt_incident_1" in api
    assert "since-2026" not in page and "since-2026" not in api


@pytest.mark.parametrize(
    "query, shown, hidden",
    [
        ({"status__exact": "failed"}, "incident.updated", "rotation.handoff"),
        ({"kind__exact": "webhook.rotation.handoff"}, "rotation.handoff", "incident.updated"),
    ],
)
def test_deliveries_filter_by_status_and_event_type(staff_client, hooks, query, shown, hidden):
    rows = _rows(staff_client.get(reverse("admin:notifications_notification_changelist"), query).content.decode())
    assert shown in rows and hidden not in rows


def test_deliveries_filter_by_organization(staff_client, hooks, other_org):
    page = staff_client.get(
        reverse("admin:notifications_notification_changelist"), {"organization__id__exact": other_org.pk}
    ).content.decode()
    assert "By organization" in page
    assert "rotation.handoff" in _rows(page) and "incident.updated" not in _rows(page)


def test_resend_action_queues_the_delivery_once_and_is_audited(
    staff_client, hooks, monkeypatch, django_capture_on_commit_callbacks
):
    queued: list[list[int]] = []
    monkeypatch.setattr(tasks, "enqueue_deliveries", lambda ids, **kw: queued.append(list(ids)) or len(ids))
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:notifications_notification_changelist"),
            {"action": "resend", "_selected_action": [hooks["failed"]]},
            follow=True,
        )
    assert "1 notification(s) queued to be sent again." in response.content.decode()
    assert queued == [[hooks["failed"]]]
    row = Notification.objects.get(pk=hooks["failed"])
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "")
    audit = AuditEvent.objects.get(action="notification_resend")
    assert audit.actor_label == "admin@acme.example"


def test_endpoints_are_read_only_but_can_be_disabled_and_enabled(staff_client, hooks):
    acme = hooks["acme"]
    change = reverse("admin:outgoing_endpoint_change", args=[acme.pk])
    staff_client.post(change, {"url": "https://evil.example/"})
    assert Endpoint.objects.get(pk=acme.pk).url == URL
    assert staff_client.get(reverse("admin:outgoing_endpoint_add")).status_code == 403
    assert staff_client.get(reverse("admin:outgoing_endpoint_delete", args=[acme.pk])).status_code == 403

    changelist = reverse("admin:outgoing_endpoint_changelist")
    response = staff_client.post(changelist, {"action": "disable", "_selected_action": [acme.pk]}, follow=True)
    assert "1 endpoint(s) disabled." in response.content.decode()
    acme.refresh_from_db()
    assert (acme.enabled, acme.disabled_reason) == (False, "Disabled by admin@acme.example.")
    staff_client.post(changelist, {"action": "enable", "_selected_action": [acme.pk]})
    assert Endpoint.objects.get(pk=acme.pk).enabled
    assert AuditEvent.objects.filter(action="webhook_endpoint_update").count() == 2
