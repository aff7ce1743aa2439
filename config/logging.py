"""Logging filters. Django logs the path of every 4xx/5xx response (`django.request`), of CSRF
failures and disallowed hosts (`django.security.*`) and, under runserver, of every request
(`django.server`). Some paths hold a credential: an invitation link's token (joins an organization),
a webhook URL's endpoint id (posts deliveries to it), a calendar feed's token (`/cal/<token>.ics`:
reads shifts) and a reminder email's unsubscribe token (`/unsubscribe/<token>/`). Each is redacted
before any handler writes it: every handler in settings.LOGGING has this filter, and settings route
`django` and `django.server` to such handlers (Django's own defaults have no filter)."""

import logging
import re
from contextvars import ContextVar, Token
from typing import Any

from pythonjsonlogger import core as jsonlogger_core
from pythonjsonlogger import json as jsonlogger

SECRET_PATHS = re.compile(r"(/invitations/|/webhooks/pagerduty/|/cal/|/unsubscribe/)[^/\s?#]+")


def redact(text: str) -> str:
    return SECRET_PATHS.sub(r"\1[redacted]", text)


class RedactInvitationTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


# --- Context for every log line: the request, the organization, the task --------------------------

_CONTEXT: ContextVar[dict[str, Any]] = ContextVar("roster_log_context", default={})  # noqa: B039  (never mutated)
CONTEXT_FIELDS = ("request_id", "organization_id", "task_name", "task_id")
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def bind(**values: Any) -> Token:
    """Add `values` to the context of this request or task's log lines; `unbind(token)` restores it."""
    return _CONTEXT.set({**_CONTEXT.get(), **values})


def unbind(token: Token) -> None:
    _CONTEXT.reset(token)


def context() -> dict[str, Any]:
    return _CONTEXT.get()


def start(**values: Any) -> None:
    """A new request: its context replaces whatever an earlier request in this thread left."""
    _CONTEXT.set(dict(values))


def clear_on_finish(**_kwargs: Any) -> None:
    """Django's request_finished: the request's lines are all written (its 4xx/5xx line included)."""
    _CONTEXT.set({})


class AddContext(logging.Filter):
    """Puts the request id, organization id, task name and task id (or None) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        values = _CONTEXT.get()
        for name in CONTEXT_FIELDS:
            setattr(record, name, values.get(name))
        return True


class JsonFormatter(jsonlogger.JsonFormatter):
    """`LOG_FORMAT=json`: one JSON object a line with timestamp, level, logger, message, request_id,
    organization_id, task_name and task_id. Every string in it is redacted like plain lines; objects
    Django attaches (the request, the server's socket) are left out, as their text holds the path."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            "{levelname}{name}{message}{request_id}{organization_id}{task_name}{task_id}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
            reserved_attrs=[*jsonlogger_core.RESERVED_ATTRS, "request", "server_time", "status_code"],
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: redact(value) if isinstance(value, str) else value for key, value in log_data.items()}
