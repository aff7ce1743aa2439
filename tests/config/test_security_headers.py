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
    form_action = next(part for part in policy if part.startswith("form-action"))
    # A form injected into a page cannot post elsewhere (Integrations: its providers' sign-in pages too).
    assert form_action.startswith("form-action 'self'")
    assert form_action == "form-action 'self'" or path == "/settings/integrations/"
    assert "base-uri 'none'" in policy  # nor a <base> tag move the page's relative URLs
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_sign_in_page_has_a_content_security_policy(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_only_the_integrations_page_lets_its_sign_in_forms_go_to_the_providers(admin_client, settings):
    """form-action 'self' everywhere, and on Settings → Integrations also PagerDuty's and Slack's
    authorize origins (Connect with OAuth, Refresh Connection and Add to Slack redirect there)."""
    settings.PAGERDUTY_IDENTITY_URL = "https://identity.pagerduty.com"
    settings.SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"

    def form_action(url: str) -> str:
        policy = admin_client.get(url)["Content-Security-Policy"]
        return next(part.strip() for part in policy.split(";") if part.strip().startswith("form-action"))

    assert form_action("/settings/integrations/") == (
        "form-action 'self' https://identity.pagerduty.com https://slack.com"
    )
    assert form_action("/settings/members/") == "form-action 'self'"
