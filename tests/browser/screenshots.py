"""`make screenshots`: a PNG of every page (tests/browser/pages.py) at 1280 and 390 px wide, in
test-artifacts/screenshots/<width>/<page>.png, from a seeded app (the test database, the local fake
PagerDuty). Not part of `make test` (its name is not test_*.py); it fails like test_layout.py when a
page is wider than its window."""

from pathlib import Path

import pytest

from tests.browser.conftest import WIDTHS, assert_fields_styled, assert_fits, sign_in
from tests.browser.pages import NOT_CONNECTED, connected_pages, seed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def shoot(contexts: dict, targets) -> list[str]:
    saved = []
    for width, page in contexts.items():
        folder = OUT / str(width)
        folder.mkdir(parents=True, exist_ok=True)
        for target in targets:
            page.goto(target.path)
            if target.dialog:
                page.locator(f"dialog#{target.dialog}").wait_for(state="visible")
            assert_fits(page)
            assert_fields_styled(page)
            path = folder / f"{target.name}.png"
            page.screenshot(path=str(path), full_page=target.whole and not target.dialog)
            saved.append(str(path.relative_to(OUT.parents[1])))
    return saved


def test_screenshots_of_every_page(browser, live_server, org, admin_user, fake_pagerduty, fake_slack):
    contexts = {}
    for width in WIDTHS:
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 860})
        contexts[width] = context.new_page()
    for width, page in contexts.items():
        page.goto("/accounts/login/")
        assert_fits(page)
        (OUT / str(width)).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUT / str(width) / "sign-in.png"), full_page=True)
        sign_in(page, admin_user.email)
    saved = shoot(contexts, NOT_CONNECTED)
    saved += shoot(contexts, connected_pages(seed(org, admin_user, fake_slack)))
    phone = contexts[min(WIDTHS)]
    phone.goto("/rotations/")
    phone.get_by_text("Menu", exact=True).click()  # the navigation, unfolded
    phone.screenshot(path=str(OUT / str(min(WIDTHS)) / "menu-open.png"))
    saved.append("menu-open")
    for page in contexts.values():
        page.context.close()
    print(f"\n{len(saved) + len(WIDTHS)} screenshots in {OUT}")
