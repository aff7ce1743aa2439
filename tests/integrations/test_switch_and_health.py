"""Switch to OAuth / Switch to API key replace the credentials in place (rotations keep their
schedules; another PagerDuty account is refused), and the card's one status model: Active,
Degraded (PagerDuty unreachable: Roster retries, nobody acts), Action needed (admins see the
button, members see who can fix it)."""

import pytest
import responses

from accounts.models import AuditEvent
from integrations.pagerduty.models import PagerDutyConnection
from integrations.pagerduty.selectors import connection_health
from rotations.models import Rotation
from rotations.services import rotation_create
from tests import pd_mocks
from tests.conftest import bearer, query_of
from tests.pd_oauth import ACCESS, CLIENT_ID, CLIENT_SECRET, make_oauth_connection, mock_token

pytestmark = pytest.mark.django_db

URL = "/settings/integrations/"
KEY = "u+AbCdEfGhIjKlMnOp1234"
NEW_KEY = "u+ZyXwVuTsRqPoNm9876"
CALLBACK = "/api/integrations/pagerduty/login/callback"


@pytest.fixture
def key_connection(org):
    return PagerDutyConnection.objects.create(
        organization=org, auth_type="api_key", api_key=KEY, key_last4="1234", account_subdomain="acme"
    )


@pytest.fixture
def bound_rotation(org):
    rotation = rotation_create(organization=org, name="Primary", time_zone="UTC")
    Rotation.objects.filter(pk=rotation.pk).update(pagerduty_schedule_id="PI7DH85", pagerduty_schedule_name="Primary")
    return rotation


def page(client) -> str:
    return client.get(URL).content.decode()


