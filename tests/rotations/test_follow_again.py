"""A disconnect keeps each rotation's schedule: after reconnecting, “Follow <schedule> again” in one
click; and “Sync now” says what will really happen when PagerDuty is down or needs an admin."""

import pytest
import responses

from integrations.pagerduty.models import PagerDutyConnection
from rotations import services
from rotations.models import Rotation
from tests.conftest import bearer

from . import pd_schedules as pds

pytestmark = pytest.mark.django_db


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def bound(native):
    pds.connect(native.organization)
    Rotation.objects.filter(pk=native.pk).update(
        pagerduty_schedule_id="PI7DH85",
        pagerduty_schedule_name="Daily Engineering Rotation",
        pagerduty_schedule_kind="v2",
    )
    native.refresh_from_db()
    return native


def disconnect(client):
    response = client.post("/settings/integrations/pagerduty/disconnect/", {"confirm": "on"}, follow=True)
    return response.content.decode()


def test_a_disconnect_keeps_the_schedule_and_says_so(admin_client, bound):
    said = disconnect(admin_client)
    assert "PagerDuty disconnected; Roster deleted its credentials. 1 rotation returned to its own cadence." in said
    bound.refresh_from_db()
    assert not bound.is_bound
    assert (bound.previous_pagerduty_schedule_id, bound.previous_pagerduty_schedule_name) == (
        "PI7DH85",
        "Daily Engineering Rotation",
    )
    html = page(admin_client, f"/rotations/{bound.pk}/")
    assert "Followed the PagerDuty schedule <strong>Daily Engineering Rotation</strong> until PagerDuty" in html
    assert "Connect PagerDuty again in" in html
    assert "Follow Daily Engineering Rotation again</button>" not in html  # not until reconnected


def test_after_reconnecting_one_click_follows_the_schedule_again_and_syncs_it(
    admin_client, bound, rsps, frozen, django_capture_on_commit_callbacks
):
    disconnect(admin_client)
    pds.connect(bound.organization)
    html = page(admin_client, f"/rotations/{bound.pk}/")
    assert "Follow Daily Engineering Rotation again</button>" in html

    pds.mock_v2(rsps, "PI7DH85", pds.v2_schedule("PI7DH85", []))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/rotations/{bound.pk}/follow-again/", follow=True)
    assert "Following the PagerDuty schedule “Daily Engineering Rotation” again. A sync is running." in (
        response.content.decode()
    )
    bound.refresh_from_db()
    assert (bound.pagerduty_schedule_id, bound.pagerduty_schedule_kind, bound.last_sync_ok) == ("PI7DH85", "v2", True)
    assert bound.previous_pagerduty_schedule_id == ""
    assert 'data-testid="follow-again"' not in page(admin_client, f"/rotations/{bound.pk}/")


def test_members_see_the_previous_schedule_but_no_button(member_client, bound):
    services.rotations_unbind_all(bound.organization)
    html = page(member_client, f"/rotations/{bound.pk}/")
    assert "Followed the PagerDuty schedule" in html and "again</button>" not in html
    assert member_client.post(f"/rotations/{bound.pk}/follow-again/").status_code == 403
    bound.refresh_from_db()
    assert not bound.is_bound


def test_following_another_schedule_forgets_the_previous_one(bound):
    services.rotations_unbind_all(bound.organization)
    bound.refresh_from_db()
    services.rotation_bind(rotation=bound, schedule_id="PS1A2B3C", schedule_name="Other")
    bound.refresh_from_db()
    assert bound.previous_pagerduty_schedule_id == "" and bound.pagerduty_schedule_id == "PS1A2B3C"


def test_the_disconnect_dialog_names_at_most_ten_rotations(org, bound):
    for i in range(11):
        rotation = services.rotation_create(organization=org, name=f"R{i:02}", time_zone="UTC")
        Rotation.objects.filter(pk=rotation.pk).update(pagerduty_schedule_id="PI7DH85")
    warning = services.disconnect_warning(org)
    assert warning.startswith("“Platform”, “R00”, “R01”")
    assert "“R08” and 2 more follow PagerDuty schedules" in warning


