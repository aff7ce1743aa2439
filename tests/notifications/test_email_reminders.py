"""Email reminders (notifications/email.py) through Django's mail outbox: before a shift and when
a shift moves, once per (shift, reminder), default off, one-click unsubscribe without signing in."""

import datetime as dt
import re
import smtplib

import pytest
import responses
from django.core import mail

from notifications import email, services, tasks, upcoming
from notifications.models import EmailReminder, Notification
from rotations import services as rotations
from rotations import sync
from rotations.models import Rotation, Shift
from tests.conftest import NOW
from tests.notifications.conftest import daily
from tests.pd_mocks import api
from tests.rotations import pd_schedules as pds

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


@pytest.fixture
def paris(org, frozen):
    """Daily in Paris at 09:00 local (08:00 UTC in March): Ana on 6 March, Bo on the 7th, Cy on the 8th."""
    people = [("Ana Ortiz", "ana@acme.example"), ("Bo Chen", "bo@acme.example"), ("Cy Diaz", "cy@acme.example")]
    return daily(org, people, time_zone="Europe/Paris")


def turn_on(rotation, address, *, hours=None, moved=False):
    email.reminder_set(
        rotation=rotation, email=address, actor=None, changes={"reminder_hours": hours, "shift_moved": moved}
    )


def unsubscribe_path(message) -> str:
    return re.search(r"https://roster\.example\.com(/unsubscribe/\S+/)", message.body).group(1)


def test_nobody_gets_an_email_by_default(paris, frozen):
    tasks.upcoming()
    frozen.move_to(NOW + 20 * H)
    tasks.upcoming()

    assert mail.outbox == [] and not Notification.objects.exists()


def test_a_reminder_n_hours_before_the_shift_is_emailed_once_in_the_rotation_s_time_zone(paris, frozen):
    turn_on(paris, "bo@acme.example", hours=24)  # Bo's shift: Sat 7 Mar 09:00 Paris, 20 hours away

    tasks.upcoming()
    frozen.move_to(NOW + dt.timedelta(minutes=1))
    tasks.upcoming()  # the next minute's scan sends nothing more

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["bo@acme.example"]
    assert message.subject == "Reminder: your Platform on-call shift starts in 20 hours"
    assert "Your on-call shift in Platform starts in 20 hours." in message.body
    assert "From:  Sat 7 Mar 2026 09:00 (Europe/Paris)" in message.body
    assert "Until: Sun 8 Mar 2026 09:00 (Europe/Paris)" in message.body
    assert f"https://roster.example.com/rotations/{paris.pk}/" in message.body
    stop = "https://roster.example.com" + unsubscribe_path(message)
    assert message.extra_headers["List-Unsubscribe"] == f"<{stop}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Notification.objects.get().status == "sent"


def test_someone_who_follows_the_rotation_s_defaults_is_told_so_not_that_they_asked(paris, frozen):
    email.defaults_set(rotation=paris, actor=None, changes={"reminder_hours": 24, "shift_moved": True})
    tasks.upcoming()  # Bo's reminder, and the snapshot
    cy = paris.members.get(email="cy@acme.example")
    rotations.override_create(rotation=paris, member_id=cy.pk, start=NOW + 20 * H, end=NOW + 26 * H)
    frozen.move_to(NOW + dt.timedelta(minutes=1))
    tasks.upcoming()

    reminder, moved = (m for m in mail.outbox if m.to == ["bo@acme.example"])
    assert "You get this email because reminders before shifts are on by default in Platform.\n" in reminder.body
    assert "You get this email because emails when a shift moves are on by default in Platform.\n" in moved.body
    assert "you asked" not in reminder.body + moved.body