def switch_to_oauth(client, *, subdomain, rsps):
    response = client.post(
        f"{URL}pagerduty/switch/oauth/", {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "region": "us"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    state = query_of(response["Location"])["state"]
    mock_token(rsps)  # the id_token names acme; who authorized it comes from /users/me
    pd_mocks.mock_valid_user_key(rsps, subdomain=subdomain)
    return client.get(CALLBACK, {"code": "auth-code-1", "state": state}, follow=True).content.decode()


def test_an_api_key_connection_offers_switch_to_oauth_and_an_oauth_one_switch_to_api_key(admin_client, org):
    connection = PagerDutyConnection.objects.create(organization=org, auth_type="api_key", api_key=KEY)
    assert "Switch to OAuth</a>" in page(admin_client) and "Switch to API key</a>" not in page(admin_client)
    connection.delete()
    make_oauth_connection(org)
    assert "Switch to API key</a>" in page(admin_client) and "Switch to OAuth</a>" not in page(admin_client)


def test_members_are_offered_no_switch(member_client, key_connection):
    assert "Switch to OAuth" not in page(member_client)
    assert member_client.post(f"{URL}pagerduty/switch/oauth/", {"region": "us"}).status_code == 403


def test_switching_an_api_key_to_oauth_keeps_every_rotation_bound(
    admin_client, org, key_connection, bound_rotation, rsps
):
    html = switch_to_oauth(admin_client, subdomain="acme", rsps=rsps)
    assert "Switched to OAuth as Earline Greenholt. Rotations keep following their PagerDuty schedules" in html
    connection = PagerDutyConnection.objects.get(organization=org)
    assert (connection.pk, connection.auth_type, connection.api_key) == (key_connection.pk, "oauth", "")
    assert connection.access_token == ACCESS
    bound_rotation.refresh_from_db()
    assert bound_rotation.pagerduty_schedule_id == "PI7DH85"
    event = AuditEvent.objects.filter(organization=org, action="oauth_connect").latest("created_at")
    assert event.summary == "Switched from a REST API key to OAuth as Earline Greenholt; rotations kept"


def test_switching_to_oauth_with_another_pagerduty_account_is_refused_and_changes_nothing(
    admin_client, org, key_connection, bound_rotation, rsps
):
    html = switch_to_oauth(admin_client, subdomain="globex", rsps=rsps)
    assert "These credentials belong to the PagerDuty account globex.pagerduty.com, but Roster is connected to" in html
    assert "acme.pagerduty.com" in html and "Nothing was changed." in html
    connection = PagerDutyConnection.objects.get(organization=org)
    assert (connection.auth_type, connection.api_key, connection.access_token) == ("api_key", KEY, "")
    bound_rotation.refresh_from_db()
    assert bound_rotation.pagerduty_schedule_id == "PI7DH85"


def test_switching_oauth_to_an_api_key_keeps_rotations_and_deletes_the_tokens(admin_client, org, bound_rotation, rsps):
    oauth = make_oauth_connection(org)
    pd_mocks.mock_valid_user_key(rsps, subdomain="acme")
    html = admin_client.post(
        f"{URL}pagerduty/switch/api-key/", {"api_key": NEW_KEY, "region": "us"}, follow=True
    ).content.decode()
    assert "Switched to the REST API key ending in 9876. Rotations keep following their PagerDuty schedules" in html
    connection = PagerDutyConnection.objects.get(organization=org)
    assert (connection.pk, connection.auth_type, connection.api_key) == (oauth.pk, "api_key", NEW_KEY)
    assert connection.access_token == connection.refresh_token == connection.oauth_client_secret == ""
    bound_rotation.refresh_from_db()
    assert bound_rotation.pagerduty_schedule_id == "PI7DH85"
    assert AuditEvent.objects.filter(organization=org, action="switch_to_api_key").exists()


def test_a_key_of_another_account_is_refused_in_the_dialog_with_the_reason(admin_client, org, bound_rotation, rsps):
    make_oauth_connection(org)
    pd_mocks.mock_valid_user_key(rsps, subdomain="globex")
    response = admin_client.post(f"{URL}pagerduty/switch/api-key/", {"api_key": NEW_KEY, "region": "us"})
    html = response.content.decode()
    assert '<dialog id="pagerduty-switch-api-key" aria-labelledby="pagerduty-switch-api-key-title" open>' in html
    assert "belong to the PagerDuty account globex.pagerduty.com" in html
    assert PagerDutyConnection.objects.get(organization=org).auth_type == "oauth"


def test_rotating_a_key_to_another_account_is_refused_too(admin_client, org, key_connection, rsps):
    pd_mocks.mock_valid_user_key(rsps, subdomain="globex")
    admin_client.post(f"{URL}pagerduty/rotate-key/", {"api_key": NEW_KEY, "region": "us"})
    assert PagerDutyConnection.objects.get(organization=org).api_key == KEY


def test_a_connect_dialog_left_open_cannot_replace_the_connection_with_another_account(
    admin_client, org, bound_rotation, rsps
):
    make_oauth_connection(org)
    pd_mocks.mock_valid_user_key(rsps, subdomain="globex")
    html = admin_client.post(f"{URL}pagerduty/connect/", {"api_key": NEW_KEY, "region": "us"}).content.decode()
    assert (
        '<dialog id="pagerduty-connect-key" class="dialog" aria-labelledby="pagerduty-connect-key-title" open>' in html
    )
    assert "belong to the PagerDuty account globex.pagerduty.com" in html
    assert PagerDutyConnection.objects.get(organization=org).auth_type == "oauth"


def test_a_key_dialog_left_open_after_a_disconnect_says_pagerduty_is_not_connected(admin_client, org, rsps):
    pd_mocks.mock_valid_user_key(rsps)
    for path in ("rotate-key/", "switch/api-key/"):
        response = admin_client.post(f"{URL}pagerduty/{path}", {"api_key": NEW_KEY, "region": "us"}, follow=True)
        assert "PagerDuty is not connected for this organization." in response.content.decode()
    assert not PagerDutyConnection.objects.filter(organization=org).exists()


# --- JSON ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_auth(org, admin_user):
    """The header of an admin-scope token Acme's admin made."""
    return bearer(org, created_by=admin_user)


def test_patch_with_a_key_switches_an_oauth_connection_over_the_api(client, org, admin_auth, bound_rotation, rsps):
    make_oauth_connection(org)
    pd_mocks.mock_valid_user_key(rsps, subdomain="acme")
    response = client.patch(
        "/api/integrations/pagerduty/", {"token": NEW_KEY}, content_type="application/json", **admin_auth
    )
    assert response.status_code == 200
    assert (response.json()["authType"], response.json()["keyLast4"]) == ("api_key", "9876")
    bound_rotation.refresh_from_db()
    assert bound_rotation.is_bound


def test_post_racing_another_admins_connect_with_another_account_is_a_409(client, org, admin_auth, rsps, monkeypatch):
    from integrations.pagerduty import api

    make_oauth_connection(org)
    monkeypatch.setattr(api, "get_connection", lambda organization: None)  # checked before the other admin saved
    pd_mocks.mock_valid_user_key(rsps, subdomain="globex")
    response = client.post(
        "/api/integrations/pagerduty/", {"token": NEW_KEY}, content_type="application/json", **admin_auth
    )
    assert response.status_code == 409 and response.json()["code"] == "different_account"
    assert PagerDutyConnection.objects.get().auth_type == "oauth"


def test_patch_with_a_key_of_another_account_is_a_409(client, org, admin_auth, rsps):
    make_oauth_connection(org)
    pd_mocks.mock_valid_user_key(rsps, subdomain="globex")
    response = client.patch(
        "/api/integrations/pagerduty/", {"token": NEW_KEY}, content_type="application/json", **admin_auth
    )
    assert response.status_code == 409 and response.json()["code"] == "different_account"
    assert PagerDutyConnection.objects.get().auth_type == "oauth"


# --- Health -------------------------------------------------------------------------------------


def unreachable(connection):
    connection.last_error = "PagerDuty is having trouble (HTTP 503). Try again in a minute."
    connection.last_error_code = "pagerduty_unavailable"
    connection.save()


def test_pagerduty_unreachable_is_degraded_with_nothing_to_do(admin_client, key_connection):
    unreachable(key_connection)
    html = page(admin_client)
    assert 'data-testid="pd-status">Degraded<' in html
    assert "Roster retries automatically; nothing to do." in html
    assert "Action needed" not in html and 'data-testid="pd-health-action"' not in html


def refuse_the_key(connection, rsps):
    """PagerDuty refuses the stored key on a re-check (401): what the card then shows comes from the service."""
    from integrations.pagerduty import client as pd
    from integrations.pagerduty.services import connection_revalidate

    pd_mocks.mock_unauthorized(rsps)
    with pytest.raises(pd.Unauthorized):
        connection_revalidate(connection=connection)


def test_refused_credentials_are_action_needed_admins_get_the_button_members_the_admins_names(
    admin_client, member_user, client, org, key_connection, rsps
):
    refuse_the_key(key_connection, rsps)
    html = page(admin_client)
    assert 'data-testid="pd-status">Action needed<' in html
    assert "Action needed:</strong> Unauthorized: Invalid or expired API token." in html
    assert "Check that you pasted a REST API key" in html
    assert 'data-testid="pd-health-action"' in html and "Replace the API key</a>" in html
    client.force_login(member_user)
    html = page(client)
    assert 'data-testid="pd-status">Action needed<' in html
    assert "Only an admin can fix this: ask admin@acme.example." in html
    assert 'data-testid="pd-health-action"' not in html
    assert "Check that you pasted" not in html  # instructions only for those who can act


def test_a_long_refusal_keeps_the_admins_advice_whole_and_from_members(
    admin_client, member_user, client, key_connection, rsps
):
    from integrations.pagerduty import client as pd
    from integrations.pagerduty.credentials import UNAUTHORIZED_HELP
    from integrations.pagerduty.services import connection_revalidate

    # PagerDuty's own words for both refusals make the reason long (the card stores at most 500 characters).
    rsps.add(responses.GET, pd_mocks.api("/users/me"), json={"error": "This endpoint needs a user. " * 5}, status=400)
    rsps.add(responses.GET, pd_mocks.api("/users"), json={"error": "Access Denied for this key. " * 5}, status=403)
    with pytest.raises(pd.Unauthorized):
        connection_revalidate(connection=key_connection)
    assert UNAUTHORIZED_HELP in page(admin_client)
    client.force_login(member_user)
    html = page(client)
    assert "PagerDuty accepted this key neither as a user" in html
    assert "Check that you pasted" not in html


def test_members_see_no_instruction_to_click_what_they_cannot(member_client, org):
    make_oauth_connection(
        org,
        status="needs_reauth",
        last_refresh_error="PagerDuty refused the token refresh (invalid_grant).",
        last_error="PagerDuty refused the token refresh (invalid_grant). Click Refresh Connection to sign in again.",
    )
    html = page(member_client)
    assert "PagerDuty refused the token refresh (invalid_grant)." in html
    assert "Click Refresh Connection" not in html and "Refresh Connection</button>" not in html
    assert "Only an admin can fix this: ask admin@acme.example." in html


def test_a_later_successful_call_clears_a_transient_error(admin_client, org, key_connection, rsps):
    unreachable(key_connection)
    rsps.add(responses.GET, pd_mocks.api("/schedules"), json=pd_mocks.fixture("schedules_list.json"))
    rsps.add(responses.GET, pd_mocks.api("/v3/schedules"), status=404, json={})
    from integrations.pagerduty.services import client_for

    client_for(key_connection).list_schedules()
    key_connection.refresh_from_db()
    assert (key_connection.last_error, key_connection.last_error_code) == ("", "")
    assert 'data-testid="pd-status">Active<' in page(admin_client)


def test_a_permanent_error_is_not_cleared_by_a_later_call(org, key_connection, rsps):
    key_connection.last_error = "PagerDuty refused access: the credentials lack the permission."
    key_connection.last_error_code = "pagerduty_forbidden"
    key_connection.save()
    rsps.add(responses.GET, pd_mocks.api("/users/PXPGF42"), json=pd_mocks.fixture("user.json"))
    from integrations.pagerduty.services import client_for

    client_for(key_connection).get_user("PXPGF42")
    key_connection.refresh_from_db()
    assert key_connection.last_error_code == "pagerduty_forbidden"
    assert connection_health(key_connection).state == "action_needed"


def test_refresh_connection_while_pagerduty_is_down_says_it_will_retry(admin_client, key_connection, rsps):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=503, json={})
    html = admin_client.post(f"{URL}pagerduty/refresh/", follow=True).content.decode()
    assert "Could not check the connection: PagerDuty is having trouble (HTTP 503)" in html
    assert "Roster retries automatically." in html
    assert 'data-testid="pd-status">Degraded<' in html


def test_pagerduty_down_on_the_card_says_nothing_to_do_and_no_try_again(admin_client, key_connection, rsps):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=503, json={})
    flash = admin_client.post(f"{URL}pagerduty/refresh/", follow=True).content.decode()
    assert "PagerDuty is having trouble (HTTP 503). Try again in a minute." in flash  # said at once to who clicked
    html = page(admin_client)
    assert (
        "Degraded:</strong> PagerDuty is having trouble (HTTP 503). Roster retries automatically; nothing to do."
        in html
    )
    assert "Try again in a minute" not in html