def test_sync_now_while_pagerduty_is_down_says_it_will_retry(
    admin_client, bound, rsps, frozen, django_capture_on_commit_callbacks
):
    rsps.add(responses.GET, pds.api("/schedules/PI7DH85"), status=503, json={})
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/rotations/{bound.pk}/sync/")
    html = page(admin_client, f"/rotations/{bound.pk}/")
    assert 'data-testid="sync-retrying">Sync retrying<' in html
    assert "(HTTP 503). Roster retries automatically; showing the last known schedule." in html
    assert "Try again in a minute" not in html  # no telling the person to act while Roster retries
    card = page(admin_client, "/settings/integrations/")
    assert 'data-testid="pd-status">Degraded<' in card
    assert "Platform</a>: sync retrying — PagerDuty is having trouble" in card

    # Clicking again while PagerDuty is known to be down: queued, and says it will retry.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/rotations/{bound.pk}/sync/", follow=True)
    html = response.content.decode()
    assert "Sync queued, but PagerDuty could not be reached at the last attempt" in html
    assert "Sync requested" not in html

    # PagerDuty answers again: the sync succeeds and the card is Active again.
    rsps.replace(responses.GET, pds.api("/schedules/PI7DH85"), json=pds.v2_schedule("PI7DH85", []))
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/rotations/{bound.pk}/sync/")
    assert 'data-testid="pd-status">Active<' in page(admin_client, "/settings/integrations/")
    assert PagerDutyConnection.objects.get().last_error == ""


def test_sync_now_with_refused_credentials_asks_for_an_admin_and_queues_nothing(
    admin_client, bound, frozen, django_capture_on_commit_callbacks
):
    PagerDutyConnection.objects.update(status="invalid", last_error="Unauthorized: Invalid or expired API token.")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = admin_client.post(f"/rotations/{bound.pk}/sync/", follow=True)
    html = response.content.decode()
    assert "Not synced: PagerDuty needs an admin&#x27;s attention in Settings → Integrations" in html
    assert not queued


def test_sync_now_when_all_is_well_says_requested(admin_client, bound, frozen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = admin_client.post(f"/rotations/{bound.pk}/sync/", follow=True)
    assert "Sync requested: the schedule updates in a moment." in response.content.decode()


def test_sync_now_records_how_long_until_the_rotation_showed_pagerdutys_state(
    admin_client, bound, rsps, frozen, django_capture_on_commit_callbacks
):
    from prometheus_client import REGISTRY

    def observed() -> float:
        sample = REGISTRY.get_sample_value("roster_change_visible_seconds_count", {"source": "sync_now"})
        return sample or 0.0

    before = observed()
    pds.mock_v2(rsps, "PI7DH85", pds.v2_schedule("PI7DH85", []))
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/rotations/{bound.pk}/sync/")
    bound.refresh_from_db()
    assert bound.last_sync_ok is True
    assert observed() == before + 1
    from rotations import sync

    sync.sync_schedule(organization_id=bound.organization_id, schedule_id="PI7DH85")  # beat's: nobody waited
    assert observed() == before + 1


def test_the_api_s_sync_with_refused_credentials_says_what_the_page_says_and_queues_nothing(
    client, bound, frozen, django_capture_on_commit_callbacks
):
    auth = bearer(bound.organization, "write")
    PagerDutyConnection.objects.update(status="invalid", last_error="Unauthorized: Invalid or expired API token.")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(f"/api/rotations/{bound.pk}/sync", **auth)
    assert response.status_code == 409
    assert response.json()["code"] == "pagerduty_action_needed"
    assert response.json()["message"].startswith("Not synced: PagerDuty needs an admin's attention in Settings")
    assert not queued
    bound.refresh_from_db()
    assert bound.sync_state == Rotation.SyncState.IDLE
