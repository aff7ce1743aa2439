"""The Incidents pages: list with filters, detail with the event timeline."""

from datetime import UTC, datetime

import pytest

from tests.conftest import bearer
from webhooks.models import Incident

from .conftest import fixture, incidents_received

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_incidents(deliver, webhook_secret):
    deliver(fixture("incident.triggered"))
    deliver(fixture("incident.resolved"))
    deliver(fixture("incident.acknowledged"))  # late: not applied
    deliver(
        fixture(
            "incident.triggered",
            id="ev-other",
            data__id="POTHER1",
            data__number=3,
            data__title="Billing is slow",
            data__service={"id": "PSVC2", "summary": "Billing"},
        )
    )


def test_the_nav_links_to_incidents(member_client):
    assert (
        '<a href="/incidents/" aria-current="page">Incidents</a>' in member_client.get("/incidents/").content.decode()
    )


def test_the_list_shows_every_column_and_filters_by_status_and_service(member_client, two_incidents):
    page = member_client.get("/incidents/").content.decode()
    for text in ("A little bump in the road", "Billing is slow", "high", "P1", "API Service", "Default", "User 123"):
        assert text in page
    assert 'href="https://acme.pagerduty.com/incidents/PGR0VU2"' in page

    resolved = member_client.get("/incidents/?status=resolved").content.decode()
    assert "A little bump in the road" in resolved and "Billing is slow" not in resolved
    billing = member_client.get("/incidents/?service=PSVC2").content.decode()
    assert "Billing is slow" in billing and "A little bump in the road" not in billing
    assert '<option value="PSVC2" selected>Billing</option>' in billing


def test_the_detail_page_shows_the_timeline_and_marks_late_events(member_client, two_incidents):
    page = member_client.get("/incidents/PGR0VU2/").content.decode()
    assert 'data-testid="incident-status">resolved<' in page
    timeline = page[page.index('data-testid="timeline"') :]
    assert (
        timeline.index("incident.triggered")
        < timeline.index("incident.acknowledged")
        < timeline.index("incident.resolved")
    )
    assert "(arrived after a newer event; not applied)" in timeline


def test_custom_fields_show_on_both_pages(member_client, deliver, webhook_secret):
    deliver(fixture("incident.custom_field_values.updated"))
    assert "environment: production; region: US" in member_client.get("/incidents/").content.decode()
    detail = member_client.get("/incidents/PBAZLIU/").content.decode()
    assert "Known only by reference so far" in detail


def test_another_organizations_incident_is_a_404(outsider_client, two_incidents):
    assert outsider_client.get("/incidents/PGR0VU2/").status_code == 404
    assert "A little bump" not in outsider_client.get("/incidents/").content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    assert client.get("/incidents/").status_code == 302


def test_an_odd_incident_id_still_renders_every_page(admin_client, deliver, webhook_secret):
    deliver(fixture("incident.triggered", data__id="P/ODD 1?"))
    assert admin_client.get("/settings/integrations/").status_code == 200
    assert 'href="/incidents/P/ODD%201%3F/"' in admin_client.get("/incidents/").content.decode()
    assert "A little bump in the road" in admin_client.get("/incidents/P/ODD%201%3F/").content.decode()


def test_an_incident_id_with_a_line_break_is_not_stored_so_the_incidents_list_still_renders(
    member_client, deliver, webhook_secret
):
    deliver(fixture("incident.triggered", data__id="PGR0VU2\nX"))
    response = member_client.get("/incidents/")
    assert response.status_code == 200
    assert not Incident.objects.exists()


def test_older_incidents_are_a_page_away_with_the_filters_kept(member_client, org):
    incidents_received(org, 260)
    first = member_client.get("/incidents/?status=resolved").content.decode()
    assert "Incident number 0259" in first and "Incident number 0000" not in first
    assert 'href="?status=resolved&amp;page=2"' in first
    last = member_client.get("/incidents/?status=resolved&page=6").content.decode()
    assert "Incident number 0000" in last and "Incident number 0259" not in last
    assert "Page 6 of 6" in last


def test_custom_fields_without_a_value_or_with_several_read_as_words_not_python(member_client, deliver, webhook_secret):
    field = {"data_type": "string", "field_type": "single_value", "id": "PF1", "type": "field_value"}
    values = [
        {**field, "name": "region", "value": None},
        {**field, "name": "zones", "field_type": "multi_value", "value": ["eu-west-1", "us-east-1"]},
        {**field, "name": "customer_facing", "data_type": "boolean", "value": True},
    ]
    deliver(
        fixture("incident.custom_field_values.updated", data__custom_fields=values, data__changed_custom_fields=values)
    )
    shown = "region: —; zones: eu-west-1, us-east-1; customer_facing: yes"
    assert shown in member_client.get("/incidents/").content.decode()
    detail = member_client.get("/incidents/PBAZLIU/").content.decode()
    assert shown in detail
    assert "region = —, zones = eu-west-1, us-east-1, customer_facing = yes" in detail
    assert "None" not in detail and "[" not in detail and "True" not in detail


def test_an_incident_resolved_by_a_merge_says_which_incident_it_was_merged_into(member_client, deliver, webhook_secret):
    merged_into = {"id": "PMAIN01", "type": "incident_reference", "summary": "Database is down"}
    deliver(
        fixture("incident.resolved", data__resolve_reason={"type": "merge_resolve_reason", "incident": merged_into})
    )
    detail = member_client.get("/incidents/PGR0VU2/").content.decode()
    assert "<dt>Resolve reason</dt><dd>Merged into Database is down</dd>" in detail


def test_a_status_filter_roster_does_not_know_is_named_and_every_incident_shown(member_client, two_incidents):
    page = member_client.get("/incidents/?status=bogus").content.decode()
    assert (
        "“bogus” is not an incident status Roster knows (triggered, acknowledged, resolved), "
        "so incidents of any status are shown."
    ) in page
    assert "A little bump in the road" in page and "Billing is slow" in page
    assert '<option value="">Any</option>' in page


def test_the_list_says_when_each_incident_was_created_as_the_api_does(member_client, two_incidents):
    page = member_client.get("/incidents/").content.decode()
    assert '<time datetime="2020-04-09T15:16:27+00:00">2020-04-09 15:16 UTC</time>' in page


def test_an_incident_known_only_from_a_custom_field_event_comes_after_dated_ones_on_page_and_api(
    member_client, client, org
):
    Incident.objects.create(organization=org, pagerduty_id="PSTUB01", title="Stub incident")
    Incident.objects.create(
        organization=org,
        pagerduty_id="PDATED1",
        title="Dated incident",
        pagerduty_created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    page = member_client.get("/incidents/").content.decode()
    assert page.index("Dated incident") < page.index("Stub incident")
    listed = client.get("/api/incidents/", **bearer(org, "read")).json()["incidents"]
    assert [i["id"] for i in listed] == ["PDATED1", "PSTUB01"]


def test_a_service_filter_roster_has_no_incidents_from_is_named_and_every_incident_shown(member_client, two_incidents):
    page = member_client.get("/incidents/?service=PUNKNOWN").content.decode()
    assert "“PUNKNOWN” is not a service Roster has incidents from, so incidents of any service are shown." in page
    assert "A little bump in the road" in page and "Billing is slow" in page
    assert 'aria-describedby="f-service-error"' in page
    assert "No incidents match." not in page
