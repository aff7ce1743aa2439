"""In Debian's chromium at 1280 and 390 px: the PagerDuty card's freshness lines (issue 26) fit."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_card_says_how_fresh_and_how_much_of_the_budget_at_each_width(admin_at_width, org):
    from integrations.pagerduty.models import PagerDutyConnection
    from rotations.models import Rotation
    from tests.factories import PagerDutyConnectionFactory

    PagerDutyConnectionFactory(organization=org, change_detection="full_fetches", refetch_wait_seconds=3)
    Rotation.objects.create(organization=org, name="Primary", time_zone="UTC", pagerduty_schedule_id="PSCHED1")
    page = admin_at_width
    page.goto("/settings/integrations/")
    freshness = page.get_by_test_id("pd-freshness")
    expect(freshness).to_contain_text("Changes in PagerDuty reach Roster within about 35 s.")
    expect(freshness).to_contain_text("oncalls.read")
    expect(freshness).to_contain_text("0 in the last minute, of a background budget of 480 a minute")
    assert_fits(page)

    PagerDutyConnection.objects.filter(organization=org).update(change_detection="oncalls")
    page.reload()
    expect(page.get_by_test_id("pd-freshness")).to_contain_text("follow the full sync: within about 305 s")
    assert_fits(page)
