"""Django admin: deliveries with their result and a reprocess action, incidents with timelines."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from webhooks.models import Delivery, Incident

from .conftest import SECRET, fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, db):
    user = User.objects.create_superuser(email="support@roster.example", password="x-support-password")
    client.force_login(user)
    return client


def test_support_sees_deliveries_with_their_result(staff_client, deliver, webhook_secret):
    deliver(fixture("incident.triggered"))
    deliver(fixture("service.updated"))
    page = staff_client.get(reverse("admin:webhooks_delivery_changelist")).content.decode()
    assert "incident.triggered" in page and "Processed" in page
    assert "Roster does not use service.updated events" in page
    detail = staff_client.get(reverse("admin:webhooks_delivery_change", args=[Delivery.objects.first().pk]))
    assert detail.status_code == 200
    assert SECRET not in detail.content.decode()


def test_reprocess_queues_deliveries_again_without_applying_twice(
    staff_client, deliver, webhook_secret, django_capture_on_commit_callbacks
):
    deliver(fixture("incident.triggered"))
    deliver(fixture("incident.resolved"))
    Incident.objects.update(status="triggered", state_as_of=None)  # as if the resolve had been lost
    Delivery.objects.filter(event_type="incident.resolved").update(status="failed", error="boom")
    Incident.objects.get().events.filter(event_type="incident.resolved").delete()

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:webhooks_delivery_changelist"),
            {"action": "reprocess", "_selected_action": list(Delivery.objects.values_list("pk", flat=True))},
            follow=True,
        )

    assert "Queued 2 deliveries for processing." in response.content.decode()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"processed"}
    incident = Incident.objects.get()
    assert incident.status == "resolved"
    assert incident.events.count() == 2


def test_reprocess_leaves_held_deliveries_alone(staff_client, deliver, endpoint, django_capture_on_commit_callbacks):
    deliver(fixture("incident.triggered"))
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:webhooks_delivery_changelist"),
            {"action": "reprocess", "_selected_action": list(Delivery.objects.values_list("pk", flat=True))},
        )
    assert Delivery.objects.get().status == "held"
    assert not Incident.objects.exists()


def test_support_sees_an_incident_with_its_timeline(staff_client, deliver, webhook_secret):
    deliver(fixture("incident.triggered"))
    deliver(fixture("incident.acknowledged"))
    page = staff_client.get(
        reverse("admin:webhooks_incident_change", args=[Incident.objects.get().pk])
    ).content.decode()
    assert "Timeline" in page
    assert "incident.triggered: triggered" in page and "incident.acknowledged: acknowledged" in page


def test_the_organization_admin_shows_secrets_by_last_4_only(staff_client, org, webhook_secret):
    page = staff_client.get(reverse("admin:accounts_organization_change", args=[org.pk])).content.decode()
    assert "7Qz9" in page
    assert SECRET not in page


def test_the_deliveries_list_counts_the_run_that_processed_a_delivery(staff_client, deliver, webhook_secret):
    deliver(fixture("incident.triggered"))
    page = staff_client.get(reverse("admin:webhooks_delivery_changelist")).content.decode()
    assert 'class="column-tries"' in page
    assert '<td class="field-tries">1</td>' in page  # processed at the first try: 1 attempt, not 0
    Delivery.objects.update(status=Delivery.Status.FAILED, attempts=2, error="boom")
    page = staff_client.get(reverse("admin:webhooks_delivery_changelist")).content.decode()
    assert '<td class="field-tries">2</td>' in page  # two failed runs, still waiting
    Delivery.objects.update(status=Delivery.Status.PROCESSED, error="")
    page = staff_client.get(reverse("admin:webhooks_delivery_changelist")).content.decode()
    assert '<td class="field-tries">3</td>' in page  # two failed runs, then the one that worked


def test_the_deliveries_list_filters_by_organization_and_shortens_errors(staff_client, org, other_org):
    from django.utils import timezone

    for organization in (org, other_org):
        Delivery.objects.create(
            organization=organization,
            raw_body=b"{}",
            event_type=f"incident.{organization.slug}",
            status=Delivery.Status.FAILED,
            error="x" * 300,
            received_at=timezone.now(),
        )
    url = reverse("admin:webhooks_delivery_changelist")
    page = staff_client.get(url).content.decode()
    assert "By organization" in page
    assert "x" * 59 + "…" in page and "x" * 61 not in page  # the whole error is on the delivery's page
    page = staff_client.get(url, {"organization__id__exact": other_org.pk}).content.decode()
    rows = page[page.index('id="result_list"') : page.index("</table>", page.index('id="result_list"'))]
    assert f'<td class="field-event_type">incident.{other_org.slug}</td>' in rows
    assert f"incident.{org.slug}" not in rows


def test_admin_names_its_models_in_words(staff_client):
    page = staff_client.get(reverse("admin:index")).content.decode()
    for name in ("PagerDuty users (cached)", "Webhook deliveries", "API tokens", "Schedule sync runs"):
        assert name in page
    assert "Pager duty" not in page and "Api token" not in page


def test_the_incident_list_shows_the_newest_first_and_stubs_without_a_creation_time_last(staff_client, org):
    """On PostgreSQL a plain descending order (the model's) puts NULLs first: the admin orders its own."""
    now = timezone.now()
    older = Incident.objects.create(
        organization=org, pagerduty_id="P0OLDER", pagerduty_created_at=now - timedelta(days=2)
    )
    stub = Incident.objects.create(organization=org, pagerduty_id="P0STUB")
    newer = Incident.objects.create(
        organization=org, pagerduty_id="P0NEWER", pagerduty_created_at=now - timedelta(days=1)
    )
    older_stub = Incident.objects.create(organization=org, pagerduty_id="P0OLDSTUB")
    Incident.objects.filter(pk=older_stub.pk).update(first_seen_at=now - timedelta(days=3))

    listing = staff_client.get(reverse("admin:webhooks_incident_changelist"))

    assert [i.pagerduty_id for i in listing.context["cl"].result_list] == [
        newer.pagerduty_id,
        older.pagerduty_id,
        stub.pagerduty_id,
        older_stub.pagerduty_id,
    ]
