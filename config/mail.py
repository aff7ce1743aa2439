"""Every email Roster sends is made here, so each carries what automatic mail should."""

from django.core.mail import EmailMessage

# RFC 3834: a machine sent it, so out-of-office and other automatic replies are not sent back to Roster.
AUTOMATIC = {"Auto-Submitted": "auto-generated"}


def email(*, subject: str, body: str, to: str, headers: dict[str, str] | None = None) -> EmailMessage:
    """One email to one person (nobody reads another recipient's address); `send()` it."""
    return EmailMessage(subject=subject, body=body, to=[to], headers={**AUTOMATIC, **(headers or {})})