def test_a_refused_key_in_the_json_status_the_reason_apart_from_the_admins_advice(
    client, org, admin_auth, key_connection, rsps
):
    from integrations.pagerduty.credentials import UNAUTHORIZED_HELP

    refuse_the_key(key_connection, rsps)
    data = client.get("/api/integrations/pagerduty/", **admin_auth).json()
    assert data["status"] == "invalid"
    assert data["lastError"] == f"Unauthorized: Invalid or expired API token. {UNAUTHORIZED_HELP}"
    assert data["health"]["message"] == "Unauthorized: Invalid or expired API token."
    assert data["health"]["help"] == UNAUTHORIZED_HELP


def test_the_json_status_carries_the_same_health(client, org, admin_auth, key_connection, admin_user):
    key_connection.status = "invalid"
    key_connection.last_error = "Unauthorized: Invalid or expired API token."
    key_connection.save()
    health = client.get("/api/integrations/pagerduty/", **admin_auth).json()["health"]
    assert health["state"] == "action_needed" and health["label"] == "Action needed"
    assert health["action"] == "Replace the API key" and health["fixers"] == ["admin@acme.example"]


def test_the_django_admin_shows_the_health(client, key_connection, django_user_model):
    unreachable(key_connection)
    staff = django_user_model.objects.create_superuser(email="staff@roster.example", password="x-very-long-pass-1")
    client.force_login(staff)
    html = client.get("/admin/pagerduty/pagerdutyconnection/").content.decode()
    assert "Degraded — PagerDuty is having trouble (HTTP 503)." in html


