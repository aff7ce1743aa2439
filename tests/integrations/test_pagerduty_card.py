"""Settings → Integrations: connecting PagerDuty with a REST API key, as an admin sees it."""

import re

import pytest
import requests
import responses

from accounts.models import AuditEvent
from integrations.pagerduty.models import PagerDutyConnection
from tests import pd_mocks
from tests.rotations.test_pages import confirm_refused

URL = "/settings/integrations/"
KEY = "u+AbCdEfGhIjKlMnOp1234"
NEW_KEY = "u+ZyXwVuTsRqPoNmLk9876"

pytestmark = pytest.mark.django_db


def connect(client, key=KEY, region="us"):
    return client.post(f"{URL}pagerduty/connect/", {"api_key": key, "region": region}, follow=True)


def test_it_shows_a_pagerduty_card_with_connect_for_admins(admin_client):
    page = admin_client.get(URL).content.decode()
    assert "PagerDuty" in page
    assert "Not connected" in page
    assert "Connect</a>" in page


def test_members_see_the_card_without_controls(member_client):
    page = member_client.get(URL).content.decode()
    assert "PagerDuty" in page
    assert "Connect</a>" not in page
    assert "only admins can change integrations" in page


def rotations_section(client) -> str:
    """The text of the PagerDuty card's Rotations section."""
    html = client.get(URL).content.decode().split('data-testid="pd-rotations"')[1].split("</section>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_with_no_rotation_following_a_schedule_only_admins_are_told_how_to_make_one_follow(
    client, admin_user, member_user, pd_connection
):
    """A member cannot bind a rotation: the card does not send them to do it."""
    client.force_login(member_user)
    section = rotations_section(client)
    assert "No rotation follows a PagerDuty schedule yet." in section
    assert "Bind" not in section and "Follow a PagerDuty schedule" not in section
    client.force_login(admin_user)
    assert (
        "To make one follow a schedule, open it from Rotations and choose Follow a PagerDuty schedule."
        in rotations_section(client)
    )


def test_the_lede_names_the_organization_in_its_sentence(client, admin_user, member_user):
    """Not "Connect the tools your team already uses. Acme." with the name dangling after it."""
    lede = re.compile(r'<p class="lede">(.*?)</p>', re.S)
    client.force_login(admin_user)
    assert lede.search(client.get(URL).content.decode()).group(1) == "Connect the tools Acme already uses."
    client.force_login(member_user)
    assert (
        lede.search(client.get(URL).content.decode()).group(1)
        == "Connect the tools Acme already uses · only admins can change integrations."
    )


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_connect_dialog_opens_without_javascript(admin_client):
    page = admin_client.get(URL + "?dialog=pagerduty-connect").content.decode()
    assert '<dialog id="pagerduty-connect" class="dialog" aria-labelledby="pagerduty-connect-title" open>' in page
    assert '<a class="choice" href="?dialog=pagerduty-connect-key"' in page
    assert '<a class="choice" href="?dialog=pagerduty-connect-oauth"' in page
    page = admin_client.get(URL + "?dialog=pagerduty-connect-key").content.decode()
    assert (
        '<dialog id="pagerduty-connect-key" class="dialog" aria-labelledby="pagerduty-connect-key-title" open>' in page
    )
    assert '<dialog id="pagerduty-connect" class="dialog" aria-labelledby="pagerduty-connect-title">' in page


def test_connecting_a_user_key_shows_who_and_what(admin_client, org, rsps):
    pd_mocks.mock_valid_user_key(rsps, name="Earline Greenholt", email="earline@acme.example", subdomain="acme")
    page = connect(admin_client).content.decode()

    assert "PagerDuty connected as Earline Greenholt." in page
    assert 'data-testid="pd-status">Active<' in page
    assert '<code data-testid="pd-key-last4">1234</code>' in page
    assert "Earline Greenholt &lt;earline@acme.example&gt;" in page
    assert "acme.pagerduty.com" in page
    assert "Read schedules: <strong>yes</strong>" in page
    assert "Read teams: <strong>yes</strong>" in page
    assert "Write (create webhook subscriptions): <strong>unknown</strong>" in page
    connection = PagerDutyConnection.objects.get(organization=org)
    assert connection.validated_at is not None
    assert connection.api_key == KEY
    sent = rsps.calls[0].request
    assert sent.headers["Authorization"] == f"Token token={KEY}"
    assert sent.headers["Accept"] == "application/vnd.pagerduty+json;version=2"


