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


FEED_TOKEN = "cal_Zk3PqR8sT1uV2wX3yZ4aB5cD6eF7gH8iJ9kL0mN1oP2"


def test_a_calendar_feed_or_unsubscribe_token_never_reaches_django_request_s_log_line(client, console_output):
    assert client.get(f"/cal/{FEED_TOKEN}.ics").status_code == 404  # "Not Found: <path>"
    assert client.put(f"/unsubscribe/{TOKEN}/").status_code == 405  # "Method Not Allowed (PUT): <path>"
    logged = console_output.getvalue()
    assert "Not Found: /cal/[redacted]" in logged and "/unsubscribe/[redacted]/" in logged
    assert FEED_TOKEN not in logged and TOKEN not in logged


def test_the_development_server_s_request_lines_redact_feed_and_unsubscribe_tokens():
    """runserver logs every request line on `django.server`, whose handler is not root's."""
    from django.core.servers.basehttp import WSGIRequestHandler

    handlers = [h for h in logging.getLogger("django.server").handlers if isinstance(h, logging.StreamHandler)]
    assert handlers, "django.server has a handler"
    streams = [(h, h.stream) for h in handlers]  # type: ignore[attr-defined]
    for handler, _ in streams:
        handler.stream = io.StringIO()  # type: ignore[attr-defined]
    try:
        server = WSGIRequestHandler.__new__(WSGIRequestHandler)  # what runserver calls per request
        server.request = None
        server.log_message('"%s" %s %s', f"GET /cal/{FEED_TOKEN}.ics HTTP/1.1", "200", "512")
        server.log_message('"%s" %s %s', f"HEAD /cal/{FEED_TOKEN}.ics HTTP/1.1", "304", "0")
        server.log_message('"%s" %s %s', f"POST /unsubscribe/{TOKEN}/ HTTP/1.1", "404", "90")
        logged = "".join(h.stream.getvalue() for h, _ in streams)  # type: ignore[attr-defined]
    finally:
        for handler, stream in streams:
            handler.stream = stream  # type: ignore[attr-defined]
    assert (
        "GET /cal/[redacted] " in logged and "HEAD /cal/[redacted] " in logged and "/unsubscribe/[redacted]/" in logged
    )
    assert FEED_TOKEN not in logged and TOKEN not in logged
