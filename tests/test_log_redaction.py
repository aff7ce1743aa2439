"""A request that fails on an invitation link (a CSRF failure, a method not allowed) is logged by
Django with its path: the working token in it is redacted before a handler writes it."""

import io
import logging

import pytest
from django.conf import settings

from config.logging import RedactInvitationTokens

pytestmark = pytest.mark.django_db
TOKEN = "Vf7U4VpUnwy_VxL1mit8Cx_LtF8hiotzlq575_9GUrY"


@pytest.fixture
def console_output():
    """What the configured `console` handler writes (caplog has handlers of its own)."""
    handler = next(h for h in logging.getLogger().handlers if RedactInvitationTokens in map(type, h.filters))
    stream, handler.stream = handler.stream, io.StringIO()
    yield handler.stream
    handler.stream = stream


def test_every_configured_handler_redacts_invitation_tokens():
    for name, handler in settings.LOGGING["handlers"].items():
        assert "redact_tokens" in handler.get("filters", []), name


def test_a_refused_request_on_an_invitation_link_logs_the_path_without_its_token(client, console_output):
    response = client.put(f"/invitations/{TOKEN}/")  # 405: Django logs the method and the path
    assert response.status_code == 405
    logged = console_output.getvalue()
    assert "/invitations/[redacted]/" in logged
    assert TOKEN not in logged


def test_a_csrf_failure_on_an_invitation_link_logs_no_token(console_output):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/invitations/{TOKEN}/", {"first_name": "x"}).status_code == 403
    logged = console_output.getvalue()
    assert "Forbidden (CSRF" in logged
    assert TOKEN not in logged


def test_a_refused_webhook_delivery_logs_the_path_without_the_endpoint_id(client, org, console_output):
    from webhooks.services import endpoint_for, webhook_secret_add

    endpoint = endpoint_for(org)
    webhook_secret_add(organization=org, secret="whsec-redaction-test-1", label="")
    response = client.post(f"/webhooks/pagerduty/{endpoint.public_id}/", b"{}", content_type="application/json")
    assert response.status_code == 401  # unsigned: Django logs "Unauthorized: <path>"
    assert client.get(f"/webhooks/pagerduty/{endpoint.public_id}/").status_code == 405
    logged = console_output.getvalue()
    assert logged.count("/webhooks/pagerduty/[redacted]/") == 2
    assert endpoint.public_id not in logged
