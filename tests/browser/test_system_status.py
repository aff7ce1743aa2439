"""In Debian's chromium at 1280 and 390 px: support staff open Django admin → System status, see the
organization that needs attention first, and follow its failed notifications to the rows."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fits
from tests.ops.test_system_status import troubled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_follow_a_failing_organization_to_its_notifications(admin_at_width, admin_user, org, other_org):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    troubled(other_org)
    page = admin_at_width
    page.goto("/admin/")
    page.get_by_test_id("system-status-link").click()
    expect(page.get_by_test_id("status-summary")).to_contain_text("1 needs attention")
    table = page.get_by_test_id("status-table")
    expect(table.locator("tbody tr").first).to_contain_text(other_org.name)
    expect(table).to_contain_text("Roster is not in #ops")
    assert_fits(page)
    table.get_by_role("link", name="slack: 1 failed").click()
    expect(page.locator("#result_list")).to_contain_text("Failed")
    assert "status=failed" in page.url
