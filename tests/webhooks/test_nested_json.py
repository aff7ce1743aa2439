"""A body of deeply nested JSON (200,000 "[") is a 400 on every JSON API endpoint, never a server
error: Python's parser gives up with a RecursionError that must not escape."""

import pytest
from django.urls import get_resolver

from accounts import services as account_services
from rotations import services as rotation_services
from tests.test_no_500 import ARG, _patterns

pytestmark = pytest.mark.django_db
NESTED = "[" * 200_000

READS_A_BODY = [
    ("post", "/api/integrations/pagerduty/"),
    ("patch", "/api/integrations/pagerduty/"),
    ("post", "/api/integrations/pagerduty/oauth/login"),
    ("post", "/api/rotations/"),
    ("patch", "/api/rotations/{rotation_id}/"),
    ("post", "/api/integrations/pagerduty/webhook-secrets"),
    ("post", "/api/members/invitations"),
    ("patch", "/api/members/{user_id}"),
]


@pytest.fixture
def ids(org, member_user):
    rotation = rotation_services.rotation_create(
        organization=org, name="Ops", time_zone="UTC", members=[("Ana", "ana@acme.example")]
    )
    invitation = account_services.invitation_create(organization=org, email="new@acme.example", role="member")
    return {"rotation_id": rotation.pk, "user_id": member_user.pk, "invitation_id": invitation.invitation.pk}


def test_endpoints_that_read_a_body_answer_400_invalid_json(admin_client, ids):
    for method, url in READS_A_BODY:
        response = getattr(admin_client, method)(url.format(**ids), NESTED, content_type="application/json")
        assert (method, url, response.status_code) == (method, url, 400)
        assert response.json()["code"] == "invalid_json"


def test_no_api_endpoint_answers_a_server_error(admin_client, ids, rsps):
    api = [p for p in _patterns(get_resolver().url_patterns) if p.startswith("api/")]
    assert len(api) >= len(READS_A_BODY)
    for pattern in api:
        url = "/" + ARG.sub(lambda m: str(ids.get(m.group(2), 1)), pattern)
        for method in ("post", "put", "patch", "delete"):
            response = getattr(admin_client, method)(url, NESTED, content_type="application/json")
            assert (method, url, response.status_code < 500) == (method, url, True)
