"""Links a person follows from outside Roster's pages (emails, Slack, calendar feeds, PagerDuty):
absolute, on PUBLIC_BASE_URL."""

from django.conf import settings
from django.urls import reverse


def public_url(viewname: str, *args: object) -> str:
    """The page `viewname` (reversed with `args`) at PUBLIC_BASE_URL."""
    return settings.PUBLIC_BASE_URL + reverse(viewname, args=args)
