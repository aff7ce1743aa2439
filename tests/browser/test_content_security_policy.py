"""In Debian's chromium, under the Content-Security-Policy: no page has an inline script or style
the browser refuses, and the dialogs (static JavaScript) still open."""

import pytest

from rotations import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_page_breaks_the_content_security_policy(signed_in_page, org):
    rotation = services.rotation_create(
        organization=org, name="Platform", time_zone="Europe/Paris", members=[("Ana", "ana@acme.example")]
    )
    page = signed_in_page
    refused = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )

    for path in [
        "/settings/integrations/",
        "/rotations/",
        f"/rotations/{rotation.pk}/",
        "/rotations/new/",
        "/settings/members/",
        "/settings/api-tokens/",
    ]:
        response = page.goto(path)
        assert "default-src 'self'" in response.headers["content-security-policy"]
        # The page's own stylesheets loaded and apply (a style-src refusal would leave none).
        assert page.evaluate("[...document.styleSheets].filter((sheet) => sheet.cssRules.length).length") >= 1, path

    page.goto("/settings/members/")
    page.get_by_role("link", name="Invite").first.click()
    assert page.locator("dialog[open]").count() == 1
    assert refused == []
