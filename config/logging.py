"""Logging filters. Django logs the path of every 4xx/5xx response (`django.request`) and of CSRF
failures (`django.security.csrf`); an invitation link's path holds a token that lets its holder
join an organization, and a webhook URL's path holds the endpoint id that lets its holder post
deliveries to an organization, so both are redacted before any handler writes them."""

import logging
import re

SECRET_PATHS = re.compile(r"(/invitations/|/webhooks/pagerduty/)[^/\s?#]+")


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
