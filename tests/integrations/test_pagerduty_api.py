"""The JSON API for scripts: /api/integrations/pagerduty/."""

import json

import pytest
import responses

from integrations.pagerduty.models import PagerDutyConnection
from tests import pd_mocks
from tests.conftest import bearer

URL = "/api/integrations/pagerduty/"
KEY = "u+AbCdEfGhIjKlMnOp1234"
NEW_KEY = "u+ZyXwVuTsRqPoNmLk9876"

pytestmark = pytest.mark.django_db


def call(client, method, auth=None, body=None, url=URL):
    kwargs = {"content_type": "application/json", **(auth or {})}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method.lower())(url, **kwargs)


NOT_CONNECTED = {
    "connected": False,
    "status": "not_connected",
    "health": {
        "state": "not_connected",
        "label": "Not connected",
        "message": "Rotations cannot follow PagerDuty schedules until an admin connects it.",
        "action": None,
        "since": None,
        "fixers": [],
        "help": None,
    },
}


def test_status_says_not_connected(client, token_auth):
    response = call(client, "GET", token_auth)
    assert response.status_code == 200
    assert response.json() == NOT_CONNECTED


def test_a_script_connects_with_a_token_and_reads_the_status(client, token_auth, rsps):
    pd_mocks.mock_valid_user_key(rsps, name="Earline Greenholt", email="earline@acme.example", subdomain="acme")
    response = call(client, "POST", token_auth, {"token": KEY})
    assert response.status_code == 201
    status = call(client, "GET", token_auth).json()
    assert status["connected"] is True
    assert status["status"] == "active"
    assert status["authType"] == "api_key"
    assert status["displayName"] == "Earline Greenholt"
    assert status["externalUserName"] == "Earline Greenholt"
    assert status["externalUserEmail"] == "earline@acme.example"
    assert status["accountSubdomain"] == "acme"
    assert status["keyLast4"] == "1234"
    assert status["capabilities"] == {
        "read_users": "yes",
        "read_schedules": "yes",
        "read_teams": "yes",
        "write": "unknown",
        "write_overrides": "unknown",
    }
    assert status["validatedAt"]
    assert KEY not in json.dumps(status)


def test_an_invalid_key_is_a_json_error_with_a_stable_code(client, token_auth, org, rsps):
    pd_mocks.mock_unauthorized(rsps)
    response = call(client, "POST", token_auth, {"token": KEY})
    assert response.status_code == 409  # PagerDuty's answer, not the request's shape
    body = response.json()
    assert body["code"] == "invalid_api_key"
    assert body["message"].startswith("Unauthorized: Invalid or expired API token")
    assert not PagerDutyConnection.objects.filter(organization=org).exists()


def test_rate_limiting_is_a_503_with_retry_after(client, token_auth, rsps):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=429, json={}, headers={"ratelimit-reset": "12"})
    response = call(client, "POST", token_auth, {"token": KEY})
    assert response.status_code == 503
    assert response["Retry-After"] == "12"
    assert response.json()["code"] == "pagerduty_rate_limited"


def test_pagerduty_down_is_a_502(client, token_auth, rsps):
    rsps.add(responses.GET, pd_mocks.api("/users/me"), status=502, body="bad gateway")
    response = call(client, "POST", token_auth, {"token": KEY})
    assert response.status_code == 502
    assert response.json()["code"] == "pagerduty_unavailable"


@pytest.fixture
def connected(client, token_auth, rsps):
    """Connected through the API itself (POST with a key PagerDuty accepts)."""
    pd_mocks.mock_valid_user_key(rsps)
    call(client, "POST", token_auth, {"token": KEY})


def test_patch_rotates_and_a_failed_rotation_keeps_the_old_key(client, token_auth, org, rsps, connected):
    assert call(client, "PATCH", token_auth, {"token": NEW_KEY}).json()["keyLast4"] == "9876"

    rsps.replace(responses.GET, pd_mocks.api("/users/me"), json=pd_mocks.UNAUTHORIZED_BODY, status=401)
    response = call(client, "PATCH", token_auth, {"token": "u+another-bad-key"})
    assert response.status_code == 409
    assert PagerDutyConnection.objects.get(organization=org).api_key == NEW_KEY


def test_post_when_connected_is_a_conflict_and_patch_when_not_is_404(client, token_auth, rsps):
    assert call(client, "PATCH", token_auth, {"token": KEY}).json()["code"] == "not_connected"
    pd_mocks.mock_valid_user_key(rsps)
    call(client, "POST", token_auth, {"token": KEY})
    response = call(client, "POST", token_auth, {"token": NEW_KEY})
    assert response.status_code == 409
    assert response.json()["code"] == "already_connected"


def test_delete_disconnects(client, token_auth, org, connected):
    response = call(client, "DELETE", token_auth)
    assert response.status_code == 200
    assert response.json()["connected"] is False
    assert not PagerDutyConnection.objects.filter(organization=org).exists()
    assert call(client, "DELETE", token_auth).status_code == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid_request"),
        ({"token": "short"}, "invalid_request"),
        ({"token": KEY, "region": "mars"}, "invalid_request"),
    ],
)
def test_bad_requests_are_explained(client, token_auth, body, code):
    response = call(client, "POST", token_auth, body)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_malformed_json_is_a_400(client, token_auth):
    response = client.post(URL, data="{nope", content_type="application/json", **token_auth)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_no_credentials_is_a_401_and_a_revoked_token_too(client, org):
    assert call(client, "GET").status_code == 401
    assert call(client, "GET").json()["code"] == "authentication_required"
    response = call(client, "GET", {"HTTP_AUTHORIZATION": "Bearer rst_not-a-real-token"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_members_get_403_from_the_api(member_client):
    response = call(member_client, "GET")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_a_session_needs_the_csrf_token_for_writes(admin_user, rsps):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = call(client, "POST", body={"token": KEY})
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


def test_an_org_token_only_reaches_its_own_org(client, org, other_org, rsps):
    pd_mocks.mock_valid_user_key(rsps, name="Acme Person")
    globex = bearer(other_org)
    call(client, "POST", bearer(org), {"token": KEY})
    assert call(client, "GET", globex).json() == NOT_CONNECTED
    call(client, "DELETE", globex)
    assert PagerDutyConnection.objects.filter(organization=org).exists()


def test_unsupported_methods_are_405(client, token_auth):
    response = call(client, "PUT", token_auth, {"token": KEY})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"token": "abc def ghijklmn"}, "token", "token: An API key has no spaces; paste only the key."),
        ({"token": "u+abcdEFGH1234567é"}, "token", "token: An API key has only letters, digits and punctuation"),
        ({"token": "u+abcdEFGH12345678", "region": "mars"}, "region", "region must be one of: eu, us."),
        ({}, "token", "token is required."),
    ],
)
def test_the_api_checks_a_key_with_the_connect_dialog_s_rules(client, token_auth, rsps, body, field, message):
    response = client.post("/api/integrations/pagerduty/", body, content_type="application/json", **token_auth)
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert list(response.json()["errors"]) == [field]
    assert not rsps.calls  # nothing reached PagerDuty


def test_a_key_with_characters_no_header_can_carry_is_refused_on_the_page_too(admin_client, rsps):
    response = admin_client.post(
        "/settings/integrations/pagerduty/connect/", {"api_key": "u+abcdEFGH1234567é", "region": "us"}
    )
    assert response.status_code == 200
    assert "An API key has only letters, digits and punctuation" in response.content.decode()
    assert not rsps.calls
