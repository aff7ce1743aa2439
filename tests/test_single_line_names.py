"""A name a person types on one line (a rotation's, a member's, an API token's, an organization's, a
person's; an outgoing endpoint's description) with a line break in it is refused: beside the field on
a page, a 400 naming the field in the API; never stored to break an email subject later. One rule,
`accounts.text.line_break_problem`, used by every service that takes such a name."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import ApiToken, Organization
from accounts.text import line_break_problem
from outgoing.models import Endpoint
from rotations import services as rotations
from rotations.models import Rotation
from tests.conftest import bearer

pytestmark = pytest.mark.django_db

BROKEN = "Platform\nBcc: everyone@example.com"
MESSAGE = "A rotation name must be on one line: remove the line break."


def beside(html: str, field_id: str) -> str:
    return html.split(f'<label for="{field_id}">')[1].split("</p>", maxsplit=1)[0]


@pytest.fixture
def native(org):
    return rotations.rotation_create(
        organization=org, name="Platform", time_zone="UTC", members=[("Ana Ortiz", "ana@acme.example")]
    )


@pytest.fixture
def api(client, org):
    auth = bearer(org, "write")

    def call(method, path, body):
        return getattr(client, method)(f"/api/rotations/{path}", body, content_type="application/json", **auth)

    return call


@pytest.mark.parametrize("value", ["a\nb", "a\r\nb", "a\rb", "a\u2028b", "a\x85b", "a\vb"])
def test_every_kind_of_line_break_is_refused_and_one_line_is_fine(value):
    assert line_break_problem(value, what="A name") == "A name must be on one line: remove the line break."
    assert line_break_problem("Platform — EU (24/7)\t", what="A name") is None


def test_a_rotation_name_with_a_line_break_is_refused_beside_the_field_on_the_pages(admin_client, native, org):
    edited = admin_client.post(
        f"/rotations/{native.pk}/edit/",
        {
            "name": BROKEN,
            "time_zone": "UTC",
            "cadence_count": "1",
            "cadence_unit": "weeks",
            "handoff_time": "09:00",
            "start_date": native.start_date.isoformat(),
        },
    ).content.decode()
    created = admin_client.post(
        "/rotations/new/",
        {"name": BROKEN, "time_zone": "UTC", "cadence_count": "1", "cadence_unit": "weeks", "handoff_time": "09:00"},
    ).content.decode()

    assert MESSAGE in beside(edited, "id_name")
    assert MESSAGE in beside(created, "id_name")
    assert list(Rotation.objects.values_list("name", flat=True)) == ["Platform"]


def test_a_member_name_with_a_line_break_is_refused_beside_the_name(admin_client, native):
    html = admin_client.post(
        f"/rotations/{native.pk}/members/", {"name": "Dan\nNg", "email": "dan@acme.example"}
    ).content.decode()

    assert "The name of dan@acme.example must be on one line" in beside(html, "member_name")
    assert native.members.count() == 1


def test_the_api_answers_400_naming_the_field(api, native):
    created = api("post", "", {"name": BROKEN, "timeZone": "UTC"})
    renamed = api("patch", f"{native.pk}/", {"name": BROKEN})
    members = api("patch", f"{native.pk}/", {"members": [{"name": "Dan\nNg", "email": "dan@acme.example"}]})

    assert created.status_code == renamed.status_code == members.status_code == 400
    assert created.json()["errors"] == renamed.json()["errors"] == {"name": [MESSAGE]}
    assert list(members.json()["errors"]) == ["members.0.name"]  # the member and its field
    assert "must be on one line" in members.json()["message"]
    assert list(Rotation.objects.values_list("name", flat=True)) == ["Platform"]
    assert native.members.count() == 1


def test_an_api_token_name_with_a_line_break_is_refused_beside_the_field(admin_client, org):
    html = admin_client.post("/settings/api-tokens/", {"name": "deploy\nscript", "scope": "read"}).content.decode()

    assert "A token name must be on one line: remove the line break." in html
    assert not ApiToken.objects.exists()


def test_an_endpoint_description_with_a_line_break_is_a_400_naming_it(admin_client):
    response = admin_client.post(
        "/api/webhook-endpoints",
        {"url": "https://93.184.216.34/hook", "events": ["rotation.handoff"], "description": "Status\npage"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"description": ["A description must be on one line: remove the line break."]}
    assert not Endpoint.objects.exists()


def test_an_organization_name_with_a_line_break_is_refused_by_the_command(db):
    with pytest.raises(CommandError, match="An organization name must be on one line"):
        call_command("create_organization", "Acme\nCorp", "--admin", "ops@acme.example")
    assert not Organization.objects.exists()


SECRET = "whsec-line-break-test-0123456789abcdef"


def test_a_webhook_secrets_label_with_a_line_break_is_refused_on_the_page_and_by_the_api(admin_client, org, client):
    from webhooks.models import WebhookSecret

    page = admin_client.post(
        "/settings/integrations/pagerduty/webhook-secrets/", {"secret": SECRET, "label": "PagerDuty\nprod"}
    )
    assert page.status_code == 400
    assert "A label must be on one line: remove the line break." in beside(page.content.decode(), "wh-secret-label")
    answer = client.post(
        "/api/integrations/pagerduty/webhook-secrets",
        {"secret": SECRET, "label": "PagerDuty\rprod"},
        content_type="application/json",
        **bearer(org),
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == {"label": ["A label must be on one line: remove the line break."]}
    assert not WebhookSecret.objects.exists()


def test_a_new_slack_user_groups_name_with_a_line_break_is_refused_before_slack_is_asked(native):
    from notifications.slack import settings as slack_settings

    with pytest.raises(slack_settings.SlackSettingsError) as refused:
        slack_settings.rotation_slack_create_usergroup(
            rotation=native, actor=None, handle="platform-oncall", name="Platform\non call"
        )
    assert refused.value.field == slack_settings.NEW_GROUP_NAME
    assert refused.value.message == "A user group's name must be on one line: remove the line break."
