"""With a real PostgreSQL, Redis and Celery worker, against the fake PagerDuty: a take PagerDuty could
not answer is finished by the worker's `apply_cover`, exactly once (adopting the override a lost answer
left behind, or retrying after the wait PagerDuty asked for)."""

from __future__ import annotations

import pytest

from covers.models import CoverRequest
from tests.conftest import wait_for

from .test_pagerduty import ask, bound, take
from .test_pagerduty import fake as fake  # noqa: F401, PLC0414  (the fixture)

pytestmark = pytest.mark.services

OVERRIDES = r"/schedules/(?P<id>\w+)/overrides"


def real_create(fake):  # noqa: F811
    return next(h for m, p, h in fake._routes if m == "POST" and p.pattern == f"^{OVERRIDES}$")


def applied(pk):
    return CoverRequest.objects.filter(pk=pk, apply_state="applied").first()


def test_the_worker_adopts_the_override_whose_answer_was_lost(real_celery_worker, org, pd_connection, fake):  # noqa: F811
    rotation = bound(org)
    made = ask(rotation)
    create, answers = real_create(fake), []

    def created_then_lost(fake_, request, match):
        answer = create(fake_, request, match)
        answers.append(answer[0])
        return (503, {"error": {"message": "Service Unavailable"}}) if len(answers) == 1 else answer

    fake.route("POST", OVERRIDES, created_then_lost)

    assert take(rotation, made).apply_state == "pending"

    done = wait_for(lambda: applied(made.pk), timeout=60)
    (override,) = fake.overrides_of("PCLASSIC")
    assert done.pagerduty_override_id == override.id
    assert len(answers) == 1  # listed and adopted: never created again
    assert done.taker_name == "Dan Moe"


def test_the_worker_retries_after_the_wait_pagerduty_asked_for(real_celery_worker, org, pd_connection, fake):  # noqa: F811
    rotation = bound(org)
    made = ask(rotation)
    create, throttled = real_create(fake), []

    def throttled_twice(fake_, request, match):
        if len(throttled) < 2:  # the take's own try, then the worker's first
            throttled.append(request.path)
            return 429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}}, {"Retry-After": "1"}
        return create(fake_, request, match)

    fake.route("POST", OVERRIDES, throttled_twice)

    assert take(rotation, made).apply_state == "pending"

    done = wait_for(lambda: applied(made.pk), timeout=60)
    assert len(throttled) == 2
    (override,) = fake.overrides_of("PCLASSIC")
    assert done.pagerduty_override_id == override.id
