"""Django admin → System status: per organization, the figures /metrics adds up, with links to the rows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.pagerduty.models import PagerDutyConnection
from notifications.models import Notification
from rotations.models import SyncRun
from tests.factories import PagerDutyConnectionFactory, RotationFactory
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


def troubled(org) -> None:
    """An organization that needs attention: a lagging sync, an old webhook, a failing Slack message."""
    rotation = RotationFactory(organization=org, pagerduty_schedule_id="PLAG")
    long_ago = timezone.now() - timedelta(minutes=25)
    SyncRun.objects.create(organization=org, schedule_id="PLAG", started_at=long_ago, finished_at=long_ago, ok=True)
    Delivery.objects.create(
        organization=org, raw_body=b"{}", status="received", received_at=timezone.now() - timedelta(minutes=7)
    )
    Notification.objects.create(
        organization=org,
        rotation=rotation,
        source="handoff:1",
        source_at=timezone.now(),
        channel="slack",
        target="channel:C1",
        kind="slack.message",
        status="failed",
        last_error="Roster is not in #ops: invite @Roster to #ops.",
    )
    PagerDutyConnectionFactory(organization=org, status=PagerDutyConnection.Status.INVALID)


def test_staff_see_each_organizations_figures_and_the_troubled_first(staff_client, org, other_org):
    troubled(other_org)
    page = staff_client.get("/admin/status/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "2 organizations" in html and "1 needs attention" in html
    assert html.index(other_org.name) < html.index(f">{org.name}<")  # the troubled one first
    assert "25 min" in html  # the sync lag
    assert "(oldest 7 min)" in html
    assert "slack: 1 failed" in html and "Roster is not in #ops: invite @Roster to #ops." in html
    assert "Action needed" in html and "Not connected" in html


def test_every_link_on_the_page_opens_its_rows(staff_client, other_org):
    import re

    troubled(other_org)
    html = staff_client.get("/admin/status/").content.decode()
    links = set(re.findall(r'href="(/admin/[^"]+)"', html.replace("&amp;", "&")))
    assert any("notifications/notification/" in link for link in links)
    assert any("webhooks/delivery/" in link for link in links)
    for link in links:
        response = staff_client.get(link)
        assert response.status_code == 200, link
        assert "?e=1" not in response.get("Location", ""), link  # an admin lookup Django refused


def test_the_admin_index_links_to_it(staff_client):
    assert 'href="/admin/status/"' in staff_client.get("/admin/").content.decode()


def test_people_who_are_not_staff_are_sent_to_sign_in(admin_client, client):
    for who in (admin_client, client):
        response = who.get("/admin/status/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
