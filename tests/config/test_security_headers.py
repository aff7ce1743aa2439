"""Every page carries a Content-Security-Policy (only this site's own scripts, styles and images,
no framing) beside Django's other security headers; the JSON API and the admin too."""

import pytest

PAGES = [
    "/settings/integrations/",
    "/rotations/",
    "/rotations/new/",
    "/settings/members/",
    "/settings/api-tokens/",
    "/admin/",
    "/api/rotations/",
]


@pytest.mark.parametrize("path", PAGES)
def test_a_signed_in_admin_gets_every_page_with_a_content_security_policy(admin_client, admin_user, path):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()

    response = admin_client.get(path)

    assert response.status_code == 200
    policy = [part.strip() for part in response["Content-Security-Policy"].split(";")]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self'" in policy  # a form injected into a page cannot post elsewhere
    assert "base-uri 'none'" in policy  # nor a <base> tag move the page's relative URLs
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_sign_in_page_has_a_content_security_policy(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
