"""config.retry_after: the one reader of Retry-After, for PagerDuty, Slack and outgoing webhooks."""

import datetime as dt

import pytest

from config.retry_after import MAXIMUM, seconds

NOW = dt.datetime(2026, 10, 21, 7, 28, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "wait"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        (b"30", 30.0),
        ("-5", 0.0),  # never negative
        ("Wed, 21 Oct 2026 07:30:00 GMT", 120.0),  # an HTTP-date: seconds from now
        ("Wed, 21 Oct 2026 07:00:00 GMT", 0.0),  # already past
        ("999999999", MAXIMUM),  # bounded
        ("Fri, 21 Oct 2050 07:30:00 GMT", MAXIMUM),
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_seconds_or_an_http_date_bounded(value, wait):
    assert seconds(value, now=NOW) == wait


def test_a_caller_bounds_it_lower():
    assert seconds("7200", maximum=60) == 60
