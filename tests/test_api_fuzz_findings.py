"""What Schemathesis (bin/fuzz-api) found: each was a 500 and is now a 4xx with `{code, message}`."""

import json

import pytest

pytestmark = pytest.mark.django_db

TOO_BIG = 2**63  # one past the largest id a database stores


def send(client, method, url, token_auth, body):
    if method == "get":
        return client.get(url, **token_auth)
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **token_auth)


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/integrations/pagerduty/", {"token": "u+abcdEFGH12345678", "region": {}}),
        ("patch", "/api/integrations/pagerduty/", {"token": "u+abcdEFGH12345678", "region": ["us"]}),
        ("post", "/api/integrations/pagerduty/oauth/login", {"region": [None, None]}),
    ],
)
def test_a_region_that_is_not_a_string_is_a_400(client, token_auth, rsps, method, url, body):
    response = send(client, method, url, token_auth, body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert response.json()["message"] == "region must be a string."
    assert response.json()["errors"] == {"region": ["region must be a string."]}


def test_an_api_key_with_characters_no_http_header_can_carry_is_a_400(client, token_auth, rsps):
    response = send(client, "post", "/api/integrations/pagerduty/", token_auth, {"token": "u+abcdEFGH\u00f4\u9a7e1234"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert len(rsps.calls) == 0  # PagerDuty was never asked


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", f"/api/rotations/{TOO_BIG}/"),
        ("patch", f"/api/members/{TOO_BIG * 10**9}"),
        ("delete", f"/api/members/invitations/{TOO_BIG}"),
        ("delete", f"/api/integrations/pagerduty/webhook-secrets/{TOO_BIG}"),
    ],
)
def test_an_id_too_big_for_the_database_is_a_404(client, token_auth, method, url):
    response = send(client, method, url, token_auth, {"role": "member"})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_id_too_big_for_the_database_still_needs_authentication(client):
    assert client.get(f"/api/rotations/{TOO_BIG}/").status_code == 401
