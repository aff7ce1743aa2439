"""What Schemathesis' data checks (bin/fuzz-api: positive_data_acceptance, negative_data_rejection)
found: a rule the description did not state. Each rule is now in the operation's schema, so /api/schema/
describes it and the API refuses what it forbids with the same `{code, message, errors}` as before."""

import json

import pytest

from accounts.services import api_token_create
from tests.factories import RotationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bearer(org):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(organization=org, name='checks', scope='admin')[1]}"}


def post(client, url, bearer, body):
    return client.post(url, data=json.dumps(body), content_type="application/json", **bearer)


@pytest.fixture
def described(client):
    return client.get("/api/schema/").json()


def schema_of(described: dict, name: str) -> dict:
    return described["components"]["schemas"][name]


@pytest.mark.parametrize(
    "url", ["/api/me/calendar", "/api/integrations/pagerduty/oauth/login", "/api/cover-requests/1/take"]
)
def test_an_optional_body_may_be_left_out_but_json_null_is_neither_offered_nor_accepted(client, described, bearer, url):
    operation = described["paths"][url.replace("/1/", "/{cover_request_id}/")]["post"]
    assert operation["requestBody"]["required"] is False
    assert "anyOf" not in operation["requestBody"]["content"]["application/json"]["schema"]

    response = client.post(url, data="null", content_type="application/json", **bearer)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_json", "message": "The request body must be a JSON object."}


def test_the_oauth_callback_is_described_as_answering_without_a_session_too(client, described):
    operation = described["paths"]["/api/integrations/pagerduty/login/callback"]["get"]
    assert operation["security"] == [{"session": []}, {}]
    assert client.get("/api/integrations/pagerduty/login/callback?code=&state=").status_code == 302


def test_an_invitation_email_is_described_and_refused_as_before(client, described, bearer):
    email = schema_of(described, "InvitationCreate")["properties"]["email"]
    assert email["maxLength"] == 254 and email["format"] == "email" and email["pattern"].startswith("^")

    response = post(client, "/api/members/invitations", bearer, {"email": "0@0.a", "role": "member"})
    assert response.status_code == 400
    message = "email must be an email address."
    assert response.json() == {"code": "invalid_request", "message": message, "errors": {"email": [message]}}
    assert post(client, "/api/members/invitations", bearer, {"email": "ann@acme.example"}).status_code == 201


def test_a_rotation_s_time_zone_is_one_of_the_described_names(client, described, bearer):
    zone = schema_of(described, "RotationCreateCore")["properties"]["timeZone"]
    assert "Europe/Paris" in zone["enum"] and "Mars/Olympus" not in zone["enum"]

    response = post(client, "/api/rotations/", bearer, {"name": "X", "timeZone": "Mars/Olympus"})
    assert response.status_code == 400
    message = "“Mars/Olympus” is not a time zone (use an IANA name such as Europe/Paris)."
    assert response.json() == {"code": "invalid_time_zone", "message": message, "errors": {"timeZone": [message]}}


@pytest.mark.parametrize(
    ("cadence", "field", "message"),
    [
        ({"handoffTime": ""}, "cadence.handoffTime", "cadence.handoffTime must be HH:MM."),
        ({"handoffTime": "24:00"}, "cadence.handoffTime", "cadence.handoffTime must be HH:MM."),
        ({"startDate": "2026-02-30"}, "cadence.startDate", "cadence.startDate must be YYYY-MM-DD."),
        ({"startDate": "0001-01-01"}, "cadence.startDate", "The first turn must be between the years 1900 and 2999."),
        ({"every": 366}, "cadence.every", "The cadence count must be a whole number from 1 to 365."),
    ],
)
def test_a_cadence_value_is_refused_by_its_described_shape(client, described, bearer, cadence, field, message):
    cadences = schema_of(described, "CadenceInput")["properties"]
    assert cadences["handoffTime"]["anyOf"][0]["pattern"] == r"^([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
    assert cadences["every"]["anyOf"][0]["maximum"] == 365

    response = post(client, "/api/rotations/", bearer, {"name": "X", "timeZone": "UTC", "cadence": cadence})
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_request", "message": message, "errors": {field: [message]}}


def test_a_member_email_is_described_and_names_the_member_refused(client, bearer):
    body = {"name": "X", "timeZone": "UTC", "members": [{"name": "A", "email": "a@acme.example"}, {"name": "B"}]}
    response = post(client, "/api/rotations/", bearer, body)
    assert response.status_code == 400
    assert response.json()["errors"] == {"members.1.email": ["members.1.email is required."]}
    body["members"][1]["email"] = "b@x.a"
    message = "“b@x.a” is not an email address."
    assert post(client, "/api/rotations/", bearer, body).json()["errors"] == {"members.1.email": [message]}


@pytest.mark.parametrize("secret", ["short", "has a space in it", 12345678])
def test_a_webhook_signing_secret_is_described_and_refused_as_before(client, described, bearer, secret):
    assert schema_of(described, "WebhookSecretCreate")["properties"]["secret"]["pattern"] == r"^\s*\S{8,}\s*$"

    response = post(client, "/api/integrations/pagerduty/webhook-secrets", bearer, {"secret": secret})
    assert response.status_code == 400
    message = (
        "Paste the signing secret PagerDuty showed when the webhook subscription was created "
        "(at least 8 characters, no spaces)."
    )
    assert response.json() == {"code": "invalid_secret", "message": message, "errors": {"secret": [message]}}


def test_syncing_a_rotation_that_follows_no_schedule_is_a_conflict_documented_on_the_operation(
    client, described, bearer, org
):
    rotation = RotationFactory(organization=org, name="Native")
    assert "409" in described["paths"]["/api/rotations/{rotation_id}/sync"]["post"]["responses"]

    response = client.post(f"/api/rotations/{rotation.pk}/sync", **bearer)
    assert response.status_code == 409
    assert response.json()["code"] == "not_bound"
