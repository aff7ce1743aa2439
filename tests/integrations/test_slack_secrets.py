"""Slack's bot token (and the operator's client secret) never appear in a page, the Django admin, a
JSON answer or a log line — and the token is encrypted in the database."""

import pytest
from django.db import connection as db_connection

from integrations.slack.models import SlackConnection
from integrations.slack.tasks import validate_connection
from tests.conftest import assert_no_page_shows
from tests.integrations.slack_flow import (
    add_to_slack,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def connected(admin_client, fake_slack) -> SlackConnection:
    return add_to_slack(admin_client, fake_slack)


def secrets_of(connection: SlackConnection, fake) -> list[str]:
    return [connection.bot_token, connection.bot_token[-12:], fake.client_secret]


def test_the_bot_token_is_encrypted_at_rest(connected):
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT bot_token FROM slack_slackconnection WHERE id = %s", [connected.pk])
        (raw_column,) = cursor.fetchone()
    assert connected.bot_token not in raw_column and connected.bot_token[-8:] not in raw_column
    assert raw_column.startswith("gAAAA")  # a Fernet token
    assert SlackConnection.objects.get(pk=connected.pk).bot_token.startswith("xoxb-")


def test_no_page_shows_the_token(staff_client, connected, org, fake_slack):
    pages = [
        "/settings/integrations/",
        "/settings/integrations/?dialog=slack-disconnect",
        f"/admin/accounts/organization/{org.pk}/change/",
        "/admin/slack/slackconnection/",
        f"/admin/slack/slackconnection/{connected.pk}/change/",
        "/admin/accounts/auditevent/",
    ]
    assert_no_page_shows(staff_client, pages, secrets_of(connected, fake_slack))


def test_support_staff_see_slack_health_in_the_admin_and_cannot_delete_the_row(staff_client, connected, org):
    page = staff_client.get(f"/admin/accounts/organization/{org.pk}/change/").content.decode()
    assert "Slack connection health" in page and "Acme Ops" in page and "T0ACME" in page
    listing = staff_client.get("/admin/slack/slackconnection/").content.decode()
    assert "Acme Ops" in listing
    response = staff_client.post(f"/admin/slack/slackconnection/{connected.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert SlackConnection.objects.filter(pk=connected.pk).exists()


def test_no_json_answer_shows_the_token(client, token_auth, connected, fake_slack):
    bodies = [client.get("/api/integrations/slack/", **token_auth).content.decode()]
    bodies.append(client.delete("/api/integrations/slack/", **token_auth).content.decode())
    for body in bodies:
        for secret in secrets_of(connected, fake_slack):
            assert secret not in body


def test_no_log_line_shows_the_token(captured_logs, admin_client, fake_slack):
    connection = add_to_slack(admin_client, fake_slack)
    validate_connection.delay(connection.pk)
    fake_slack.revoke_all()
    admin_client.post("/settings/integrations/slack/refresh/")
    validate_connection.delay(connection.pk)
    admin_client.post("/settings/integrations/slack/disconnect/", {"confirm": "on"})
    assert captured_logs.records, "expected some log lines to scan"
    for secret in secrets_of(connection, fake_slack):
        assert secret not in captured_logs.text