def test_a_plan_without_teams_says_so_instead_of_guessing(admin_client, rsps):
    pd_mocks.mock_valid_user_key(rsps, teams_status=402)
    page = connect(admin_client).content.decode()
    assert "Read teams: <strong>not in your plan</strong>" in page


def test_an_account_level_key_is_accepted_without_user_details(admin_client, org, rsps):
    pd_mocks.mock_valid_account_key(rsps, subdomain="globocorp")
    page = connect(admin_client).content.decode()
    assert 'data-testid="pd-status">Active<' in page
    assert "user details are not available" in page
    assert "globocorp.pagerduty.com" in page
    assert PagerDutyConnection.objects.get(organization=org).is_account_key


def test_an_invalid_key_is_refused_and_nothing_is_saved(admin_client, org, rsps):
    pd_mocks.mock_unauthorized(rsps)
    response = connect(admin_client)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Unauthorized: Invalid or expired API token" in page
    assert "API Access Keys" in page  # what to check
    assert (
        '<dialog id="pagerduty-connect-key" class="dialog" aria-labelledby="pagerduty-connect-key-title" open>' in page
    )
    # The refusal is the key field's error: beside it, and named by its aria-describedby.
    assert 'aria-invalid="true" aria-describedby="pd-connect-api_key_helptext pd-connect-api_key_error"' in page
    assert '<span class="error" id="pd-connect-api_key_error">Unauthorized: Invalid or expired API token' in page
    assert not PagerDutyConnection.objects.filter(organization=org).exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("mock_kwargs", "expected"),
    [
        ({"body": requests.ConnectionError("refused")}, "PagerDuty could not be reached."),
        ({"body": requests.Timeout("slow")}, "PagerDuty did not answer in time."),
        ({"status": 503, "json": {"error": {"message": "down"}}}, "PagerDuty is having trouble (HTTP 503)"),
        (
            {"status": 429, "json": {"error": {"code": 2020}}, "headers": {"ratelimit-reset": "30"}},
            "rate-limiting requests (429). Try again in 30 seconds.",
        ),
    ],
    ids=["unreachable", "timeout", "server-error", "rate-limited"],
)
def test_pagerduty_trouble_is_a_clear_message_and_nothing_is_saved(admin_client, org, rsps, mock_kwargs, expected):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), **mock_kwargs)
    response = connect(admin_client)
    assert response.status_code == 200
    page = response.content.decode()
    assert expected in page
    assert "Nothing was saved." in page
    assert not PagerDutyConnection.objects.filter(organization=org).exists()


def test_an_eu_account_is_validated_against_the_eu_api(admin_client, org, rsps):
    pd_mocks.mock_valid_user_key(rsps, region="eu", subdomain="acme-eu")
    page = connect(admin_client, region="eu").content.decode()
    assert "acme-eu.eu.pagerduty.com" in page
    assert PagerDutyConnection.objects.get(organization=org).region == "eu"


def test_rotating_the_key_validates_the_new_one_first(admin_client, org, rsps):
    pd_mocks.mock_valid_user_key(rsps)
    connect(admin_client)
    rsps.replace(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.user_me(name="New Person"))
    page = admin_client.post(
        f"{URL}pagerduty/rotate-key/", {"api_key": NEW_KEY, "region": "us"}, follow=True
    ).content.decode()
    assert "now using the key ending in 9876" in page
    assert "New Person" in page
    assert PagerDutyConnection.objects.get(organization=org).api_key == NEW_KEY


