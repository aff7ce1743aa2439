"""In Debian's chromium at 1280 and 390 px: no page an admin clicks through scrolls sideways, open
dialogs fit the screen, the navigation folds into a menu on a phone and marks the current page, and
settings pages share a sub-navigation."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_fields_styled, assert_fits, open_menu, signed_in
from tests.browser.pages import NOT_CONNECTED, connected_pages, seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def visit(page, target) -> None:
    response = page.goto(target.path)
    assert response.status < 500, f"{target.path} answered {response.status}"
    if target.dialog:
        dialog = page.locator(f"dialog#{target.dialog}")
        expect(dialog).to_be_visible()
        # Opened as a modal: the rest of the page is inert behind it.
        assert page.evaluate(f"document.getElementById('{target.dialog}').matches(':modal')")
    assert_fits(page)
    assert_fields_styled(page)


def test_every_page_fits_the_screen(admin_at_width, org, admin_user, fake_pagerduty, fake_slack):
    page = admin_at_width
    for target in NOT_CONNECTED:
        visit(page, target)
    data = seed(org, admin_user, fake_slack)
    for target in connected_pages(data):
        visit(page, target)


def test_the_sign_in_page_fits(page_at_width, db):
    page = page_at_width
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in to Roster")).to_be_visible()
    assert_fits(page)


def test_the_navigation_marks_the_current_page_and_folds_into_a_menu_on_a_phone(admin_at_width, width):
    page = admin_at_width
    page.goto("/rotations/")
    nav = page.get_by_role("navigation", name="Main")
    if width < 800:
        expect(nav).to_be_hidden()
        page.get_by_text("Menu", exact=True).click()
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Rotations")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Settings")).not_to_have_attribute("aria-current", "page")
    assert_fits(page)

    nav.get_by_role("link", name="Settings").click()
    page.wait_for_url("**/settings/integrations/")
    settings = page.get_by_role("navigation", name="Settings")
    expect(settings.get_by_role("link", name="Integrations")).to_have_attribute("aria-current", "page")
    settings.get_by_role("link", name="Members").click()
    page.wait_for_url("**/settings/members/")
    expect(settings.get_by_role("link", name="Members")).to_have_attribute("aria-current", "page")
    expect(settings.get_by_role("link", name="Integrations")).not_to_have_attribute("aria-current", "page")
    open_menu(page)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")).to_have_attribute(
        "aria-current", "true"
    )
    if width < 800:  # the open menu covers the page until it is closed again
        page.get_by_text("Menu", exact=True).click()
    settings.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    assert_fits(page)


def test_a_missing_page_is_a_styled_404_and_the_favicon_is_served(page, admin_user):
    response = page.goto("/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    # Styled: base.css applied (the top bar is dark), not Django's bare page.
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor") == "rgb(16, 24, 40)"
    icon = page.request.get("/favicon.ico")
    assert icon.ok and icon.headers["content-type"].startswith("image/svg+xml")
    assert page.locator("link[rel=icon]").get_attribute("href").endswith("favicon.svg")


def test_the_width_check_fails_on_a_page_wider_than_its_window(browser):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_content('<body style="margin:0"><div id="wide" style="width:600px">too wide</div></body>')
    with pytest.raises(AssertionError, match=r"600 px wide in a 390 px window; too wide: \['div#wide"):
        assert_fits(page)
    context.close()


def test_support_reads_the_deliveries_list_at_1280_px(browser, live_server, org, other_org, admin_user):
    from django.utils import timezone

    from webhooks.models import Delivery

    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    for organization, status in ((org, Delivery.Status.PROCESSED), (other_org, Delivery.Status.FAILED)):
        Delivery.objects.create(
            organization=organization,
            raw_body=b"{}",
            verified=True,
            event_type="incident.custom_field_values.updated",
            incident_ref="Q1SCREENSHOT0A",
            status=status,
            error="OperationalError: could not connect to server: Connection refused " * 5
            if status == Delivery.Status.FAILED
            else "",
            received_at=timezone.now(),
        )
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    signed_in(page, admin_user, live_server.url)
    page.goto("/admin/webhooks/delivery/")
    expect(page.get_by_role("heading", name="Select webhook delivery to change")).to_be_visible()
    expect(page.locator("#changelist-filter summary", has_text="By organization")).to_have_count(1)
    assert_fits(page)
    context.close()
