"""What Schemathesis' data checks (bin/fuzz-api: positive_data_acceptance, negative_data_rejection)
found: a rule the description did not state. Each rule is now in the operation's schema, so /api/schema/
describes it and the API refuses what it forbids with the same `{code, message, errors}` as before."""

import json
import re

import pytest

from accounts.text import WHITESPACE
from tests.factories import RotationFactory

pytestmark = pytest.mark.django_db


def post(client, url, token_auth, body):
    return client.post(url, data=json.dumps(body), content_type="application/json", **token_auth)


@pytest.fixture
def described(client):
    return client.get("/api/schema/").json()


def schema_of(described: dict, name: str) -> dict:
    return described["components"]["schemas"][name]


@pytest.mark.parametrize(
    "url", ["/api/me/calendar", "/api/integrations/pagerduty/oauth/login", "/api/cover-requests/1/take"]
)
def test_an_optional_body_may_be_left_out_but_json_null_is_neither_offered_nor_accepted(
    client, described, token_auth, url
):
    operation = described["paths"][url.replace("/1/", "/{cover_request_id}/")]["post"]
    assert operation["requestBody"]["required"] is False
    assert "anyOf" not in operation["requestBody"]["content"]["application/json"]["schema"]

    response = client.post(url, data="null", content_type="application/json", **token_auth)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_json", "message": "The request body must be a JSON object."}


def test_the_oauth_callback_is_described_as_answering_without_a_session_too(client, described):
    operation = described["paths"]["/api/integrations/pagerduty/login/callback"]["get"]
    assert operation["security"] == [{"session": []}, {}]
    assert client.get("/api/integrations/pagerduty/login/callback?code=&state=").status_code == 302


def test_an_invitation_email_is_described_and_refused_as_before(client, described, token_auth):
    email = schema_of(described, "InvitationCreate")["properties"]["email"]
    assert email["maxLength"] == 254 and "format" not in email and email["pattern"].startswith("^")

    response = post(client, "/api/members/invitations", token_auth, {"email": "0@0.a", "role": "member"})
    assert response.status_code == 400
    message = "email must be an email address."
    assert response.json() == {"code": "invalid_request", "message": message, "errors": {"email": [message]}}
    assert post(client, "/api/members/invitations", token_auth, {"email": "ann@acme.example"}).status_code == 201


def test_a_rotation_s_time_zone_is_one_of_the_described_names(client, described, token_auth):
    zone = schema_of(described, "RotationCreateCore")["properties"]["timeZone"]
    assert "Europe/Paris" in zone["enum"] and "Mars/Olympus" not in zone["enum"]

    response = post(client, "/api/rotations/", token_auth, {"name": "X", "timeZone": "Mars/Olympus"})
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
def test_a_cadence_value_is_refused_by_its_described_shape(client, described, token_auth, cadence, field, message):
    cadences = schema_of(described, "CadenceInput")["properties"]
    assert cadences["handoffTime"]["anyOf"][0]["pattern"] == r"^([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
    assert cadences["every"]["anyOf"][0]["maximum"] == 365

    response = post(client, "/api/rotations/", token_auth, {"name": "X", "timeZone": "UTC", "cadence": cadence})
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_request", "message": message, "errors": {field: [message]}}


def test_a_member_email_is_described_and_names_the_member_refused(client, token_auth):
    body = {"name": "X", "timeZone": "UTC", "members": [{"name": "A", "email": "a@acme.example"}, {"name": "B"}]}
    response = post(client, "/api/rotations/", token_auth, body)
    assert response.status_code == 400
    assert response.json()["errors"] == {"members.1.email": ["members.1.email is required."]}
    body["members"][1]["email"] = "b@x.a"
    message = "“b@x.a” is not an email address."
    assert post(client, "/api/rotations/", token_auth, body).json()["errors"] == {"members.1.email": [message]}


@pytest.mark.parametrize("secret", ["short", "has a space in it", 12345678])
def test_a_webhook_signing_secret_is_described_and_refused_as_before(client, described, token_auth, secret):
    pattern = schema_of(described, "WebhookSecretCreate")["properties"]["secret"]["pattern"]
    assert pattern.endswith("{8,500}[" + WHITESPACE + "]*$")

    response = post(client, "/api/integrations/pagerduty/webhook-secrets", token_auth, {"secret": secret})
    assert response.status_code == 400
    message = (
        "Paste the signing secret PagerDuty showed when the webhook subscription was created "
        "(8 to 500 characters, no spaces)."
    )
    assert response.json() == {"code": "invalid_secret", "message": message, "errors": {"secret": [message]}}


