"""LOG_FORMAT=json: one JSON object a line, parsed back here; the request id (X-Request-ID) and the
organization on every line of a request, carried into the tasks it queues; secrets redacted."""

import io
import json
import logging
from types import SimpleNamespace

import pytest

from config import celery as roster_celery
from config import logging as log_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """What the root logger writes through LOG_FORMAT=json's handler (formatter and filters as settings)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log_context.JsonFormatter())
    handler.addFilter(log_context.RedactInvitationTokens())
    handler.addFilter(log_context.AddContext())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_a_request_logs_json_with_its_request_id_and_no_secret(client, json_lines):
    response = client.get("/cal/secret-feed-token-0123456789.ics")
    assert response.status_code == 404
    lines = json_lines()
    line = next(entry for entry in lines if entry["logger"] == "django.request")
    assert line["level"] == "WARNING"
    assert line["message"] == "Not Found: /cal/[redacted]"
    assert line["request_id"] == response["X-Request-ID"] and len(response["X-Request-ID"]) == 32
    assert line["timestamp"] and line["task_name"] is None
    assert "secret-feed-token" not in json.dumps(lines)


def test_a_signed_in_request_names_its_organization(admin_client, org, json_lines):
    admin_client.get("/rotations/999999/")  # a rotation that is not theirs: Not Found, logged
    line = next(entry for entry in json_lines() if entry["logger"] == "django.request")
    assert line["organization_id"] == org.pk


def test_a_proxys_request_id_is_kept_only_behind_a_trusted_proxy(client, settings):
    settings.ROSTER_TRUSTED_PROXY_COUNT = 0
    assert client.get("/healthz", HTTP_X_REQUEST_ID="from-anyone-123")["X-Request-ID"] != "from-anyone-123"
    settings.ROSTER_TRUSTED_PROXY_COUNT = 1
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.42")["X-Request-ID"] == "lb-7f3a.42"
    made_up = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\x07")["X-Request-ID"]
    assert made_up != "bad id\x07" and len(made_up) == 32


def test_a_task_queued_by_a_request_logs_with_its_request_and_organization(json_lines):
    """As Celery calls the signals: publish in the web process, prerun and postrun in the worker."""
    headers = {}
    token = log_context.bind(request_id="req-1234", organization_id=7)
    roster_celery._carry_log_context(headers=headers)
    log_context.unbind(token)
    assert headers == {"roster_request_id": "req-1234", "roster_organization_id": 7}

    task = SimpleNamespace(name="rotations.tasks.sync_schedule", request=SimpleNamespace(**headers))
    roster_celery._bind_task_log_context(task_id="task-42", task=task)
    logging.getLogger("rotations.sync").warning("PagerDuty answered 503")
    roster_celery._unbind_task_log_context(task_id="task-42")
    logging.getLogger("rotations.sync").warning("after the task")
    during, after = json_lines()[-2:]
    assert (during["request_id"], during["organization_id"]) == ("req-1234", 7)
    assert (during["task_name"], during["task_id"]) == ("rotations.tasks.sync_schedule", "task-42")
    assert after["task_id"] is None and after["request_id"] is None


def test_an_exception_logged_in_json_is_redacted_too(json_lines):
    try:
        raise ValueError("could not read /unsubscribe/unsub-token-abcdef/")
    except ValueError:
        logging.getLogger("notifications").exception("Sending failed for /invitations/inv-token-123456/")
    line = json_lines()[-1]
    assert "/unsubscribe/[redacted]" in line["exc_info"] and "/invitations/[redacted]" in line["message"]
    assert "unsub-token" not in json.dumps(line) and "inv-token" not in json.dumps(line)
