"""In Debian's chromium at 1280 and 390 px: every destructive action asks the same way — a dialog
saying what will happen, a checkbox beside its label that must be ticked, then the button — and a
form that fails comes back inside its dialog with the values kept and the focus on the error."""

import pytest
from playwright.sync_api import expect

from accounts import services as accounts
from accounts.models import ApiToken, Membership, User
from integrations.pagerduty import services as pagerduty
from integrations.pagerduty.models import PagerDutyConnection
from rotations import services as rotations
from rotations.models import Rotation
from tests.browser.conftest import assert_fits
from webhooks import services as webhooks
from webhooks.models import WebhookSecret

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def confirm(page, *, opener, title: str, check: str, button: str):
    """Open a confirmation with `opener`, check it refuses until ticked, tick it, confirm it."""
    opener.click()
    dialog = page.get_by_role("dialog", name=title)
    expect(dialog).to_be_visible()
    assert_fits(page)
    box = dialog.get_by_role("checkbox", name=check)
    label = dialog.locator(f"label[for='{box.get_attribute('id')}']")
    box_at, label_at = box.bounding_box(), label.bounding_box()
    # Beside its label: on the label's first line, just left of it.
    assert box_at["x"] + box_at["width"] <= label_at["x"] <= box_at["x"] + box_at["width"] + 16, (box_at, label_at)
    assert abs((box_at["y"] + box_at["height"] / 2) - (label_at["y"] + 12)) < 12, (box_at, label_at)
    dialog.get_by_role("button", name=button, exact=True).click()
    expect(dialog).to_be_visible()  # not ticked: nothing happens
    assert box.evaluate("(box) => !box.validity.valid")
    label.click()  # the label ticks it
    expect(box).to_be_checked()
    dialog.get_by_role("button", name=button, exact=True).click()
    return dialog


def test_an_admin_revokes_a_token_after_confirming(admin_at_width, org, admin_user):
    token, _ = accounts.api_token_create(organization=org, name="Deploy script", scope="write", created_by=admin_user)
    page = admin_at_width
    page.goto("/settings/api-tokens/")
    dialog = confirm(
        page,
        opener=page.get_by_role("link", name="Revoke Deploy script"),
        title="Revoke the token “Deploy script”?",
        check=f"Yes, revoke the token ending in {token.last4}",
        button="Revoke",
    )
    expect(page.get_by_role("status")).to_contain_text("The API token was revoked.")
    expect(dialog).to_have_count(0)
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert_fits(page)


def test_removing_the_last_signing_secret_says_deliveries_will_be_held(admin_at_width, org):
    secret, _ = webhooks.webhook_secret_add(organization=org, secret="whsec-only-secret-0042")
    page = admin_at_width
    page.goto("/settings/integrations/")
    page.get_by_role("link", name="Remove the secret ending in 0042").click()
    dialog = page.get_by_role("dialog", name="Remove the signing secret ending in 0042?")
    expect(dialog).to_contain_text("It is the only secret: until another is saved, deliveries are held, not processed")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    confirm(
        page,
        opener=page.get_by_role("link", name="Remove the secret ending in 0042"),
        title="Remove the signing secret ending in 0042?",
        check="Yes, remove it and hold deliveries",
        button="Remove secret",
    )
    expect(page.get_by_test_id("wh-secrets")).to_contain_text("None yet: deliveries are held")
    assert not WebhookSecret.objects.filter(pk=secret.pk).exists()


def test_an_admin_removes_a_member_after_confirming(admin_at_width, org, member_user):
    page = admin_at_width
    page.goto("/settings/members/")
    row = page.get_by_test_id("members").get_by_role("row").filter(has_text=member_user.email)
    confirm(
        page,
        opener=row.get_by_role("link", name="Remove"),
        title=f"Remove {member_user.email} from {org.name}?",
        check=f"Yes, remove {member_user.email}",
        button="Remove",
    )
    expect(page.get_by_role("status")).to_contain_text(f"{member_user.email} was removed from {org.name}.")
    assert not Membership.objects.filter(user=member_user, organization=org).exists()
    assert User.objects.filter(pk=member_user.pk).exists()


def test_an_admin_disconnects_pagerduty_after_confirming(admin_at_width, org, fake_pagerduty):
    pagerduty.connection_connect_api_key(organization=org, api_key="u+fakeUserKey0001", region="us", actor=None)
    page = admin_at_width
    page.goto("/settings/integrations/")
    confirm(
        page,
        opener=page.locator("#pagerduty").get_by_role("link", name="Disconnect"),
        title="Disconnect PagerDuty?",
        check="Yes, disconnect PagerDuty",
        button="Disconnect",
    )
    expect(page.get_by_role("status")).to_contain_text("PagerDuty disconnected; Roster deleted its credentials.")
    assert not PagerDutyConnection.objects.exists()


def test_a_refused_invitation_comes_back_in_its_dialog_with_the_values_kept(admin_at_width, org, member_user):
    page = admin_at_width
    page.goto("/settings/members/")
    page.get_by_role("link", name="Invite someone").click()
    dialog = page.get_by_role("dialog", name=f"Invite someone to {org.name}")
    dialog.get_by_label("Email").fill(member_user.email.upper())
    dialog.get_by_label("Role").select_option("admin")
    dialog.get_by_role("button", name="Send invitation").click()
    dialog = page.get_by_role("dialog", name=f"Invite someone to {org.name}")
    email = dialog.get_by_label("Email")
    expect(email).to_be_focused()
    expect(email).to_have_value(member_user.email.upper())
    expect(dialog.get_by_label("Role")).to_have_value("admin")
    expect(email).to_have_attribute("aria-invalid", "true")
    error = dialog.locator(f"#{email.get_attribute('aria-describedby').split()[-1]}")
    expect(error).to_have_text(f"{member_user.email} is already a member of {org.name}.")
    # Beside its field: right under it, inside the dialog.
    field_at, error_at = email.bounding_box(), error.bounding_box()
    assert 0 <= error_at["y"] - (field_at["y"] + field_at["height"]) < 12
    assert_fits(page)


def test_an_admin_deletes_a_rotation_after_confirming(admin_at_width, org):
    rotation = rotations.rotation_create(
        organization=org, name="Platform", time_zone="Europe/Paris", members=[("Ana", "ana@acme.example")]
    )
    page = admin_at_width
    page.goto(f"/rotations/{rotation.pk}/")
    confirm(
        page,
        opener=page.get_by_role("link", name="Delete rotation"),
        title="Delete Platform?",
        check="Yes, delete Platform",
        button="Delete rotation",
    )
    expect(page.get_by_role("status")).to_contain_text("Rotation “Platform” deleted.")
    assert not Rotation.objects.filter(pk=rotation.pk).exists()


def test_an_admin_removes_someone_from_a_rotation_after_confirming(admin_at_width, org):
    rotation = rotations.rotation_create(
        organization=org,
        name="Platform",
        time_zone="Europe/Paris",
        members=[("Ana", "ana@acme.example"), ("Bo", "bo@acme.example")],
    )
    page = admin_at_width
    page.goto(f"/rotations/{rotation.pk}/")
    confirm(
        page,
        opener=page.get_by_role("link", name="Remove Bo"),
        title="Remove Bo?",
        check="Yes, remove Bo",
        button="Remove",
    )
    expect(page.get_by_test_id("members")).not_to_contain_text("Bo")
    assert list(rotation.members.values_list("name", flat=True)) == ["Ana"]