def test_syncing_a_rotation_that_follows_no_schedule_is_a_conflict_documented_on_the_operation(
    client, described, token_auth, org
):
    rotation = RotationFactory(organization=org, name="Native")
    assert "409" in described["paths"]["/api/rotations/{rotation_id}/sync"]["post"]["responses"]

    response = client.post(f"/api/rotations/{rotation.pk}/sync", **token_auth)
    assert response.status_code == 409
    assert response.json()["code"] == "not_bound"


# -- the second round: every rule either described (a 400 for what the description forbids) or, when it
# depends on the server's state or on two values together, a 409 / 422 documented on the operation.


def test_a_shift_window_with_an_empty_bound_is_refused_and_one_that_is_no_window_is_a_422(
    client, described, token_auth, org
):
    rotation = RotationFactory(organization=org)
    assert "422" in described["paths"]["/api/rotations/{rotation_id}/shifts"]["get"]["responses"]
    url = f"/api/rotations/{rotation.pk}/shifts"

    empty = client.get(f"{url}?until=", **token_auth)
    assert (empty.status_code, empty.json()["code"]) == (400, "invalid_request")
    backwards = client.get(f"{url}?since=2026-03-06T10:00:00Z&until=2026-03-01T10:00:00Z", **token_auth)
    assert backwards.status_code == 422
    assert backwards.json() == {
        "code": "invalid_range",
        "message": "until must be after since, at most 93 days later.",
    }


def test_a_pagerduty_key_is_described_as_token_or_api_key_and_refused_by_its_shape(client, described, token_auth):
    body = schema_of(described, "ApiKeyRequest")
    assert body["anyOf"] == [{"required": ["token"]}, {"required": ["apiKey"]}]
    assert body["properties"]["token"]["pattern"] == body["properties"]["apiKey"]["pattern"]
    url = "/api/integrations/pagerduty/"

    response = post(client, url, token_auth, {"apiKey": " " * 9})
    assert response.status_code == 400
    message = "apiKey: Ensure this value has at least 8 characters (it has 0)."
    assert response.json() == {"code": "invalid_request", "message": message, "errors": {"apiKey": [message]}}
    assert post(client, url, token_auth, {"region": "us"}).json()["errors"] == {"token": ["token is required."]}


def test_an_oauth_login_with_only_a_client_id_is_a_422_and_without_an_operator_app_a_409(client, described, token_auth):
    operation = described["paths"]["/api/integrations/pagerduty/oauth/login"]["post"]
    assert {"409", "422"} <= set(operation["responses"])
    url = "/api/integrations/pagerduty/oauth/login"

    response = post(client, url, token_auth, {"clientId": "app", "clientSecret": "   "})
    message = "Enter both the Client ID and the Client Secret of your PagerDuty app."
    assert response.status_code == 422
    assert response.json() == {"code": "invalid_request", "message": message, "errors": {"request": [message]}}
    assert post(client, url, token_auth, {}).status_code == 409


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("  ", "A rotation needs a name."),
        ("On\ncall", "A rotation name must be on one line: remove the line break."),
        ("x" * 201, "A rotation name can be at most 200 characters."),
    ],
)
def test_a_rotation_name_is_described_and_refused_as_the_service_does(client, described, token_auth, name, message):
    assert schema_of(described, "RotationCreateCore")["properties"]["name"]["minLength"] == 1

    response = post(client, "/api/rotations/", token_auth, {"name": name, "timeZone": "UTC"})
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_request", "message": message, "errors": {"name": [message]}}
    assert post(client, "/api/rotations/", token_auth, {"name": " x " * 66, "timeZone": "UTC"}).status_code == 201


@pytest.mark.parametrize(
    ("member", "message"),
    [
        ({"email": "a@acme.example"}, "members.0.name is required."),
        ({"name": "", "email": "a@acme.example"}, "Each member needs a name."),
        (
            {"name": "Ann\u2028Lee", "email": "a@acme.example"},
            "A member's name must be on one line: remove the line break.",
        ),
    ],
)
def test_a_member_name_is_required_and_on_one_line(client, described, token_auth, member, message):
    assert "name" in schema_of(described, "MemberInput")["required"]

    response = post(client, "/api/rotations/", token_auth, {"name": "X", "timeZone": "UTC", "members": [member]})
    assert response.status_code == 400
    assert response.json()["errors"] == {"members.0.name": [message]}