def test_an_outage_during_refresh_keeps_the_reason_a_refused_key_gives(admin_client, key_connection, rsps):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=401, json={})
    admin_client.post(f"{URL}pagerduty/refresh/")
    rsps.replace(responses.GET, pd_mocks.api("/users/me"), status=503, json={})
    html = admin_client.post(f"{URL}pagerduty/refresh/", follow=True).content.decode()
    assert "Could not check the connection: PagerDuty is having trouble (HTTP 503)" in html  # the flash
    assert "Roster retries automatically" not in html  # it re-checks only a key it still accepts
    assert 'data-testid="pd-status">Action needed<' in html
    assert "Action needed:</strong> Unauthorized: Invalid or expired API token" in html
    assert "Degraded:" not in html


def test_a_rate_limit_on_the_card_gives_no_countdown_that_goes_stale(admin_client, key_connection, rsps, settings):
    settings.PAGERDUTY_MAX_RETRY_WAIT = 5
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=429, json={}, headers={"ratelimit-reset": "42"})
    flash = admin_client.post(f"{URL}pagerduty/refresh/", follow=True).content.decode()
    assert "Try again in 42 seconds." in flash  # said at once: still true
    html = page(admin_client)
    assert 'data-testid="pd-status">Degraded<' in html
    assert "Degraded:</strong> PagerDuty is rate-limiting requests (429). Roster retries automatically" in html
    assert "42 seconds" not in html
