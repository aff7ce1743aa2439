"""In Debian's chromium: an admin invites a teammate from Settings → Members with the keyboard, the
link is emailed (never shown), and the teammate opens it, creates an account and lands in the organization."""

import re

import pytest
from playwright.sync_api import expect

from accounts import services
from accounts.models import Membership
from tests.browser.conftest import assert_fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_invites_a_teammate_who_joins_from_the_link(signed_in_page, browser, org, live_server, mailoutbox):
    page = signed_in_page
    page.goto("/settings/integrations/")
    page.get_by_role("link", name="Members").click()
    expect(page.get_by_role("heading", name="Settings → Members")).to_be_visible()

    page.get_by_role("link", name="Invite someone").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=f"Invite someone to {org.name}")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Email").fill("Teammate@Example.com")
    dialog.get_by_label("Role").select_option("member")
    dialog.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_text("Invitation emailed to teammate@example.com.")).to_be_visible()
    expect(page.get_by_test_id("invitations")).to_contain_text("teammate@example.com")
    expect(page.get_by_label("Invitation link")).to_have_count(0)  # the link goes to the mailbox only
    assert [m.to for m in mailoutbox] == [["teammate@example.com"]]
    link = re.search(r"https://roster\.example\.com/invitations/\S+/", mailoutbox[0].body).group(0)
    assert link not in page.content()

    teammate = browser.new_context(base_url=live_server.url).new_page()
    teammate.goto(link.removeprefix("https://roster.example.com"))
    expect(teammate.get_by_role("heading", name=f"Join {org.name}")).to_be_visible()
    teammate.get_by_label("First name").fill("Tess")
    teammate.get_by_label("Password").fill("a-long-enough-passphrase-19")
    teammate.get_by_role("button", name="Create my account and join").click()
    teammate.wait_for_url("**/settings/integrations/")
    assert Membership.objects.get(organization=org, user__email="teammate@example.com").role == "member"

    teammate.goto(link.removeprefix("https://roster.example.com"))  # opened again by who joined: into Acme
    teammate.wait_for_url("**/settings/integrations/")
    teammate.context.close()
    stranger = browser.new_context(base_url=live_server.url).new_page()
    stranger.goto(link.removeprefix("https://roster.example.com"))  # single use
    expect(stranger.get_by_role("heading", name="This invitation can no longer be used")).to_be_visible()
    stranger.context.close()


def test_re_sending_an_invitation_too_often_says_when_to_try_again(admin_at_width, org, mailoutbox):
    """The eleventh email to one address within the hour: the invite dialog opens with the sentence
    beside the address (429), and nothing is sent."""
    for _ in range(10):
        services.invitation_create(organization=org, email="teammate@example.com", role="member")
    page = admin_at_width
    page.goto("/settings/members/")
    page.get_by_test_id("invitations").get_by_role("button", name="Re-send").click()
    dialog = page.get_by_role("dialog", name=f"Invite someone to {org.name}")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Too many emails to teammate@example.com: try again in 60 minutes.")).to_be_visible()
    assert dialog.get_by_label("Email").get_attribute("aria-invalid") == "true"
    assert len(mailoutbox) == 10
    assert_fits(page)
