import re

import pytest

from accounts.models import AuditEvent
from tests.rotations.test_pages import confirm_refused


def _shown_url(page) -> str:
    match = re.search(r'value="(https://roster\.example\.com/cal/[^"]+\.ics)" id="calendar-url"', page)
    assert match, "no feed URL on the page"
    return match.group(1)


@pytest.fixture
def member(client, member_user):
    client.force_login(member_user)
    return client


def test_a_member_creates_the_rotation_s_calendar_url_and_sees_it_only_once(member, native):
    answer = member.post(f"/rotations/{native.pk}/calendar/", {"alarm_minutes": "60"}, follow=True)
    page = answer.content.decode()
    url = _shown_url(page)
    assert "it will not be shown again" in page
    assert 'href="webcal://roster.example.com/cal/' in page
    assert "From URL" in page
    assert "with a reminder 60 minutes before each shift" in page
    assert b"BEGIN:VALARM" in member.get(url.removeprefix("https://roster.example.com")).content
    again = member.get(f"/rotations/{native.pk}/").content.decode()
    assert url not in again and "Your feed is active" in again and "Regenerate URL" in again


def test_regenerate_and_revoke_from_the_rotation_page(member, native):
    first = _shown_url(member.post(f"/rotations/{native.pk}/calendar/", follow=True).content.decode())
    second = _shown_url(member.post(f"/rotations/{native.pk}/calendar/", follow=True).content.decode())
    assert member.get(first.removeprefix("https://roster.example.com")).status_code == 404
    confirm_refused(member, f"/rotations/{native.pk}/calendar/revoke/", "revoke-calendar")
    assert member.get(second.removeprefix("https://roster.example.com")).status_code == 200
    done = member.post(f"/rotations/{native.pk}/calendar/revoke/", {"confirm": "on"}, follow=True).content.decode()
    assert "its URL no longer works" in done and "Create calendar URL" in done
    assert member.get(second.removeprefix("https://roster.example.com")).status_code == 404
    assert AuditEvent.objects.filter(action="calendar_feed.revoked", actor_label="member@acme.example").exists()


def test_my_shifts_page_makes_a_personal_feed_reachable_from_the_rotations_list(member, native):
    assert "My shifts in my calendar" in member.get("/rotations/").content.decode()
    page = member.post("/rotations/my-calendar/", follow=True).content.decode()
    assert "member@acme.example" in page
    url = _shown_url(page)
    assert member.get(url.removeprefix("https://roster.example.com")).status_code == 200
    done = member.post("/rotations/my-calendar/revoke/", {"confirm": "on"}, follow=True).content.decode()
    assert "its URL no longer works" in done
    assert member.get(url.removeprefix("https://roster.example.com")).status_code == 404


def test_my_shifts_page_names_the_rotations_its_feed_covers_or_says_there_is_none(member, native):
    page = member.get("/rotations/my-calendar/").content.decode()
    assert "No rotation has a member with your email address yet: your feed stays empty until one does." in page
    native.members.create(name="Mo", email="member@acme.example", position=9)
    assert "It covers: Platform." in member.get("/rotations/my-calendar/").content.decode()


def test_regenerating_on_the_page_keeps_a_reminder_the_api_set(member, native, member_user):
    from rotations.calendar.feeds import calendar_feed_active, calendar_feed_create

    calendar_feed_create(
        organization=native.organization, rotation=native, user=member_user, alarm_minutes=30, actor=None
    )
    page = member.get(f"/rotations/{native.pk}/").content.decode()
    assert '<option value="30" selected>30 minutes before</option>' in page
    member.post(f"/rotations/{native.pk}/calendar/", {"alarm_minutes": "30"})
    assert calendar_feed_active(organization=native.organization, rotation=native, user=member_user).alarm_minutes == 30


def test_another_organization_cannot_make_a_feed_of_my_rotation(client, native, outsider):
    client.force_login(outsider)
    assert client.post(f"/rotations/{native.pk}/calendar/").status_code == 404


def test_support_staff_see_feeds_in_django_admin_and_revoke_one_without_seeing_its_token(client, native):
    from accounts.models import User
    from rotations.calendar.feeds import calendar_feed_create

    feed, raw = calendar_feed_create(organization=native.organization, rotation=native, actor=None)
    staff = User.objects.create_superuser(email="support@roster.example", password="x")
    client.force_login(staff)
    listing = client.get("/admin/rotations/calendarfeed/").content.decode()
    assert f"…{feed.last4}" in listing and raw not in listing and feed.token_hash not in listing
    detail = client.get(f"/admin/rotations/calendarfeed/{feed.pk}/change/").content.decode()
    assert raw not in detail and feed.token_hash not in detail
    done = client.post(
        "/admin/rotations/calendarfeed/", {"action": "revoke", "_selected_action": [feed.pk]}, follow=True
    ).content.decode()
    assert "1 calendar feed(s) revoked." in done
    assert client.get(f"/cal/{raw}.ics").status_code == 404
    revoked = AuditEvent.objects.get(action="calendar_feed.revoked")
    assert revoked.actor_label == "support@roster.example"


def test_regenerating_keeps_the_reminder_the_feed_has(member, native):
    member.post(f"/rotations/{native.pk}/calendar/", {"alarm_minutes": "60"})
    page = member.get(f"/rotations/{native.pk}/").content.decode()
    assert '<option value="60" selected>1 hour before</option>' in page
    assert '<option value="0" selected>' not in page


def test_revoking_my_feed_without_the_box_keeps_it_and_says_why(member, native):
    url = _shown_url(member.post("/rotations/my-calendar/", follow=True).content.decode())
    confirm_refused(member, "/rotations/my-calendar/revoke/", "revoke-calendar")
    assert member.get(url.removeprefix("https://roster.example.com")).status_code == 200
