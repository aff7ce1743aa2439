"""In Debian's chromium, on a phone and a desktop: the rotation page lists its notifications with
their result, a failure's reason in plain words, and nothing wider than the screen."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from notifications.models import Notification
from rotations import services
from rotations.models import Handoff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
def test_the_rotation_page_lists_notifications_and_why_one_failed(signed_in_page, org, width):
    rotation = services.rotation_create(organization=org, name="Platform", time_zone="UTC", members=[])
    handoff = Handoff.objects.create(rotation=rotation, at=timezone.now(), to_label="Ana Ortiz", to_key="m1")
    common = {"organization": org, "rotation": rotation, "handoff": handoff, "source_at": handoff.at}
    Notification.objects.create(
        **common, source="h", channel="slack", target="channel:C024BE91L", kind="slack.message", status="sent",
        attempts=1, sent_at=timezone.now(),
    )  # fmt: skip
    Notification.objects.create(
        **common, source="h", channel="webhook", target="https://hooks.example.com/" + "x" * 120,
        kind="webhook.handoff", status="failed", attempts=5,
        last_error="Gave up after 5 attempts: https://hooks.example.com/" + "y" * 100 + " answered HTTP 503.",
    )  # fmt: skip

    page = signed_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/rotations/{rotation.pk}/")

    section = page.get_by_test_id("notifications")
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(section.locator("li[data-status=sent]")).to_contain_text("Sent")
    expect(section.locator("li[data-status=failed]")).to_contain_text("Gave up after 5 attempts")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
