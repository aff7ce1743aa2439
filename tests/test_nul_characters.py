"""NUL characters in URLs and JSON bodies are refused with a 400: PostgreSQL cannot hold them, so
they used to surface as 500s there (this module runs on PostgreSQL in `make test-services`)."""

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/incidents/ab%00cd/",
        "/api/incidents/ab%00cd/",
        "/incidents/?service=a%00b",
        "/incidents/?status=%00",
        "/webhooks/pagerduty/ab%00cd/",
        "/invitations/ab%00cd/",
    ],
)
def test_a_nul_in_the_url_is_a_400(member_client, path):
    response = member_client.get(path)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/rotations/", {"name": "On\u0000call", "timeZone": "UTC"}),
        (
            "post",
            "/api/rotations/",
            {"name": "Ops", "timeZone": "UTC", "members": [{"name": "A", "email": "a\u0000@x.io"}]},
        ),
        ("post", "/api/members/invitations", {"email": "new@acme.example", "role": "mem\u0000ber"}),
        ("post", "/api/integrations/pagerduty/webhook-secrets", {"secret": "whsec-\u0000-secret", "label": "x"}),
        ("post", "/api/integrations/pagerduty/", {"token": "u+abc\u0000def"}),
    ],
)
def test_a_nul_in_a_json_body_is_a_400_that_says_why(admin_client, method, path, body):
    response = getattr(admin_client, method)(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"] == "Text values may not contain NUL characters."
