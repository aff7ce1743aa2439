"""Browser tests: Debian's chromium driven by Playwright (never a downloaded browser build)."""

import os
import shutil
import tempfile

import pytest

# Debian's packages of one Chromium build, never a downloaded one. The headless shell (package
# chromium-headless-shell) is that build without the desktop browser around it, what Playwright itself
# runs headless tests in: Blink lays the pages out the same, for less than half the CPU (the 94 tests:
# 105 CPU-s against 241, bench/browser_cpu.py). Debian's chromium is the fallback where it is missing;
# ROSTER_BROWSER names one (the bench compares them).
BROWSERS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
MISSING = "Debian's chromium is not installed (apt-get install chromium-headless-shell)"


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("ROSTER_BROWSER") or next((p for p in BROWSERS if os.path.exists(p)), None)
    if executable is None:
        if os.environ.get("ROSTER_REQUIRE_BROWSER"):
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM (the tests' own data
    # set-up) must be allowed to run beside it — for browser tests only.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    profile = tempfile.mkdtemp(prefix="roster-chromium-")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    shutil.rmtree(profile, ignore_errors=True)
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def new_page(browser, url: str, *, timeout: float = 15_000, **options):
    """A blank page on `url` in a browser context of its own (another session); page.context.close() closes it."""
    page = browser.new_context(base_url=url, **options).new_page()
    page.set_default_timeout(timeout)
    return page


@pytest.fixture
def page(browser, live_server):
    page = new_page(browser, live_server.url)
    yield page
    page.context.close()


@pytest.fixture
def signed_in_page(page, admin_user, live_server):
    """A blank page in the browser of Acme's admin, signed in."""
    signed_in(page, admin_user, live_server.url)
    return page


# --- Layout: every page fits its screen -----------------------------------------------------------

WIDTHS = (1280, 390)  # a laptop, a phone (iPhone 12–15)

_OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > width + 1 && e.getClientRects().length)
    .filter((e) => !e.closest(".table-scroll, .visually-hidden, dialog:not([open])"))
    .slice(0, 5)
    .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className ? "." + String(e.className).split(" ").join(".") : ""} (right edge ${Math.round(e.getBoundingClientRect().right)})`);
  const dialogs = [...document.querySelectorAll("dialog[open]")]
    .filter((d) => d.getBoundingClientRect().width > width || d.scrollWidth > d.clientWidth + 1)
    .map((d) => `dialog#${d.id} (${Math.round(d.getBoundingClientRect().width)} px, content ${d.scrollWidth} px)`);
  return {scrollWidth: document.documentElement.scrollWidth, width, wide, dialogs};
}"""


def assert_fits(page) -> None:
    """Fail when the page scrolls sideways (the document is wider than the window), or an open
    dialog is wider than the screen or than itself; the message names the widest elements."""
    # Measure the page as styled: after a click, the new document's stylesheets may still be loading
    # (seen in CI under load: the system status table measured without its overflow box).
    page.wait_for_load_state("load")
    found = page.evaluate(_OVERFLOW)
    assert found["scrollWidth"] <= found["width"], (
        f"{page.url} is {found['scrollWidth']} px wide in a {found['width']} px window; too wide: {found['wide']}"
    )
    assert not found["dialogs"], f"{page.url}: a dialog does not fit a {found['width']} px screen: {found['dialogs']}"


_UNSTYLED = """() => [...document.querySelectorAll("input, select, textarea")]
  .filter((e) => !["hidden", "checkbox", "radio", "submit", "button"].includes(e.type) && e.offsetParent !== null)
  .filter((e) => parseFloat(getComputedStyle(e).paddingTop) < 4 || getComputedStyle(e).borderTopLeftRadius === "0px")
  .map((e) => `${e.tagName.toLowerCase()}#${e.id || e.name}`)"""


def assert_fields_styled(page) -> None:
    """Fail when a visible text field, list or text area has the browser's bare look (base.css
    styles fields by type: an <input> without one is missed)."""
    bare = page.evaluate(_UNSTYLED)
    assert not bare, f"{page.url}: fields without Roster's style (a missing type=?): {bare}"


@pytest.fixture(params=WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def width(request) -> int:
    return request.param


def sign_in(page, email: str) -> None:
    """Sign in through the sign-in page, as a person does (and land on Settings → Integrations)."""
    from tests.conftest import PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/settings/integrations/")


def signed_in(page, user, url: str) -> None:
    """Give the page's browser `user`'s session, as the test client's force_login makes one: for the
    tests whose subject comes after signing in (sign_in() above goes through the sign-in page, and
    tests of signing in use that). Saves two page loads a test."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": session.key, "value": session.value, "url": url}])


@pytest.fixture
def page_at_width(browser, live_server, width):
    """A blank page, signed in as nobody, in a window `width` px wide (run at 1280 and at 390)."""
    page = new_page(browser, live_server.url, viewport={"width": width, "height": 900})
    yield page
    page.context.close()


@pytest.fixture
def admin_at_width(page_at_width, admin_user, live_server):
    """Acme's admin, signed in, on a blank page at `width`."""
    signed_in(page_at_width, admin_user, live_server.url)
    return page_at_width


@pytest.fixture
def member_at_width(page_at_width, member_user, live_server):
    """A plain member of Acme, signed in, on a blank page at `width`."""
    signed_in(page_at_width, member_user, live_server.url)
    return page_at_width


def back_on_the_card(page, card, *, said: str, status: str) -> None:
    """A provider sent the browser back: Settings → Integrations says `said`, and the card (whose
    status line is data-testid="<prefix>-status") shows `status`."""
    from playwright.sync_api import expect

    page.wait_for_url("**/settings/integrations/")
    expect(page.get_by_role("status")).to_contain_text(said)
    prefix = "pd" if card.get_attribute("id") == "pagerduty" else card.get_attribute("id")
    expect(card.get_by_test_id(f"{prefix}-status")).to_have_text(status)


def open_menu(page) -> None:
    """On a phone the navigation is folded into Menu: open it (a no-op where it is shown)."""
    menu = page.locator("details.menu")
    if menu.locator("summary").is_visible() and menu.get_attribute("open") is None:
        menu.locator("summary").click()


def deliver_signed(page, endpoint: str, body: bytes, *, secret: str, webhook_id: str) -> None:
    """POST `body` to the organization's PagerDuty receiver from the page's browser, signed with
    `secret` as PagerDuty signs it; the receiver takes it (202)."""
    from webhooks.signature import header_for

    response = page.request.post(
        f"/webhooks/pagerduty/{endpoint}/",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-PagerDuty-Signature": header_for(body, (secret,)),
            "X-Webhook-Id": webhook_id,
        },
    )
    assert response.status == 202, response.text()