def test_a_mail_server_error_is_retried_and_the_reminder_still_goes_once(paris, frozen, monkeypatch):
    turn_on(paris, "bo@acme.example", hours=24)
    real_send = mail.EmailMessage.send
    failures = [smtplib.SMTPServerDisconnected("Connection unexpectedly closed")]

    def flaky(self, *args, **kwargs):
        if failures:
            raise failures.pop()
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMessage, "send", flaky)
    tasks.upcoming()
    row = Notification.objects.get()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "The mail server did not take the email (SMTPServerDisconnected)" in row.last_error

    frozen.move_to(NOW + 2 * H)
    tasks.upcoming()  # a scan while the retry waits makes no second row
    tasks.sweep()  # the retry is due
    tasks.sweep()

    assert len(mail.outbox) == 1 and Notification.objects.get().status == "sent"


def test_a_pagerduty_bound_rotation_reminds_by_the_rotation_s_default(org, frozen):
    rotation = rotations.rotation_create(organization=org, name="Bound", time_zone="America/New_York", members=[])
    Rotation.objects.filter(pk=rotation.pk).update(pagerduty_schedule_id="PI7DH85", last_sync_ok=True)
    rotation.refresh_from_db()
    Shift.objects.create(
        rotation=rotation,
        start=NOW + H,
        end=NOW + 9 * H,
        person_name="Grace Hopper",
        person_email="grace@acme.example",
        pagerduty_user_id="PGRACE",
    )
    email.defaults_set(rotation=rotation, actor=None, changes={"reminder_hours": 2})

    tasks.upcoming()
    tasks.upcoming()

    assert [m.to for m in mail.outbox] == [["grace@acme.example"]]
    assert "From:  Fri 6 Mar 2026 08:00 (America/New_York)" in mail.outbox[0].body
    assert mail.outbox[0].subject.endswith("starts in 60 minutes")


def test_an_override_emails_the_person_whose_shift_moved_once(paris, frozen):
    turn_on(paris, "bo@acme.example", moved=True)
    tasks.upcoming()  # the snapshot
    cy = paris.members.get(email="cy@acme.example")
    rotations.override_create(rotation=paris, member_id=cy.pk, start=NOW + 20 * H, end=NOW + 26 * H)

    frozen.move_to(NOW + dt.timedelta(minutes=1))
    tasks.upcoming()
    frozen.move_to(NOW + dt.timedelta(minutes=2))
    tasks.upcoming()

    assert [m.to for m in mail.outbox] == [["bo@acme.example"]]  # Cy asked for nothing
    message = mail.outbox[0]
    assert message.subject == "Your on-call shifts in Platform changed"
    assert "No longer yours:\n  Sat 7 Mar 2026 09:00 – Sun 8 Mar 2026 09:00\n" in message.body
    assert "Now yours:\n  Sat 7 Mar 2026 15:00 – Sun 8 Mar 2026 09:00\n" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_unsubscribe_link_asks_first_and_the_button_unsubscribes_without_signing_in(paris, frozen, client):
    turn_on(paris, "bo@acme.example", hours=24, moved=True)
    tasks.upcoming()
    path = unsubscribe_path(mail.outbox[0])

    page = client.get(path)
    assert page.status_code == 200
    assert (
        "Stop the shift reminders, moved-shift emails and cover requests from <strong>Platform</strong>"
        in page.content.decode()
    )
    assert EmailReminder.objects.get(email="bo@acme.example").reminder_hours == 24  # a GET changes nothing

    done = client.post(path)
    assert "You are unsubscribed" in done.content.decode()
    choice = EmailReminder.objects.get(email="bo@acme.example")
    assert (choice.reminder_hours, choice.shift_moved) == (None, False)

    frozen.move_to(NOW + 2 * email.MAX_HOURS * H)
    tasks.upcoming()
    assert len(mail.outbox) == 1