def test_a_whole_number_may_be_written_with_a_zero_fraction_but_not_as_a_string(client, described, token_auth, org):
    alarm = schema_of(described, "CalendarFeedCreate")["properties"]["alarmMinutes"]["anyOf"][0]
    assert alarm["type"] == "integer" and alarm["minimum"] == 1
    url = f"/api/rotations/{RotationFactory(organization=org).pk}/calendar"

    assert post(client, url, token_auth, {"alarmMinutes": 30.0}).json()["feed"]["alarmMinutes"] == 30
    for refused in ("30", 30.5, True):
        response = post(client, url, token_auth, {"alarmMinutes": refused})
        assert response.status_code == 400
        assert response.json()["errors"] == {"alarmMinutes": ["alarmMinutes must be a whole number."]}


def test_asking_for_cover_for_someone_who_is_not_a_member_is_a_conflict_naming_the_field(client, token_auth, org):
    rotation = RotationFactory(organization=org)
    body = {"start": "2026-03-02T09:00:00+00:00", "end": "2026-03-02T10:00:00+00:00", "requesterId": 987654}

    response = post(client, f"/api/rotations/{rotation.pk}/cover-requests", token_auth, body)
    assert response.status_code == 409
    message = "Choose a member of this rotation."
    assert response.json() == {"code": "not_a_member", "message": message, "errors": {"requesterId": [message]}}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter the URL Roster should send events to."),
        ("ftp://hooks.example.com/", "The URL must start with https://."),
        ("https://" + "x" * 1993, "The URL is too long (2000 characters at most)."),
    ],
)
def test_a_webhook_endpoint_url_is_described_and_refused_by_its_shape(client, described, token_auth, url, message):
    pattern = schema_of(described, "OutgoingWebhookEndpointCreate")["properties"]["url"]["pattern"]
    assert "[Hh][Tt][Tt][Pp][Ss]://" in pattern

    response = post(client, "/api/webhook-endpoints", token_auth, {"url": url, "events": ["rotation.handoff"]})
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_request", "message": message, "errors": {"url": [message]}}


def test_the_oauth_callback_s_query_parameters_are_described_without_nul(described):
    operation = described["paths"]["/api/integrations/pagerduty/login/callback"]["get"]
    assert {p["name"]: p["schema"]["pattern"] for p in operation["parameters"]} == dict.fromkeys(
        ("code", "state", "subdomain", "error"), r"^[^\x00]*$"
    )


@pytest.mark.parametrize("schedule_id", ["  ", "P1\u00e9", "P" * 41])
def test_a_schedule_id_is_described_and_refused_as_the_service_does(client, described, token_auth, schedule_id):
    assert schema_of(described, "RotationCreateCore")["properties"]["pagerdutyScheduleId"]["anyOf"][0]["pattern"]

    body = {"name": "X", "timeZone": "UTC", "pagerdutyScheduleId": schedule_id}
    response = post(client, "/api/rotations/", token_auth, body)
    assert response.status_code == 400
    message = "That is not a PagerDuty schedule id."
    assert response.json() == {
        "code": "invalid_schedule",
        "message": message,
        "errors": {"pagerdutyScheduleId": [message]},
    }


def test_the_rotation_s_slack_settings_describe_their_keys_and_that_no_text_holds_a_nul(
    client, described, token_auth, org
):
    slack = next(
        s for s in schema_of(described, "RotationUpdate")["properties"]["slack"]["anyOf"] if s.get("properties")
    )
    assert slack["additionalProperties"] is False  # the keys it has, and the read-only ones a GET gave
    assert {"linked", "total", "unlinked", "messageTemplates"} <= set(slack["properties"])
    assert slack["properties"]["topicChannelId"]["anyOf"][0]["pattern"] == r"^[^\x00]*$"
    rotation = RotationFactory(organization=org, name="Native")

    def patch(body):
        return client.patch(
            f"/api/rotations/{rotation.pk}/", data=json.dumps(body), content_type="application/json", **token_auth
        )

    nul = patch({"slack": {"topicChannelId": "C1\x00"}})
    assert nul.status_code == 400
    assert nul.json()["message"] == "Text values may not contain NUL characters."


def test_a_webhook_secret_label_is_described_as_one_line_and_refused_as_before(client, described, token_auth):
    pattern = schema_of(described, "WebhookSecretCreate")["properties"]["label"]["anyOf"][0]["pattern"]
    assert re.fullmatch(pattern, "Production") and not re.fullmatch(pattern, "a\x1db")  # \x1d: a line break

    response = post(
        client,
        "/api/integrations/pagerduty/webhook-secrets",
        token_auth,
        {"secret": "s3cr3t-AbCd1234", "label": "a\x1db"},
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"label": ["A label must be on one line: remove the line break."]}