def test_a_refused_new_key_leaves_the_old_key_active_and_untouched(admin_client, org, rsps):
    pd_mocks.mock_valid_user_key(rsps)
    connect(admin_client)
    before = PagerDutyConnection.objects.get(organization=org)
    rsps.replace(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.UNAUTHORIZED_BODY, status=401)
    page = admin_client.post(f"{URL}pagerduty/rotate-key/", {"api_key": NEW_KEY, "region": "us"}).content.decode()
    assert "Unauthorized: Invalid or expired API token" in page
    assert '<dialog id="pagerduty-rotate" class="dialog" aria-labelledby="pagerduty-rotate-title" open>' in page
    after = PagerDutyConnection.objects.get(organization=org)
    assert after.api_key == KEY
    assert after.key_last4 == "1234"
    assert after.status == "active"
    assert after.validated_at == before.validated_at


def test_disconnect_asks_for_confirmation_then_deletes_the_credentials(admin_client, org, rsps):
    pd_mocks.mock_valid_user_key(rsps)
    connect(admin_client)
    confirm_refused(admin_client, f"{URL}pagerduty/disconnect/", "pagerduty-disconnect")
    assert PagerDutyConnection.objects.filter(organization=org).exists()

    page = admin_client.post(f"{URL}pagerduty/disconnect/", {"confirm": "on"}, follow=True).content.decode()
    assert "PagerDuty disconnected" in page
    assert "Not connected" in page
    assert not PagerDutyConnection.objects.filter(organization=org).exists()


def test_refresh_connection_rechecks_the_key_and_shows_a_revoked_one(admin_client, org, rsps):
    pd_mocks.mock_valid_user_key(rsps)
    connect(admin_client)
    rsps.replace(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.UNAUTHORIZED_BODY, status=401)
    page = admin_client.post(f"{URL}pagerduty/refresh/", follow=True).content.decode()
    assert "PagerDuty refused the stored credentials: Unauthorized: Invalid or expired API token" in page
    assert 'data-testid="pd-status">Action needed<' in page
    assert 'data-testid="pd-health"' in page and "Replace the API key</a>" in page


def test_the_card_shows_a_history_of_changes(admin_client, rsps):
    pd_mocks.mock_valid_user_key(rsps)
    connect(admin_client)
    admin_client.post(f"{URL}pagerduty/rotate-key/", {"api_key": NEW_KEY, "region": "us"})
    page = admin_client.get(URL).content.decode()
    assert "admin@acme.example · Rotated the API key: …1234 → …9876" in page
    assert "admin@acme.example · Connected with a REST API key ending in 1234" in page
    assert re.search(r'pd-history">\s*<li><time [^>]+>[-\d]{10} [\d:]{5} UTC</time>', page)


def test_members_cannot_connect_rotate_or_disconnect(member_client, org, rsps):
    pd_mocks.mock_valid_user_key(rsps)
    for action in ("connect", "rotate-key", "disconnect", "refresh"):
        response = member_client.post(f"{URL}pagerduty/{action}/", {"api_key": KEY, "region": "us", "confirm": "on"})
        assert response.status_code == 403, action
    assert not PagerDutyConnection.objects.exists()
    assert len(rsps.calls) == 0


def test_an_admin_of_another_org_neither_sees_nor_changes_ours(client, admin_user, outsider, org, rsps):
    pd_mocks.mock_valid_user_key(rsps, name="Acme Person")
    client.force_login(admin_user)
    connect(client)
    client.force_login(outsider)
    page = client.get(URL).content.decode()
    assert "Acme Person" not in page
    assert "Not connected" in page
    # Their disconnect acts on their own (empty) org, never on ours.
    client.post(f"{URL}pagerduty/disconnect/", {"confirm": "on"})
    assert PagerDutyConnection.objects.filter(organization=org).exists()
