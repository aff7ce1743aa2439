"""Logging filters. Django logs the path of every 4xx/5xx response (`django.request`), of CSRF
failures and disallowed hosts (`django.security.*`) and, under runserver, of every request
(`django.server`). Some paths hold a credential: an invitation link's token (joins an organization),
a webhook URL's endpoint id (posts deliveries to it), a calendar feed's token (`/cal/<token>.ics`:
reads shifts) and a reminder email's unsubscribe token (`/unsubscribe/<token>/`). Each is redacted
before any handler writes it: every handler in settings.LOGGING has this filter, and settings route
`django` and `django.server` to such handlers (Django's own defaults have no filter)."""

import logging
import re

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
