"""A known secret never appears in a page, the admin, a JSON answer or a log line — and is
encrypted in the database."""

import json

import pytest
import responses
from django.db import connection as db_connection

from integrations.pagerduty.models import PagerDutyConnection
from integrations.pagerduty.tasks import validate_connection
from tests import pd_mocks
from tests.conftest import assert_no_page_shows

SECRET = "u+SeCrEtKeyNeverShown7qZ9"

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(admin_client, org, rsps):
    pd_mocks.mock_valid_user_key(rsps)
    admin_client.post("/settings/integrations/pagerduty/connect/", {"api_key": SECRET, "region": "us"})
    return PagerDutyConnection.objects.get(organization=org)


def test_the_key_is_encrypted_at_rest(connected):
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM pagerduty_pagerdutyconnection WHERE id = %s", [connected.pk])
        (raw_column,) = cursor.fetchone()
    assert SECRET not in raw_column
    assert SECRET[-8:] not in raw_column
    assert raw_column.startswith("gAAAA")  # a Fernet token
    assert PagerDutyConnection.objects.get(pk=connected.pk).api_key == SECRET


def test_no_page_shows_the_key(staff_client, connected, org):
    pages = [
        "/settings/integrations/",
        "/settings/integrations/?dialog=pagerduty-rotate",
        "/settings/integrations/?dialog=pagerduty-disconnect",
        "/admin/",
        f"/admin/accounts/organization/{org.pk}/change/",
        "/admin/accounts/organization/?q=acme",
        "/admin/pagerduty/pagerdutyconnection/",
        f"/admin/pagerduty/pagerdutyconnection/{connected.pk}/change/",
        "/admin/accounts/auditevent/",
    ]
    assert_no_page_shows(staff_client, pages, [SECRET])


def test_support_staff_see_connection_health_in_the_admin(staff_client, connected, org):
    listing = staff_client.get("/admin/accounts/organization/?q=Acme").content.decode()
    assert f"/admin/accounts/organization/{org.pk}/change/" in listing
    page = staff_client.get(f"/admin/accounts/organization/{org.pk}/change/").content.decode()
    assert "PagerDuty connection health" in page
    assert "Earline Greenholt" in page
    assert "Audit trail (integrations, members)" in page
    assert "Connected with a REST API key ending in" in page


def test_a_failed_rotation_does_not_echo_the_key(admin_client, connected, rsps):
    rsps.replace(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.UNAUTHORIZED_BODY, status=401)
    new_secret = "u+AnotherSecret0000abcd"
    page = admin_client.post(
        "/settings/integrations/pagerduty/rotate-key/", {"api_key": new_secret, "region": "us"}
    ).content.decode()
    assert "Unauthorized" in page
    assert new_secret not in page
    assert SECRET not in page


def test_no_json_answer_shows_the_key(client, token_auth, connected, rsps):
    auth = {**token_auth, "content_type": "application/json"}
    bodies = [client.get("/api/integrations/pagerduty/", **auth).content.decode()]
    rsps.replace(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.UNAUTHORIZED_BODY, status=401)
    bodies.append(
        client.patch("/api/integrations/pagerduty/", data=json.dumps({"token": SECRET + "x"}), **auth).content.decode()
    )
    for body in bodies:
        assert SECRET not in body


def test_no_log_line_shows_the_key(captured_logs, admin_client, org, rsps):
    pd_mocks.mock_valid_user_key(rsps)
    admin_client.post("/settings/integrations/pagerduty/connect/", {"api_key": SECRET, "region": "us"})
    connection = PagerDutyConnection.objects.get(organization=org)
    rsps.replace(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.UNAUTHORIZED_BODY, status=401)
    validate_connection.delay(connection.pk)
    admin_client.post("/settings/integrations/pagerduty/refresh/")
    assert captured_logs.records, "expected some log lines to scan"
    for record in captured_logs.records:
        assert SECRET not in record.getMessage()
    assert SECRET not in captured_logs.text


def test_support_staff_cannot_bypass_disconnect_by_deleting_the_row_in_admin(staff_client, connected):
    response = staff_client.post(f"/admin/pagerduty/pagerdutyconnection/{connected.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert PagerDutyConnection.objects.filter(pk=connected.pk).exists()