def test_one_click_unsubscribe_from_the_mail_client_works_at_once(paris, frozen, client):
    email.defaults_set(rotation=paris, actor=None, changes={"reminder_hours": 24})
    tasks.upcoming()
    message = mail.outbox[0]
    url = message.extra_headers["List-Unsubscribe"].strip("<>")

    response = client.post(
        url.removeprefix("https://roster.example.com"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    choice = EmailReminder.objects.get(rotation=paris, email="bo@acme.example")
    assert (choice.reminder_hours, choice.shift_moved) == (None, False)


def test_a_reminder_made_before_someone_unsubscribed_is_not_sent(paris, frozen, client):
    turn_on(paris, "bo@acme.example", hours=24)
    made = upcoming.upcoming_scan()  # the worker is down: not delivered yet
    client.post(f"/unsubscribe/{email.unsubscribe_token(paris.pk, 'bo@acme.example')}/")

    services.notification_deliver(notification_id=made[0])

    assert mail.outbox == []
    assert Notification.objects.get().last_error == "Not sent: bo@acme.example turned these emails off."


def test_a_forged_or_garbled_unsubscribe_link_is_a_404_that_changes_nothing(paris, client):
    token = email.unsubscribe_token(paris.pk, "bo@acme.example")
    for bad in (token[:-2] + "xx", "nonsense"):
        assert client.get(f"/unsubscribe/{bad}/").status_code == 404
        assert client.post(f"/unsubscribe/{bad}/").status_code == 404
    assert not EmailReminder.objects.exists()


# --- the rotation page and the JSON API -----------------------------------------------------------


def test_a_member_turns_their_own_reminders_on_and_back_to_the_defaults_on_the_rotation_page(
    org, member_client, frozen
):
    rotation = rotations.rotation_create(
        organization=org, name="Ops", time_zone="UTC", members=[("Me", "member@acme.example")]
    )
    page = member_client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert "no reminder before shifts; nothing when a shift moves." in page
    assert 'data-testid="reminder-defaults"' not in page  # admins only

    member_client.post(
        f"/rotations/{rotation.pk}/reminders/", {"reminder_on": "on", "reminder_hours": "6", "shift_moved": "on"}
    )
    page = member_client.get(f"/rotations/{rotation.pk}/").content.decode()
    assert "a reminder 6 hours before each shift; an email when a shift of yours moves." in page

    response = member_client.post(f"/rotations/{rotation.pk}/reminders/", {"reminder_on": "on", "reminder_hours": "x"})
    assert (
        "Reminders not saved: A whole number of hours from 1 to 168" in member_client.get(response.url).content.decode()
    )

    member_client.post(f"/rotations/{rotation.pk}/reminders/", {"follow_default": "on"})
    assert not EmailReminder.objects.exists()


def test_a_reminder_ticked_without_hours_is_refused_in_the_page_s_words_not_the_api_s(paris, admin_client):
    response = admin_client.post(f"/rotations/{paris.pk}/reminders/", {"reminder_on": "on", "reminder_hours": ""})

    page = admin_client.get(response.url).content.decode()
    assert "Reminders not saved: A whole number of hours from 1 to 168." in page
    assert "null" not in page.split("Reminders not saved", 1)[1].split("<", 1)[0]


def test_an_admin_sets_the_rotation_s_defaults_on_the_page(paris, admin_client):
    admin_client.post(f"/rotations/{paris.pk}/reminders/defaults/", {"reminder_on": "on", "reminder_hours": "12"})

    assert email.mine(paris, "ana@acme.example")["reminder_hours"] == 12
    assert email.mine(paris, "ana@acme.example")["follows_default"] is True


def test_a_member_cannot_change_the_defaults(paris, member_client):
    response = member_client.post(f"/rotations/{paris.pk}/reminders/defaults/", {"reminder_on": "on"})
    assert response.status_code == 403
    assert email.defaults_get(paris).reminder_hours is None


def test_the_json_api_shows_and_changes_my_reminders_and_the_defaults(paris, member_client, admin_user):
    url = f"/api/rotations/{paris.pk}/reminders/me"
    assert member_client.get(url).json() == {
        "email": "member@acme.example",
        "reminderHours": None,
        "shiftMoved": False,
        "followsDefault": True,
        "defaults": {"reminderHours": None, "shiftMoved": False},
    }
    changed = member_client.patch(url, {"reminderHours": 3}, content_type="application/json").json()
    assert (changed["reminderHours"], changed["shiftMoved"], changed["followsDefault"]) == (3, False, False)

    refused = member_client.patch(url, {"reminderHours": 500}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["errors"] == {
        "reminderHours": ["A whole number of hours from 1 to 168."]
    }

    defaults = f"/api/rotations/{paris.pk}/reminders/defaults"
    assert member_client.patch(defaults, {"shiftMoved": True}, content_type="application/json").status_code == 403
    member_client.force_login(admin_user)
    assert member_client.patch(defaults, {"shiftMoved": True}, content_type="application/json").json() == {
        "reminderHours": None,
        "shiftMoved": True,
    }


def test_a_pagerduty_override_found_by_a_resync_emails_the_person_whose_shift_moved(
    org, pd_connection, frozen, rsps, django_capture_on_commit_callbacks
):
    rotation = rotations.rotation_create(
        organization=org, name="Bound", time_zone="America/New_York", members=[("Bo Chen", "bo@acme.example")]
    )
    Rotation.objects.filter(pk=rotation.pk).update(pagerduty_schedule_id="PI7DH85", pagerduty_schedule_kind="v2")
    turn_on(rotation, "bo@acme.example", moved=True)
    pds.mock_users(rsps, {"PANA001": ("Ana Ortiz", "ana@acme.example"), "PBO0002": ("Bo Chen", "bo@acme.example")})

    def sync_with_bo_from(hours: int):
        """PagerDuty's final schedule: Ana until NOW + `hours`, then Bo until NOW + 44 hours; then a sync."""
        entries = [
            pds.entry("PANA001", "Ana Ortiz", NOW - 2 * H, NOW + hours * H),
            pds.entry("PBO0002", "Bo Chen", NOW + hours * H, NOW + 44 * H),
        ]
        rsps.replace(responses.GET, api("/schedules/PI7DH85"), json=pds.v2_schedule("PI7DH85", entries))
        with django_capture_on_commit_callbacks(execute=True):
            sync.sync_schedule(organization_id=org.pk, schedule_id="PI7DH85")

    pds.mock_v2(rsps, "PI7DH85", {})
    sync_with_bo_from(20)  # the sync's nudge takes the snapshot
    frozen.move_to(NOW + dt.timedelta(minutes=5))
    sync_with_bo_from(26)  # in PagerDuty, Ana took the first 6 hours of Bo's shift (an override)
    assert len(mail.outbox) == 1  # no beat yet: the sync's nudge found it
    tasks.upcoming()  # and beat's scan does not repeat it

    assert [m.to for m in mail.outbox] == [["bo@acme.example"]]
    # New York springs forward on Sunday 8 March: the shift ends at 08:00 UTC, 04:00 local.
    assert "No longer yours:\n  Sat 7 Mar 2026 03:00 – Sun 8 Mar 2026 04:00\n" in mail.outbox[0].body
    assert "Now yours:\n  Sat 7 Mar 2026 09:00 – Sun 8 Mar 2026 04:00\n" in mail.outbox[0].body


def test_a_reminder_resent_after_the_shift_started_says_it_started(paris, frozen):
    """An admin's Resend of an old reminder: it must not say the shift starts in a minute."""
    turn_on(paris, "bo@acme.example", hours=24)
    tasks.upcoming()
    row = Notification.objects.get()

    message = email.compose(row, now=NOW + 22 * H)  # Bo's shift began 2 hours before

    assert message.subject == "Reminder: your Platform on-call shift started 2 hours ago"
    assert "Your on-call shift in Platform started 2 hours ago." in message.body
    assert "starts in" not in message.body
