"""In Debian's chromium at 1280 and 390 px: a person in two organizations switches between them from
the top bar, on the page they were on, and sees only the chosen one's rotations."""

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from rotations import services as rotations
from tests.browser.conftest import assert_fits, open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_in_two_organizations_switches_from_the_top_bar(admin_at_width, org, other_org, admin_user):
    Membership.objects.create(user=admin_user, organization=other_org, role=Membership.Role.MEMBER)
    rotations.rotation_create(organization=org, name="Acme primary", time_zone="UTC", members=[])
    rotations.rotation_create(organization=other_org, name="Globex nights", time_zone="UTC", members=[])
    page = admin_at_width
    page.goto("/rotations/")
    expect(page.get_by_role("link", name="Acme primary")).to_be_visible()
    expect(page.get_by_text("Globex nights")).to_have_count(0)

    open_menu(page)
    page.get_by_label("Organization").select_option(label=other_org.name)
    page.get_by_role("button", name="Switch").click()
    page.wait_for_url("**/rotations/")
    expect(page.get_by_role("link", name="Globex nights")).to_be_visible()
    expect(page.get_by_text("Acme primary")).to_have_count(0)
    open_menu(page)
    expect(page.get_by_label("Organization")).to_have_value(str(other_org.pk))
    assert_fits(page)
